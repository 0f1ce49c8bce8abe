"""Render time of a 500-trial report in headless Chromium (a benchmark, not a test).

    .venv/bin/python -m tests.report.render_bench [--trials 500] [--epochs 27] [--repeat 3]

Builds a real ask/tell run (random search, every trial reporting ``--epochs`` intermediate
values, some failures), writes its HTML report, and opens it ``--repeat`` times, each in a
fresh headless Chromium. Prints the file size, the in-page render time (``vegaEmbed`` start to
the end of the first full Vega run, ``__hpoReport.renderMs``) and the load time (navigation to
ready, timed from Python, parsing the 0.9 MB inlined JS included).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from hpo_core.report import report

from .chromium import find_chromium, render_page
from .helpers import optimizer_run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=500)
    parser.add_argument("--epochs", type=int, default=27)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", metavar="DIR", help="keep the report and screenshot here")
    args = parser.parse_args()
    exe = find_chromium()
    if exe is None:
        raise SystemExit("chromium is not installed (apt-get install chromium)")
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp:
        folder = Path(args.keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        opt = optimizer_run(args.trials, 11, epochs=args.epochs, fail_every=13, pending=3)
        t0 = time.perf_counter()
        page = report(opt, folder / f"report-{args.trials}.html")
        build_s = time.perf_counter() - t0
        render, load = [], []
        for i in range(args.repeat):
            shot = folder / f"report-{args.trials}.png" if i == 0 and args.keep else None
            run = render_page(page, shot, chromium=exe)
            if not run.state.get("ready") or run.console_errors:
                raise SystemExit(f"render failed: {run.state.get('error')} "
                                 f"{run.console_errors}")
            render.append(run.state["renderMs"])
            load.append(run.load_ms)
        marks = sum(run.marks.values())
        print(f"trials={args.trials} epochs={args.epochs} size={page.stat().st_size / 1e6:.2f} MB "
              f"build={build_s:.1f} s charts={len(run.marks)} mark elements={marks}")
        print(f"render ms (in page): median {statistics.median(render):.0f} "
              f"(runs: {', '.join(f'{x:.0f}' for x in render)})")
        print(f"load ms (navigation to ready): median {statistics.median(load):.0f} "
              f"(runs: {', '.join(f'{x:.0f}' for x in load)})")


if __name__ == "__main__":
    main()
