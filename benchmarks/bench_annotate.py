"""Time `esps validate --annotate` on a folder of returns that all have findings.

    python benchmarks/bench_annotate.py                  # 200 half-finished returns
    python benchmarks/bench_annotate.py --count 500 --jobs 2

Makes N incomplete returns (the cycle's template filled once as a unit stopped half-way
would, then rendered for N synthetic units, as `esps generate` does), then times, on the same
files, validation of the folder and the marked-up copies of every return (each has about 100
findings), over --jobs processes, and prints the time per copy.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path

from esps_cli.domain.framework import load_framework
from esps_cli.domain.paths import EXAMPLES_DIR
from esps_cli.domain.units import Unit
from esps_cli.io.batch import resolve_jobs
from esps_cli.validation.batch import validate_paths
from esps_cli.workbook.annotate import mark_up_returns
from esps_cli.workbook.generate import (
    build_template,
    render_workbook,
    unit_values,
    workbook_filename,
)
from esps_cli.workbook.samples import fill_bytes
from esps_cli.working.lists import load_advisors, load_units


def synthetic_units(base: list[Unit], count: int) -> list[Unit]:
    return [base[i % len(base)].model_copy(update={"code": f"U{i:05d}",
                                                   "name": f"{base[i % len(base)].name} {i}"})
            for i in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=0, help="processes (0: one per core)")
    parser.add_argument("--cycle", default="2010-11")
    args = parser.parse_args()
    framework = load_framework()
    cycle = framework.cycle(args.cycle)
    advisors = load_advisors(EXAMPLES_DIR / "dcfas.csv")
    units = synthetic_units(load_units(EXAMPLES_DIR / "units.csv", framework, advisors),
                            args.count)
    work = Path(tempfile.mkdtemp(prefix="esps-bench-annotate-"))
    try:
        returns = work / "returns"
        returns.mkdir()
        template = fill_bytes(build_template(framework, cycle, advisors), framework,
                              "incomplete")
        by_id = {a.id: a for a in advisors}
        for unit in units:
            data = render_workbook(template, unit_values(unit, framework, by_id))
            (returns / workbook_filename(unit, cycle)).write_bytes(data)
        jobs = resolve_jobs(args.jobs or None)
        started = time.perf_counter()
        report = validate_paths([returns], framework, jobs=jobs, today=date(2010, 9, 1))
        validated = time.perf_counter() - started
        started = time.perf_counter()
        result = mark_up_returns(report.workbooks, work / "marked", checked_on=report.checked_on,
                                 jobs=jobs)
        marked = time.perf_counter() - started
        findings = sum(c.findings for c in result.written)
        print(f"{args.count} returns, {jobs} process(es): validate {validated:.1f} s; "
              f"{len(result.written)} marked-up copies ({findings:,} findings) in {marked:.1f} s "
              f"= {1000 * marked / max(1, len(result.written)):.0f} ms per copy; "
              f"not written: {len(result.not_written)}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
