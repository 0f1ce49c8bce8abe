"""``python -m hpo_core.cli``: the ``hpo`` command."""

import sys

from hpo_core.cli import main

sys.exit(main())
