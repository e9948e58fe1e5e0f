"""Time `esps validate` on many filled returns, against bare reads of the same files.

    python benchmarks/bench_validate.py                 # 1000 returns, one process per core
    python benchmarks/bench_validate.py --count 200 --jobs 2

Makes N complete returns (the cycle's template filled once as a unit would, then rendered for
N synthetic units, as `esps generate` does), then prints, on the same files:

- validate: wall time for the batch over --jobs processes, and serially (jobs=1), per workbook;
- a bare python-calamine read per workbook (every value of the sheets validate reads);
- a bare openpyxl read-only read per workbook (the same sheets; on a sample, it is slow);
- the ratios, and peak memory (max RSS of this process and of the largest worker).

Targets (issue 3): 1,000 returns <= 10 s on 2 cores; validate <= 1.5x the bare calamine read;
peak memory <= 300 MB.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import openpyxl
import python_calamine

from esps_cli.domain.framework import load_framework
from esps_cli.domain.paths import EXAMPLES_DIR
from esps_cli.domain.units import Unit
from esps_cli.io.batch import resolve_jobs
from esps_cli.validation.batch import validate_paths
from esps_cli.validation.validate import validate_workbook
from esps_cli.workbook.generate import (
    build_template,
    render_workbook,
    unit_values,
    workbook_filename,
)
from esps_cli.workbook.layout import READ_SHEETS
from esps_cli.workbook.samples import fill_bytes
from esps_cli.working.lists import load_advisors, load_units


def synthetic_units(base: list[Unit], count: int) -> list[Unit]:
    return [
        base[i % len(base)].model_copy(update={"code": f"U{i:05d}",
                                               "name": f"{base[i % len(base)].name} {i}"})
        for i in range(count)
    ]


def bare_calamine(path: Path) -> int:
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    cells = 0
    for name in READ_SHEETS:
        rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        cells += sum(len(r) for r in rows)
    return cells


def bare_openpyxl(path: Path) -> int:
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    cells = 0
    try:
        for name in READ_SHEETS:
            for row in wb[name].iter_rows(values_only=True):
                cells += len(row)
    finally:
        wb.close()
    return cells


def per_file_ms(func, paths: list[Path], repeats: int = 1) -> float:
    """Median over repeats of the mean time per file, in ms (serial, this process)."""
    means = []
    for _ in range(repeats):
        started = time.perf_counter()
        for p in paths:
            func(p)
        means.append((time.perf_counter() - started) * 1000 / len(paths))
    return statistics.median(means)


def interleaved_ms(funcs: dict[str, object], paths: list[Path], rounds: int
                   ) -> tuple[dict[str, float], list[float]]:
    """Each round times every function over the same files, one after the other, so a busy
    machine slows them alike; the best per-file time of each, and each round's ratio of the
    first function's time to the second's."""
    best = dict.fromkeys(funcs, float("inf"))
    ratios = []
    for _ in range(rounds):
        this = {}
        for name, func in funcs.items():
            this[name] = per_file_ms(func, paths)
            best[name] = min(best[name], this[name])
        first, second = list(funcs)[:2]
        ratios.append(this[first] / this[second])
    return best, ratios


def max_rss_mb(who: int) -> float:
    rss = resource.getrusage(who).ru_maxrss
    return rss / 1024 if sys.platform != "darwin" else rss / (1024 * 1024)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=0, help="processes (0: one per core)")
    parser.add_argument("--cycle", default="2010-11")
    parser.add_argument("--rounds", type=int, default=5,
                        help="interleaved rounds of validate and bare reads")
    parser.add_argument("--openpyxl-sample", type=int, default=50,
                        help="files to time the openpyxl read on (it is slow)")
    args = parser.parse_args()
    jobs = resolve_jobs(args.jobs or None)

    framework = load_framework()
    cycle = framework.cycle(args.cycle)
    advisors = load_advisors(EXAMPLES_DIR / "dcfas.csv")
    by_id = {a.id: a for a in advisors}
    units = synthetic_units(load_units(EXAMPLES_DIR / "units.csv", framework, advisors),
                            args.count)

    out = Path(tempfile.mkdtemp(prefix="esps-bench-validate-"))
    try:
        started = time.perf_counter()
        # Fill the cycle's template once, then render it per unit: every file is a complete,
        # distinct return.
        filled = fill_bytes(build_template(framework, cycle, advisors), framework, "complete")
        paths = []
        for unit in units:
            path = out / workbook_filename(unit, cycle)
            path.write_bytes(render_workbook(filled, unit_values(unit, framework, by_id)))
            paths.append(path)
        setup = time.perf_counter() - started
        size_kb = sum(p.stat().st_size for p in paths) / len(paths) / 1024

        one = validate_workbook(paths[0], framework)
        assert one.valid and not one.findings, one.findings

        # Warm the page cache and the imports so every measure reads the same way.
        per_file_ms(bare_calamine, paths[: min(50, len(paths))])

        started = time.perf_counter()
        batch = validate_paths([out], framework, jobs=jobs)
        parallel_wall = time.perf_counter() - started
        assert batch.totals.valid == args.count, batch.totals
        del batch

        started = time.perf_counter()
        serial = validate_paths([out], framework, jobs=1)
        serial_wall = time.perf_counter() - started
        assert serial.totals.valid == args.count
        del serial

        best, ratios = interleaved_ms(
            {"validate": lambda p: validate_workbook(p, framework), "calamine": bare_calamine},
            paths, rounds=args.rounds)
        validate_ms, calamine_ms = best["validate"], best["calamine"]
        sample = paths[: max(1, min(args.openpyxl_sample, len(paths)))]
        openpyxl_ms = per_file_ms(bare_openpyxl, sample)
    finally:
        shutil.rmtree(out, ignore_errors=True)

    target_wall = 10.0 * args.count / 1000
    rss_self, rss_child = max_rss_mb(resource.RUSAGE_SELF), max_rss_mb(resource.RUSAGE_CHILDREN)

    def verdict(ok: bool) -> str:
        return "MET" if ok else "NOT MET"

    print(f"cores: {os.cpu_count()}  jobs: {jobs}  returns: {args.count}  "
          f"indicators: {len(framework.cycle_indicators(cycle))}  "
          f"evidence rows: {one.evidence_rows}  file: {size_kb:.0f} KB  (setup {setup:.1f} s)")
    print(f"validate, {jobs} process(es):  {parallel_wall:7.2f} s wall  "
          f"{parallel_wall * 1000 / args.count:6.2f} ms/workbook")
    print(f"validate, serial:          {serial_wall:7.2f} s wall  "
          f"{serial_wall * 1000 / args.count:6.2f} ms/workbook (validate_paths, jobs=1)")
    print(f"validate_workbook alone:                 {validate_ms:6.2f} ms/workbook")
    print(f"bare calamine read:                      {calamine_ms:6.2f} ms/workbook "
          f"(sheets: {', '.join(READ_SHEETS)})")
    print(f"bare openpyxl read-only read:            {openpyxl_ms:6.2f} ms/workbook "
          f"(sample of {len(sample)})")
    print(f"ratio validate / bare calamine:          {validate_ms / calamine_ms:6.2f}x "
          f"(best times; per round: median {statistics.median(ratios):.2f}x, "
          f"best {min(ratios):.2f}x, worst {max(ratios):.2f}x)")
    print(f"ratio serial batch / bare calamine:      "
          f"{serial_wall * 1000 / args.count / calamine_ms:6.2f}x")
    print(f"ratio openpyxl / calamine:               {openpyxl_ms / calamine_ms:6.1f}x")
    print(f"peak memory: this process {rss_self:.0f} MB, largest worker {rss_child:.0f} MB")
    print(f"target {target_wall:.1f} s for {args.count} returns on {jobs} process(es): "
          f"{verdict(parallel_wall <= target_wall)}")
    print(f"target validate <= 1.5x bare calamine read: "
          f"{verdict(statistics.median(ratios) <= 1.5)} (median round)")
    print(f"target peak memory <= 300 MB: {verdict(max(rss_self, rss_child) <= 300)}")


if __name__ == "__main__":
    main()
