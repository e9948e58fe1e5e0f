"""Issue 24's register figures, as ratios, on a throw-away PostgreSQL cluster (tests/pgserver).

    python benchmarks/bench_register.py concurrency        # 8 writers x 13,500 rows
    python benchmarks/bench_register.py concurrency --writers 4 --units-per-writer 25
    python benchmarks/bench_register.py import             # 108,000 and 464,000 rows, SQLite
    python benchmarks/bench_register.py import --engine postgresql

concurrency: the same 8 CSVs (each one advisor group's units: every indicator, linked and
unlinked, 13,500 rows) imported one after another into a fresh register, then all at once
into another: every import must succeed, nothing be lost and `esps log --verify` say intact;
printed: both wall times and their ratio (goal: at once < one after another).

import: `esps score import` of one CSV of 108,000 and of 464,000 rows into a fresh register:
wall and CPU time, peak memory, and the ratios 464k/108k of time (goal: about the ratio of
rows, 4.3x: linear) and the peak memory (goal: <= 300 MB at 464k).

Say the load (`uptime`, printed first) beside any figure.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_goals import CYCLE, make_units, peak_mb, put_returns_on_record  # noqa: E402
from bench_startup import _children_cpu, esps_command  # noqa: E402

ENV = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(ROOT / "src")}


def _indicators() -> list[str]:
    from esps_cli.domain.framework import load_framework

    framework = load_framework()
    return [i.id for i in framework.cycle_indicators(framework.cycle(CYCLE))]


def _advisors() -> list[str]:
    from esps_cli.domain.paths import EXAMPLES_DIR

    with (EXAMPLES_DIR / "dcfas.csv").open(encoding="utf-8", newline="") as fh:
        return [row["id"] for row in csv.DictReader(fh)]


def write_scores(path: Path, units: list[str], linked_of: dict[str, str],
                 unlinked_of: dict[str, str]) -> int:
    """Every indicator of these units, linked (the unit's linked DCFA) and unlinked (its
    allocated DCFA)."""
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["unit", "indicator", "role", "assessor", "score", "comment"])
        for u, code in enumerate(units):
            for k, ind in enumerate(_indicators()):
                w.writerow([code, ind, "linked", linked_of[code], 2 + (u + k) % 3, ""])
                w.writerow([code, ind, "unlinked", unlinked_of[code], 2 + (u + 2 * k) % 3,
                            "seen"])
                rows += 2
    return rows


def _allocation(linked_of: dict[str, str]) -> dict[str, str]:
    advisors = _advisors()
    out = {}
    for n, (code, linked) in enumerate(linked_of.items()):
        others = [a for a in advisors if a != linked]
        out[code] = others[n % len(others)]
    return out


def _prepare(register: str, linked_of: dict[str, str], unlinked_of: dict[str, str]) -> None:
    from esps_cli.register import Register

    put_returns_on_record(register, list(linked_of))  # type: ignore[arg-type]
    with Register.open(register) as reg:
        reg.allocate(CYCLE, unlinked_of, seed=1)


def _import(esps: list[str], register: str, units: Path, csv_path: Path) -> list[str]:
    return [*esps, "score", "import", str(csv_path), "--register", register, "--units",
            str(units), "--cycle", CYCLE, "--format", "json"]


def _check(register: str, expected: int, esps: list[str]) -> None:
    from esps_cli.register import Register

    with Register.open(register, create=False) as reg:
        got = reg.event_count(CYCLE)
    if got != expected:
        sys.exit(f"LOST: {got} score events recorded, expected {expected}")
    done = subprocess.run([*esps, "log", "--verify", "--register", register],
                          capture_output=True, text=True, env=ENV)
    if done.returncode != 0:
        sys.exit(f"the audit chain does not verify: {done.stdout}{done.stderr}")


def concurrency(args: argparse.Namespace) -> None:
    from tests.pgserver import Cluster, find_bin

    bindir = find_bin()
    if bindir is None:
        sys.exit("PostgreSQL server binaries are not installed")
    esps = esps_command()
    cluster = Cluster(bindir)
    cluster.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            units_csv, linked_of = make_units(work, args.writers * args.units_per_writer)
            unlinked_of = _allocation(linked_of)
            codes = list(linked_of)
            files = []
            for w in range(args.writers):
                part = codes[w * args.units_per_writer:(w + 1) * args.units_per_writer]
                path = work / f"advisor-{w}.csv"
                rows = write_scores(path, part, linked_of, unlinked_of)
                files.append(path)
            print(f"{args.writers} files of {rows:,} rows", flush=True)
            timings = {}
            for mode in ("one after another", "all at once"):
                register = cluster.url(cluster.new_database())
                _prepare(register, linked_of, unlinked_of)
                argvs = [_import(esps, register, units_csv, f) for f in files]
                started = time.perf_counter()
                if mode == "one after another":
                    done = [subprocess.run(a, capture_output=True, text=True, env=ENV)
                            for a in argvs]
                    codes_out = [(d.returncode, d.stderr) for d in done]
                else:
                    procs = [subprocess.Popen(a, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                              text=True, env=ENV) for a in argvs]
                    codes_out = [(p.wait(), p.communicate()[1]) for p in procs]
                timings[mode] = time.perf_counter() - started
                failed = [err for rc, err in codes_out if rc != 0]
                if failed:
                    sys.exit(f"{mode}: {len(failed)} import(s) failed: {failed[0][-800:]}")
                _check(register, rows * args.writers, esps)
                print(f"{mode:20} {timings[mode]:7.2f}s  all {args.writers} recorded, "
                      "log --verify intact", flush=True)
            ratio = timings["all at once"] / timings["one after another"]
            print(f"at once / one after another: {ratio:.2f}x "
                  f"(goal < 1: {'met' if ratio < 1 else 'NOT met'})")
    finally:
        cluster.stop()
        cluster.remove()


def import_sizes(args: argparse.Namespace) -> None:
    esps = esps_command()
    figures = {}
    cluster = None
    if args.engine == "postgresql":
        from tests.pgserver import Cluster, find_bin

        bindir = find_bin()
        if bindir is None:
            sys.exit("PostgreSQL server binaries are not installed")
        cluster = Cluster(bindir)
        cluster.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            per_unit = 2 * len(_indicators())
            for size in args.sizes:
                folder = work / str(size)
                folder.mkdir()
                units_csv, linked_of = make_units(folder, -(-size // per_unit))
                unlinked_of = _allocation(linked_of)
                scores = folder / "scores.csv"
                rows = write_scores(scores, list(linked_of), linked_of, unlinked_of)
                register = (str(folder / "esps.db") if cluster is None
                            else cluster.url(cluster.new_database()))
                _prepare(register, linked_of, unlinked_of)
                argv = _import(esps, register, units_csv, scores)
                cpu, started = _children_cpu(), time.perf_counter()
                peak = peak_mb(argv)
                wall, used = time.perf_counter() - started, _children_cpu() - cpu
                _check(register, rows, esps)
                figures[size] = (rows, wall, used, peak)
                print(f"{rows:>9,} rows  {wall:7.2f}s wall  {used:7.2f}s cpu  "
                      f"peak {peak:6.0f} MB", flush=True)
    finally:
        if cluster is not None:
            cluster.stop()
            cluster.remove()
    small, large = (figures[s] for s in sorted(figures)[:1] + sorted(figures)[-1:])
    rows_ratio = large[0] / small[0]
    print(f"rows x{rows_ratio:.2f}: wall x{large[1] / small[1]:.2f}, cpu "
          f"x{large[2] / small[2]:.2f} (linear: about x{rows_ratio:.2f}); peak memory "
          f"x{large[3] / small[3]:.2f}, {large[3]:.0f} MB at {large[0]:,} rows "
          f"(goal <= 300 MB: {'met' if large[3] <= 300 else 'NOT met'})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    con = sub.add_parser("concurrency")
    con.add_argument("--writers", type=int, default=8)
    con.add_argument("--units-per-writer", type=int, default=125)
    imp = sub.add_parser("import")
    imp.add_argument("--sizes", type=int, nargs="+", default=[108_000, 464_000])
    imp.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    print("load:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(),
          flush=True)
    concurrency(args) if args.what == "concurrency" else import_sizes(args)


if __name__ == "__main__":
    main()
