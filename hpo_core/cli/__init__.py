"""The ``hpo`` command.

Each subcommand lives in its own module exposing ``add_parser(subparsers)`` and
``run(args) -> int``; this module only dispatches. Exit codes: 0 success, 1 the command ran and
failed (for example a benchmark run failed), 2 bad usage or bad input (a clear message on stderr,
no traceback).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from hpo_core import __version__
from hpo_core.errors import HPOError

#: (module, attribute prefix) of every subcommand, in help order.
_SUBCOMMANDS = ("hpo_core.benchmarks.cli", "hpo_core.cli.jobs", "hpo_core.cli.report",
               "hpo_core.cli.amt")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hpo",
        description="hpo_core: hyperparameter optimization with the SageMaker AMT job model.")
    parser.add_argument("--version", action="version", version=f"hpo {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    import importlib

    for module in _SUBCOMMANDS:
        importlib.import_module(module).add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return int(args.run(args) or 0)
    except HPOError as e:
        print(f"hpo {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"hpo {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `hpo trials DIR | head`: the reader went away, that is fine
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
