"""Issue 28's summary goals, as ratios in one run: `esps summary` over 1,000 blank returns
(about 200 findings each) and over 1,000 complete returns, with 108,000 scores in the register,
run a second time on unchanged files (the validation cache answers), against a separate
python-calamine process reading the same sheets of the same files.

    python benchmarks/bench_summary.py                 # 1,000 units, medians of 3 runs
    python benchmarks/bench_summary.py --units 300 --runs 1 --keep /tmp/bench-summary

Goals: the second summary at most 1x the bare read, and its peak memory under 300 MB, for
blank and complete returns alike. Every measure is a whole process (start-up included on both
sides), its wall and CPU time (user + system; the CPU figure is steadier on a busy machine);
the peak is the summary process's maximum resident set. --keep leaves the data sets (returns,
register) in a folder, for profiling.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_goals import (  # one definition of the data sets and the floors
    BARE_CALAMINE,
    CYCLE,
    line,
    make_returns,
    make_scores,
    make_units,
    peak_mb,
    put_returns_on_record,
    timed,
)
from bench_startup import esps_command


def make_register(work: Path, units: int) -> list[str]:
    """The units list, the advisors and a register holding linked and unlinked scores for
    every indicator of every unit; the options that name them."""
    units_csv, linked_of = make_units(work, units)
    register = work / "esps.db"
    common = ["--units", str(units_csv), "--advisors", str(work / "dcfas.csv"),
              "--cycle", CYCLE, "--register", str(register)]
    if register.exists():  # kept from a run before (--keep)
        return common
    scores = work / "scores.csv"
    make_scores(scores, linked_of)
    put_returns_on_record(register, list(linked_of))
    subprocess.run([*esps_command(), "score", "import", str(scores), "--any-unlinked",
                    *common], check=True, stdout=subprocess.DEVNULL,
                   env={**os.environ, "NO_COLOR": "1"})
    return common


def summary_of(esps: list[str], folder: Path, kind: str, common: list[str],
               runs: int) -> None:
    """The bare read of folder, the summary's first run (fills the cache), its second run
    (the goal) and the second run's peak memory."""
    from esps_cli.workbook.layout import READ_SHEETS

    count = len(list(folder.glob("*.xlsx")))
    bare = timed([sys.executable, "-c", BARE_CALAMINE, str(folder), "|".join(READ_SHEETS)],
                 runs)
    line(f"bare calamine read, {count:,} {kind}", *bare)
    argv = [*esps, "summary", "--returns", str(folder), "--format", "json", *common]
    line(f"esps summary, {kind}, first run", *timed(argv, 1), base=bare)
    line(f"esps summary, {kind}, cache warm", *timed(argv, runs), base=bare, goal=1.0)
    mb = peak_mb(argv)
    print(f"{'  peak memory of that summary':44} {mb:7.0f} MB  goal <= 300 MB: "
          f"{'met' if mb <= 300 else 'NOT met'}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--kinds", nargs="+", default=["blank", "complete"],
                        choices=["blank", "complete"])
    parser.add_argument("--keep", type=Path, help="make the data sets here and keep them")
    args = parser.parse_args()
    esps = esps_command()
    work = args.keep or Path(tempfile.mkdtemp(prefix="esps-bench-summary-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} "
          f"{os.getloadavg()[2]:.2f} ({os.cpu_count()} cores); medians of {args.runs}")
    print(f"{'':44} {'wall':>8} {'cpu':>8}  {'x wall  x cpu':15}")
    try:
        common = make_register(work, args.units)
        for kind in args.kinds:
            folder = work / kind
            if not any(folder.glob("*.xlsx")):
                make_returns(folder, args.units, complete=kind == "complete")
            summary_of(esps, folder, kind, common, args.runs)
        print(f"load after: {os.getloadavg()[0]:.2f}")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
