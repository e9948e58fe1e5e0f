"""Issue 16's speed goals, each as a ratio to a bare baseline, in one run.

    python benchmarks/bench_goals.py                     # 300 and 1,000 returns, 108,000 scores
    python benchmarks/bench_goals.py --counts 300 --runs 1

Every measure is a whole process (`esps ...` from start-up to exit, output to /dev/null), its
wall time and its CPU time (user + system, children included: the CPU figure is steadier on a
busy machine). The baselines are whole processes too, so start-up is counted on both sides:

- folder validate (complete returns, `--format json`, one process per core) vs a bare
  python-calamine read of the same sheets of the same files, serially: goal <= 1.5x, at each
  count;
- the text report of 1,000 blank returns vs their `--format json` report: goal <= 2x;
- `esps score agreement` and `esps score export` over 108,000 scores (1,000 units x 54
  indicators x linked and unlinked) vs a bare sqlite3 read of the register's score rows:
  goal <= 5x each;
- `esps score import` of those 108,000 rows from one CSV: goal <= 3 s wall;
- `esps summary` over 1,000 unchanged complete returns and those scores (its validation
  cache filled by a first run) vs a bare calamine read of the returns: goal <= 1x, and its
  peak memory <= 300 MB.

Medians of --runs runs (the import runs once per register).
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_startup import _children_cpu, esps_command  # noqa: E402  (one definition)

CYCLE = "2010-11"


def timed(argv: list[str], runs: int, ok: tuple[int, ...] = (0, 1)) -> tuple[float, float]:
    """Median wall and CPU seconds of runs of argv (stdout to /dev/null)."""
    walls, cpus = [], []
    env = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(ROOT / "src")}
    for _ in range(runs):
        cpu, started = _children_cpu(), time.perf_counter()
        done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        walls.append(time.perf_counter() - started)
        cpus.append(_children_cpu() - cpu)
        if done.returncode not in ok:
            sys.exit(f"{' '.join(argv)} exited {done.returncode}: {done.stderr.decode()[-800:]}")
    return statistics.median(walls), statistics.median(cpus)


BARE_CALAMINE = """
import sys, python_calamine
from pathlib import Path
SHEETS = sys.argv[2].split("|")
cells = 0
for path in sorted(Path(sys.argv[1]).glob("*.xlsx")):
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    for name in SHEETS:
        cells += sum(len(r) for r in book.get_sheet_by_name(name).to_python(skip_empty_area=False))
print(cells)
"""

BARE_SQLITE = """
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
rows = con.execute("SELECT * FROM score_events").fetchall()
print(len(rows))
"""


def make_units(folder: Path, count: int) -> tuple[Path, dict[str, str]]:
    """A units list of count synthetic units (the example units' groups and linked DCFAs)."""
    from esps_cli.domain.paths import EXAMPLES_DIR

    with (EXAMPLES_DIR / "units.csv").open(encoding="utf-8", newline="") as fh:
        base = list(csv.DictReader(fh))
    path = folder / "units.csv"
    linked: dict[str, str] = {}
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["code", "name", "business_group", "linked_dcfa"])
        for i in range(count):
            b, code = base[i % len(base)], f"U{i:05d}"
            linked[code] = b["linked_dcfa"]
            w.writerow([code, f"{b['name']} {i}", b["business_group"], b["linked_dcfa"]])
    shutil.copyfile(EXAMPLES_DIR / "dcfas.csv", folder / "dcfas.csv")
    return path, linked


def make_returns(folder: Path, count: int, *, complete: bool) -> Path:
    """count returns for synthetic units: complete (filled once, rendered per unit) or blank."""
    from benchmarks.bench_validate import synthetic_units

    from esps_cli.domain.framework import load_framework
    from esps_cli.domain.paths import EXAMPLES_DIR
    from esps_cli.workbook.generate import (
        build_template,
        render_workbook,
        unit_values,
        workbook_filename,
    )
    from esps_cli.workbook.samples import fill_bytes
    from esps_cli.working.lists import load_advisors, load_units

    framework = load_framework()
    cycle = framework.cycle(CYCLE)
    advisors = load_advisors(EXAMPLES_DIR / "dcfas.csv")
    by_id = {a.id: a for a in advisors}
    units = synthetic_units(load_units(EXAMPLES_DIR / "units.csv", framework, advisors), count)
    template = build_template(framework, cycle, advisors)
    if complete:
        template = fill_bytes(template, framework, "complete")
    folder.mkdir(parents=True, exist_ok=True)
    for unit in units:
        (folder / workbook_filename(unit, cycle)).write_bytes(
            render_workbook(template, unit_values(unit, framework, by_id)))
    return folder


def make_scores(path: Path, linked_of: dict[str, str]) -> int:
    """Linked and unlinked scores for every indicator of every unit, as one CSV: the linked
    DCFA's, and another DCFA's as the unlinked."""
    from esps_cli.domain.framework import load_framework
    from esps_cli.domain.paths import EXAMPLES_DIR

    framework = load_framework()
    with (EXAMPLES_DIR / "dcfas.csv").open(encoding="utf-8", newline="") as fh:
        advisors = [row["id"] for row in csv.DictReader(fh)]
    indicators = [i.id for i in framework.cycle_indicators(framework.cycle(CYCLE))]
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["unit", "indicator", "role", "assessor", "score", "comment"])
        for u, (code, linked) in enumerate(linked_of.items()):
            others = [a for a in advisors if a != linked]
            unlinked = others[u % len(others)]
            for k, ind in enumerate(indicators):
                w.writerow([code, ind, "linked", linked, 2 + (u + k) % 3, ""])
                w.writerow([code, ind, "unlinked", unlinked, 2 + (u + k + (k % 5 == 0)) % 3,
                            ""])
                rows += 2
    return rows


