"""``hpo report``: write the visual report of a run, a tuning job or benchmark results.

    hpo report SOURCE -o report.html              interactive, self-contained, works offline
    hpo report SOURCE -o report.png --format png  a static image (also svg)
    hpo report SOURCE --csv trials.csv            the analytics table as CSV (no report)

SOURCE is a tuning-job directory, a file written by ``Optimizer.save``, or an ``hpo bench``
results file. Exit codes: 0 written, 2 bad input (unreadable source, missing ``report`` extra).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> None:
    """Register ``report``."""
    p = subparsers.add_parser(
        "report", help="a visual report (HTML, PNG or SVG) of a job, a run or bench results",
        description="Write the report of SOURCE: a tuning-job directory, a saved Optimizer "
        "file, or 'hpo bench' results. The HTML page is one self-contained file that works "
        "offline; --format png|svg writes a static image.")
    p.add_argument("source", metavar="SOURCE")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="file to write (default: report.<format> in the current folder)")
    p.add_argument("--format", choices=("html", "png", "svg"), default=None,
                   help="output format (default: from the output's suffix, else html)")
    p.add_argument("--csv", metavar="FILE", help="also write the analytics table as CSV "
                   "(one row per trial; not for bench results)")
    p.add_argument("--curves-csv", metavar="FILE", help="also write every intermediate "
                   "metric point as CSV")
    p.set_defaults(run=run)


def _format(args: argparse.Namespace) -> str:
    if args.format:
        return str(args.format)
    suffix = Path(args.output).suffix.lower().lstrip(".") if args.output else ""
    return suffix if suffix in ("html", "png", "svg") else "html"


def run(args: argparse.Namespace) -> int:
    """Write the report (and CSV files when asked); print what was written."""
    from hpo_core.analytics import export_csv
    from hpo_core.report import report

    fmt = _format(args)
    if args.csv or args.curves_csv:
        from hpo_core.analytics import curve_frame, frame, read_run

        table = read_run(args.source)
        if args.csv:
            export_csv(table, args.csv)
            print(f"wrote {args.csv} ({len(frame(table))} trials)")
        if args.curves_csv:
            curve_frame(table).to_csv(args.curves_csv, index=False)
            print(f"wrote {args.curves_csv}")
        if not args.output:
            return 0
    out = report(args.source, args.output or f"report.{fmt}", format=fmt)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB, {fmt})")
    return 0
