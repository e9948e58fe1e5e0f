"""Issue 28's summary goals, as ratios in one run: `esps summary --format json` over 1,000
blank returns (about 200 findings each) and over 1,000 complete returns, with 108,000 scores in
the register, run again on unchanged files (the validation cache answers), against a separate
python-calamine process reading the same sheets of the same files (bench_goals.py's floor).

    python benchmarks/bench_summary.py                 # 1,000 units, 3 rounds
    python benchmarks/bench_summary.py --units 300 --runs 1 --keep /tmp/bench-summary
    python benchmarks/bench_summary.py --compare DIR/src   # another checkout, same rounds

Goals: the summary with its cache warm at most 1x the floor, and its peak memory under 300 MB,
for blank and complete returns alike. Every measure is a whole process (start-up included on
both sides), its wall and CPU time (user + system; the CPU figure is steadier on a busy
machine); each round runs the floor and the summary one after the other, so a busy machine
slows both alike; medians are printed, with the load average. The peak is the summary
process's maximum resident set. --keep makes the data sets (returns, register) in a folder and
keeps them, for profiling. --compare (from `git archive COMMIT | tar -x -C DIR`) runs another
checkout's summary in the same rounds, on a register of its own made by it, and compares its
JSON with this one's byte for byte (the audit chain's fingerprint, which differs with the
register, left out).
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_goals import (  # one definition of the data sets, the floor and the measures
    BARE_CALAMINE,
    CYCLE,
    line,
    make_returns,
    make_scores,
    make_units,
    timed,
)
from bench_startup import _children_cpu, esps_command

ROOT = Path(__file__).resolve().parent.parent

# Each unit's return on record, as issuing its scoring packs does (scores of a unit with no
# return on record are refused); run by the code under test, whose register it makes.
RECORD = """
import csv, sys
from pathlib import Path
from esps_cli.register import Register
from esps_cli.scoring.pack_store import PackIssue, record_pack
with open(sys.argv[1], encoding="utf-8", newline="") as fh:
    codes = [row["code"] for row in csv.DictReader(fh)]
with Register.open(Path(sys.argv[2])) as reg, reg.transaction():
    for code in codes:
        record_pack(reg, PackIssue(
            pack_id=f"bench-{sys.argv[3]}-{code}", kind="scoring", cycle=sys.argv[3], unit=code,
            role="linked", assessor="-", file="-", return_source=f"{code}.xlsx",
            return_sha256="0" * 64))
"""

PEAK = """
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


