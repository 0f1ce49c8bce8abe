"""Benchmark problems and the runner behind ``hpo bench`` (installed as ``hpo_core.benchmarks``)."""
