"""Merge ``hpo bench`` result files into one and print the report of the union.

    python -m hpo_core.benchmarks.merge -o all.json peers.json ours.json

Runs are deterministic in (problem, strategy, seed), so the strategies of one comparison may
be run apart (for example slow peers once, our strategy again after a change), and problems
with different budgets (50 trials here, 100 there) ranked together, with the same statistics
as one ``hpo bench`` run. Each input must be a single-fidelity ``hpo_core.bench`` document of
a version this code reads, all with the same batch size and workers; a (problem, strategy,
seed) present in two inputs, a problem run with two budgets, or a problem whose definition
differs between inputs, is an error. ``config.budget`` of the result is a number when every
input has the same budget, else ``{problem: budget}``. The merged document keeps every input's
``created``, ``command`` and ``environment`` under ``merged_from``; timings from different
runs are comparable only as far as the machine was equally loaded, which the merge cannot
check.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import sys
from collections.abc import Sequence
from typing import Any

from hpo_core.benchmarks.analysis import analyze, report_markdown
from hpo_core.benchmarks.runner import FORMAT, FORMAT_VERSION, write_results
from hpo_core.benchmarks.summary import markdown_table, summarize
from hpo_core.errors import HPOError

__all__ = ["main", "merge_documents"]


def _read(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        raise HPOError(f"{path}: expected an hpo bench results file, could not read it: "
                       f"{e}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise HPOError(f"{path}: expected format {FORMAT!r}, got "
                       f"{doc.get('format') if isinstance(doc, dict) else type(doc).__name__!r}")
    version = doc.get("version")
    if not isinstance(version, int) or not 1 <= version <= FORMAT_VERSION:
        raise HPOError(f"{path}: expected version 1..{FORMAT_VERSION}, got {version!r}")
    if doc.get("kind") == "multifidelity" or "config" not in doc:
        raise HPOError(f"{path}: expected a single-fidelity results file (multi-fidelity "
                       f"files hold no run records to merge)")
    return doc


def merge_documents(docs: Sequence[dict[str, Any]], names: Sequence[str]) -> dict[str, Any]:
    """The union of ``docs`` (``names`` label them in errors) with a fresh report."""
    if not docs:
        raise HPOError("inputs: expected at least one results file, got none")
    first = docs[0]["config"]
    problems: dict[str, Any] = {}
    budgets: dict[str, int] = {}
    runs: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    seen: dict[tuple[str, str, int], str] = {}
    for doc, name in zip(docs, names, strict=True):
        config = doc["config"]
        if config.get("batch", 1) != first.get("batch", 1):
            raise HPOError(f"{name}: config.batch is {config.get('batch', 1)!r}, expected "
                           f"{first.get('batch', 1)!r} as in {names[0]}")
        if config.get("workers", 0) != first.get("workers", 0):
            raise HPOError(f"{name}: config.workers is {config.get('workers', 0)!r}, expected "
                           f"{first.get('workers', 0)!r} as in {names[0]}")
        if config.get("warmup", 0) != first.get("warmup", 0):  # timings taken apart
            raise HPOError(f"{name}: config.warmup is {config.get('warmup', 0)!r}, expected "
                           f"{first.get('warmup', 0)!r} as in {names[0]}")
        for pname, entry in doc["problems"].items():
            if pname in problems and problems[pname] != entry:
                raise HPOError(f"{name}: problem {pname!r} differs from its definition in an "
                               f"earlier input (f_star, space or description changed)")
            if budgets.setdefault(pname, config["budget"]) != config["budget"]:
                raise HPOError(f"{name}: problem {pname!r} ran with budget {config['budget']}, "
                               f"expected {budgets[pname]} as in an earlier input")
            problems[pname] = entry
        for r in doc["runs"]:
            key = (r["problem"], r["strategy"], r["seed"])
            if key in seen:
                raise HPOError(f"{name}: run {key} is also in {seen[key]}; expected each "
                               f"(problem, strategy, seed) in one input only")
            seen[key] = name
            runs.append(r)
        skipped.extend(doc.get("skipped", []))
    return {"format": FORMAT, "version": FORMAT_VERSION,
            "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            "command": None,
            "merged_from": [{"file": n, "created": d.get("created"), "command": d.get("command"),
                             "environment": d.get("environment")}
                            for d, n in zip(docs, names, strict=True)],
            "config": {"problems": list(problems),
                       "strategies": list(dict.fromkeys(r["strategy"] for r in runs)),
                       "budget": (budgets[next(iter(budgets))] if len(set(budgets.values())) == 1
                                  else budgets),
                       "seeds": sorted({r["seed"] for r in runs}),
                       "batch": first.get("batch", 1), "workers": first.get("workers", 0),
                       "warmup": first.get("warmup", 0)},
            "problems": problems, "runs": runs, "skipped": skipped,
            "report": analyze(runs, problems)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hpo_core.benchmarks.merge",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("inputs", nargs="+", metavar="FILE")
    parser.add_argument("-o", "--out", metavar="PATH", help="write the merged JSON here")
    args = parser.parse_args(argv)
    try:
        merged = merge_documents([_read(p) for p in args.inputs], args.inputs)
        if args.out is not None:
            write_results(merged, args.out)
    except HPOError as e:
        print(f"merge: error: {e}", file=sys.stderr)
        return 2
    print(markdown_table(summarize(merged["runs"]), merged["skipped"]), end="")
    report = report_markdown(merged["report"])
    if report:
        print("\n" + report, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