class Side:
    """One checkout's esps (its source folder on PYTHONPATH) and the register it made."""

    def __init__(self, name: str, source: Path, work: Path) -> None:
        self.name, self.source = name, source
        self.register = work / f"esps-{name}.db"
        compileall.compile_dir(str(source), quiet=1)  # as an installed wheel has it
        self.env = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(source)}
        self.esps = [sys.executable, "-m", "esps_cli"]

    def make_register(self, work: Path) -> None:
        if self.register.exists():  # kept from a run before (--keep)
            return
        subprocess.run([sys.executable, "-c", RECORD, str(work / "units.csv"),
                        str(self.register), CYCLE], check=True, env=self.env)
        subprocess.run([*self.esps, "score", "import", str(work / "scores.csv"),
                        "--any-unlinked", *self.lists(work)], check=True,
                       stdout=subprocess.DEVNULL, env=self.env)

    def lists(self, work: Path) -> list[str]:
        return ["--units", str(work / "units.csv"), "--advisors", str(work / "dcfas.csv"),
                "--cycle", CYCLE, "--register", str(self.register)]

    def summary(self, folder: Path, work: Path) -> list[str]:
        return [*self.esps, "summary", "--returns", str(folder), "--format", "json",
                *self.lists(work)]

    def timed(self, argv: list[str]) -> tuple[float, float]:
        """Wall and CPU seconds of one run of argv (bench_goals.timed, with this side's
        code)."""
        cpu, started = _children_cpu(), time.perf_counter()
        done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              env=self.env)
        wall = time.perf_counter() - started
        if done.returncode not in (0, 1):
            sys.exit(f"{' '.join(argv)} exited {done.returncode}: {done.stderr.decode()[-800:]}")
        return wall, _children_cpu() - cpu

    def peak_mb(self, argv: list[str]) -> float:
        out = subprocess.run([sys.executable, "-c", PEAK, *argv], capture_output=True,
                             text=True, env=self.env, check=True)
        return int(out.stdout.strip() or 0) / 1024

    def json(self, argv: list[str]) -> bytes:
        done = subprocess.run(argv, capture_output=True, env=self.env)
        data = json.loads(done.stdout)
        data.pop("chain_fingerprint", None)
        return json.dumps(data).encode()


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def summary_of(sides: list[Side], folder: Path, kind: str, work: Path, runs: int) -> None:
    """The floor, then each side's summary: a first run (fills its cache), then runs rounds
    of floor and summaries; the medians, the peak memory, and the sides' JSON compared."""
    from esps_cli.workbook.layout import READ_SHEETS

    count = len(list(folder.glob("*.xlsx")))
    floor_argv = [sys.executable, "-c", BARE_CALAMINE, str(folder), "|".join(READ_SHEETS)]
    for side in sides:
        side.timed(side.summary(folder, work))  # fills the cache
    floor: list[tuple[float, float]] = []
    times: dict[str, list[tuple[float, float]]] = {s.name: [] for s in sides}
    for _ in range(runs):
        floor.append(timed(floor_argv, 1))
        for side in sides:
            times[side.name].append(side.timed(side.summary(folder, work)))
    base = (statistics.median(w for w, _ in floor), statistics.median(c for _, c in floor))
    line(f"bare calamine read, {count:,} {kind}", *base)
    for side in sides:
        walls = [w for w, _ in times[side.name]]
        cpus = [c for _, c in times[side.name]]
        line(f"esps summary ({side.name}), {kind}, cache warm",
             statistics.median(walls), statistics.median(cpus), base=base, goal=1.0)
        mb = side.peak_mb(side.summary(folder, work))
        print(f"{'  its peak memory':44} {mb:7.0f} MB  goal <= 300 MB: "
              f"{'met' if mb <= 300 else 'NOT met'}", flush=True)
    if len(sides) > 1:
        same = len({s.json(s.summary(folder, work)) for s in sides}) == 1
        print(f"  JSON of the two: {'identical' if same else 'DIFFERENT'} (the chain "
              "fingerprint left out)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--kinds", nargs="+", default=["blank", "complete"],
                        choices=["blank", "complete"])
    parser.add_argument("--keep", type=Path, help="make the data sets here and keep them")
    parser.add_argument("--compare", type=Path, default=None,
                        help="another checkout's src folder, run in the same rounds")
    args = parser.parse_args()
    esps_command()  # compiles this checkout's modules, as an installed wheel has them
    work = args.keep or Path(tempfile.mkdtemp(prefix="esps-bench-summary-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"load average: {load()} ({os.cpu_count()} cores); medians of {args.runs} rounds")
    print(f"{'':44} {'wall':>8} {'cpu':>8}  {'x wall  x cpu':15}")
    try:
        _units, linked_of = make_units(work, args.units)
        if not (work / "scores.csv").exists():
            make_scores(work / "scores.csv", linked_of)
        sides = [Side("this", ROOT / "src", work)]
        if args.compare is not None:
            sides.append(Side("compared", args.compare.resolve(), work))
        for side in sides:
            side.make_register(work)
        for kind in args.kinds:
            folder = work / kind
            if not any(folder.glob("*.xlsx")):
                make_returns(folder, args.units, complete=kind == "complete")
            summary_of(sides, folder, kind, work, args.runs)
        print(f"load average after: {load()}")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
