"""Execution backends (installed as ``hpo_core.adapters``).

Adapters import only the adapter Protocol and plain data types, never ``hpo_core.gp`` or
``hpo_core.strategies``.
"""
