"""Every speed figure in one run: generation and validation of 1,000 workbooks, their ratios to
the bare-reader baselines, and peak memory.

    python benchmarks/bench_all.py [--count 1000]

Runs bench_generate.py, bench_validate.py and bench_goals.py (issue 16's goals as ratios:
folder validate and text report, score import, agreement and export) one after the other,
each in its own process, so the peak memory each prints is its own, and prints their figures.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    args = parser.parse_args()
    status = 0
    for script in ("bench_generate.py", "bench_validate.py"):
        print(f"== {script} --count {args.count}", flush=True)
        status |= subprocess.call([sys.executable, str(HERE / script), "--count",
                                   str(args.count)])
        print(flush=True)
    counts = sorted({300, args.count})
    print(f"== bench_goals.py --counts {' '.join(map(str, counts))}", flush=True)
    status |= subprocess.call([sys.executable, str(HERE / "bench_goals.py"), "--counts",
                               *map(str, counts)])
    sys.exit(status)


if __name__ == "__main__":
    main()