def put_returns_on_record(register: Path, codes: list[str]) -> None:
    """Each unit's return on record, as issuing its scoring packs does (scores of a unit with
    no return on record are refused), without making 1,000 pack workbooks."""
    from esps_cli.register import Register
    from esps_cli.scoring.pack_store import PackIssue, record_pack

    with Register.open(register) as reg, reg.transaction():
        for code in codes:
            record_pack(reg, PackIssue(
                pack_id=f"bench-{CYCLE}-{code}", kind="scoring", cycle=CYCLE, unit=code,
                role="linked", assessor="-", file="-", return_source=f"{code}.xlsx",
                return_sha256="0" * 64))


def line(name: str, wall: float, cpu: float, base: tuple[float, float] | None = None,
         goal: float | None = None, goal_wall: float | None = None) -> None:
    ratio = ""
    verdict = ""
    if base:
        rw, rc = wall / base[0], cpu / (base[1] or 1)
        ratio = f"{rw:6.2f}x {rc:6.2f}x"
        if goal is not None:
            verdict = f"goal <= {goal:g}x: wall {'met' if rw <= goal else 'NOT met'}, " \
                      f"cpu {'met' if rc <= goal else 'NOT met'}"
    elif goal_wall is not None:
        verdict = f"goal <= {goal_wall:g} s: {'met' if wall <= goal_wall else 'NOT met'}"
    print(f"{name:44} {wall:7.2f}s {cpu:7.2f}s  {ratio:15}  {verdict}", flush=True)


PEAK = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def peak_mb(argv: list[str]) -> float:
    """The peak resident memory of argv's largest process, in MB (Linux: ru_maxrss in KiB)."""
    env = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(ROOT / "src")}
    out = subprocess.run([sys.executable, "-c", PEAK, *argv], capture_output=True, text=True,
                         env=env, check=True)
    return int(out.stdout.strip() or 0) / 1024


def summary_goal(esps: list[str], work: Path, count: int, common: list[str],
                 runs: int) -> None:
    """`esps summary` over count unchanged complete returns and the register's scores, vs a
    bare calamine read of the returns: the first run fills the validation cache."""
    from esps_cli.workbook.layout import READ_SHEETS

    folder = make_returns(work / f"summary-{count}", count, complete=True)
    bare = timed([sys.executable, "-c", BARE_CALAMINE, str(folder), "|".join(READ_SHEETS)],
                 runs)
    line(f"bare calamine read, {count} files", *bare)
    argv = [*esps, "summary", "--returns", str(folder), "--format", "json", *common]
    line("esps summary, first run (fills the cache)", *timed(argv, 1), base=bare)
    line(f"esps summary, {count} unchanged returns", *timed(argv, runs), base=bare, goal=1.0)
    mb = peak_mb(argv)
    print(f"{'  peak memory of that summary':44} {mb:7.0f} MB  goal <= 300 MB: "
          f"{'met' if mb <= 300 else 'NOT met'}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", type=int, nargs="+", default=[300, 1000])
    parser.add_argument("--units", type=int, default=1000, help="units for the scores")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip", nargs="*", default=[],
                        choices=["folder", "text", "scores", "summary"])
    args = parser.parse_args()
    from esps_cli.workbook.layout import READ_SHEETS

    esps = esps_command()
    work = Path(tempfile.mkdtemp(prefix="esps-bench-goals-"))
    print(f"{'':44} {'wall':>8} {'cpu':>8}  {'x wall  x cpu':15}  (medians of {args.runs}; "
          f"{os.cpu_count()} cores)")
    try:
        if "folder" not in args.skip:
            for count in args.counts:
                folder = make_returns(work / f"complete-{count}", count, complete=True)
                bare = timed([sys.executable, "-c", BARE_CALAMINE, str(folder),
                              "|".join(READ_SHEETS)], args.runs)
                line(f"bare calamine read, {count} files", *bare)
                line(f"esps validate DIR --format json, {count} files",
                     *timed([*esps, "validate", str(folder), "--format", "json"], args.runs),
                     base=bare, goal=1.5)
                shutil.rmtree(folder)
        if "text" not in args.skip:
            blank = make_returns(work / "blank", 1000, complete=False)
            as_json = timed([*esps, "validate", str(blank), "--format", "json"], args.runs)
            line("esps validate, 1,000 blank, --format json", *as_json)
            line("esps validate, 1,000 blank, text report",
                 *timed([*esps, "validate", str(blank)], args.runs), base=as_json, goal=2.0)
            shutil.rmtree(blank)
        if "scores" not in args.skip:
            units, linked_of = make_units(work, args.units)
            scores = work / "scores.csv"
            rows = make_scores(scores, linked_of)
            register = work / "esps.db"
            put_returns_on_record(register, list(linked_of))
            common = ["--units", str(units), "--advisors", str(work / "dcfas.csv"),
                      "--cycle", CYCLE, "--register", str(register)]
            line(f"esps score import, {rows:,} CSV rows",
                 *timed([*esps, "score", "import", str(scores), "--any-unlinked", *common], 1,
                        ok=(0,)), goal_wall=3.0)
            bare = timed([sys.executable, "-c", BARE_SQLITE, str(register)], args.runs)
            line(f"bare sqlite3 read of {rows:,} score rows", *bare)
            line("esps score agreement",
                 *timed([*esps, "score", "agreement", *common], args.runs), base=bare, goal=5.0)
            line("esps score export --format csv",
                 *timed([*esps, "score", "export", "--format", "csv", *common], args.runs),
                 base=bare, goal=5.0)
            if "summary" not in args.skip:
                summary_goal(esps, work, args.units, common, args.runs)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
