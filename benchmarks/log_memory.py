"""Tuner memory and time against the size of a training job's log (``hpo tune``, local backend).

    python -m hpo_core.benchmarks.log_memory --mb 200 --regexes 40

Each scenario is one ``hpo tune`` subprocess running one training job whose script prints:

- ``baseline``: one line ``loss=0.5`` (the tuner's own footprint);
- ``one-line``: ``--mb`` MB without a newline, then ``loss=0.5`` on a line of its own;
- ``lines``: ``--mb`` MB of 100-byte log lines, one in 100 holding four metrics;
- ``metric-lines``: ``--mb`` MB of lines that each hold four metrics (every line is a step of
  four metrics: the store grows with them, the tuner's memory must not).

The job defines ``--regexes`` MetricDefinitions (the objective ``loss``, ``m1`` ... in the
default ``name=value`` form and a few others, ``(a+)+$`` among them). The tuner's peak
resident memory is read from ``/proc/<pid>/status`` (``VmHWM``) while it runs, and from
``wait4`` when it ends; each scenario's peak is shown against the baseline's. The training
job's own memory is small (it writes 64 KiB at a time). Linux only.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

__all__ = ["SCENARIOS", "job_document", "main", "measure"]

SCENARIOS = ("baseline", "one-line", "lines", "metric-lines")

_SCRIPT = """
import os, sys
mode, total = sys.argv[1], int(float(sys.argv[2]) * 1e6)
out = sys.stdout.buffer
if mode == "one-line":
    chunk = b"x" * 65536
    for _ in range(total // len(chunk)):
        out.write(chunk)
    out.write(b"\\n")
elif mode in ("lines", "metric-lines"):
    noise = b"2026-01-01T00:00:00Z INFO worker-3 batch done, samples/s 1234.5, queue 17"
    metric = b"epoch 00001 loss=0.4321 m11=0.1 m12=2.5e-3 m17=17"
    noise, metric = noise.ljust(99), metric.ljust(99)
    block = (metric + b"\\n") * 100 if mode == "metric-lines" else (
        (noise + b"\\n") * 99 + metric + b"\\n")
    for _ in range(total // len(block)):
        out.write(block)
out.write(b"loss=0.5\\n")
out.flush()
"""


def job_document(regexes: int, mode: str, mb: float) -> dict[str, Any]:
    """A one-training-job document whose script prints the ``mode`` scenario's log."""
    extra = [r"(a+)+$", r"acc(?:uracy)?\s*[=:]\s*([-+]?\d*\.?\d+)", r"\[(\d+)/\d+\]",
             r"lr\s*=\s*([0-9.eE+-]+)", r"throughput:? ([0-9.]+) samples"]
    defs = [{"Name": "loss", "Regex": r"(?:^|[\s,;])loss\s*[=:]\s*([-+]?(?:\d+\.?\d*|\.\d+))"}]
    for i in range(1, regexes):
        regex = extra[i - 1] if i <= len(extra) else rf"(?:^|[\s,;])m{i}\s*[=:]\s*([0-9.eE+-]+)"
        defs.append({"Name": f"m{i}", "Regex": regex})
    return {
        "HyperParameterTuningJobName": f"logmem-{mode}",
        "HyperParameterTuningJobConfig": {
            "Strategy": "Random",
            "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "loss"},
            "ResourceLimits": {"MaxNumberOfTrainingJobs": 1, "MaxParallelTrainingJobs": 1},
            "ParameterRanges": {"ContinuousParameterRanges": [
                {"Name": "x", "MinValue": "0", "MaxValue": "1"}]},
            "RandomSeed": 1},
        "TrainingJobDefinition": {"AlgorithmSpecification": {
            "TrainingInputMode": "File", "MetricDefinitions": defs}},
        "Local": {"Command": ["python", "train.py", mode, str(mb)]},
    }


def _hwm_kb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def measure(mode: str, mb: float, regexes: int, workdir: Path) -> dict[str, Any]:
    """Run one scenario in ``workdir``; its peak RSS (MB), wall time (s) and outcome."""
    folder = workdir / mode
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    (folder / "train.py").write_text(textwrap.dedent(_SCRIPT))
    (folder / "job.json").write_text(json.dumps(job_document(regexes, mode, mb)))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1"}
    start = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "hpo_core.cli", "tune", "job.json",
                             "--quiet"], cwd=folder, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    hwm = 0
    while True:  # wait4 rather than poll: it also gives the process's own peak
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        hwm = max(hwm, _hwm_kb(proc.pid) or 0)
        time.sleep(0.02)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - start
    out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
    log = folder / "runs" / f"logmem-{mode}" / "logs"
    log_bytes = sum(p.stat().st_size for p in log.glob("*.log")) if log.is_dir() else 0
    result = {"scenario": mode, "peak_rss_mb": round(hwm / 1024, 1), "wall_s": round(wall, 1),
              "log_mb": round(log_bytes / 1e6, 1), "exit": proc.returncode,
              "ok": proc.returncode == 0 and "loss=0.5" in out}
    result["wait4_maxrss_mb"] = round(usage.ru_maxrss / 1024, 1)  # with its children
    if not result["ok"]:
        result["output"] = out[-2000:]
    shutil.rmtree(folder, ignore_errors=True)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hpo_core.benchmarks.log_memory",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=200.0, help="log size per scenario (MB)")
    parser.add_argument("--regexes", type=int, default=40, help="MetricDefinitions (1-40)")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--budget-mb", type=float, default=100.0,
                        help="allowed peak RSS above the baseline (exit 1 past it)")
    parser.add_argument("--workdir", help="where the job directories go (default: a temp dir)")
    args = parser.parse_args(argv)
    names = [s for s in args.scenarios.split(",") if s]
    unknown = [s for s in names if s not in SCENARIOS]
    if unknown or not 1 <= args.regexes <= 40:
        parser.error(f"--scenarios: expected some of {','.join(SCENARIOS)}, got {unknown}"
                     if unknown else f"--regexes: expected 1..40, got {args.regexes}")
    if "baseline" not in names:
        names.insert(0, "baseline")
    work = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="logmem-"))
    results = []
    for mode in names:
        r = measure(mode, args.mb, args.regexes, work)
        results.append(r)
        print(json.dumps(r), flush=True)
    base = results[0]["peak_rss_mb"]
    failed = False
    print("\n| scenario | log MB | tuner peak RSS MB | over baseline MB | wall s |")
    print("|---|---|---|---|---|")
    for r in results:
        over = r["peak_rss_mb"] - base
        bad = not r["ok"] or over > args.budget_mb
        failed |= bad
        print(f"| {r['scenario']} | {r['log_mb']} | {r['peak_rss_mb']} | {over:+.1f} | "
              f"{r['wall_s']}{' FAILED' if bad else ''} |")
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
