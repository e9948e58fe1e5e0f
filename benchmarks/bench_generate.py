"""Time `esps generate` for many workbooks.

    python benchmarks/bench_generate.py            # 200 workbooks, one process per core
    python benchmarks/bench_generate.py --count 1000 --jobs 1

Prints the one-off template build (a full openpyxl build of one workbook), then the wall time
and per-workbook time for the whole batch. Target: 200 workbooks in <= 10 s on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

from esps_cli.domain.framework import load_framework
from esps_cli.domain.paths import EXAMPLES_DIR
from esps_cli.domain.units import Unit
from esps_cli.workbook.generate import build_template, generate_workbooks
from esps_cli.working.lists import load_advisors, load_units


def synthetic_units(base: list[Unit], count: int) -> list[Unit]:
    """count units cycling through the example list, each with its own code."""
    return [
        base[i % len(base)].model_copy(update={"code": f"U{i:05d}",
                                               "name": f"{base[i % len(base)].name} {i}"})
        for i in range(count)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--cycle", default="2010-11")
    args = parser.parse_args()

    framework = load_framework()
    cycle = framework.cycle(args.cycle)
    advisors = load_advisors(EXAMPLES_DIR / "dcfas.csv")
    units = synthetic_units(load_units(EXAMPLES_DIR / "units.csv", framework, advisors),
                            args.count)

    started = time.perf_counter()
    template = build_template(framework, cycle, advisors)
    build_ms = (time.perf_counter() - started) * 1000

    out = Path(tempfile.mkdtemp(prefix="esps-bench-"))
    try:
        started = time.perf_counter()
        result = generate_workbooks(framework, units, advisors, out, cycle, jobs=args.jobs)
        wall = time.perf_counter() - started
        size = sum(p.stat().st_size for p in result.written) / len(result.written)
    finally:
        shutil.rmtree(out, ignore_errors=True)

    print(f"cores: {os.cpu_count()}  jobs: {args.jobs}  indicators per workbook: "
          f"{len(framework.cycle_indicators(cycle))}")
    print(f"full openpyxl build of one workbook (the template): {build_ms:8.1f} ms "
          f"({len(template) / 1024:.0f} KB)")
    print(f"generated {len(result.written)} workbooks in           {wall:8.2f} s wall "
          f"(includes the template build)")
    print(f"per workbook (wall / count):                        {wall * 1000 / args.count:8.1f} ms")
    print(f"average file size:                                  {size / 1024:8.1f} KB")
    peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
               resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    print(f"peak memory (largest process):                      {peak:8.0f} MB")
    target = 10.0 * args.count / 200
    verdict = "MET" if wall <= target else "NOT MET"
    print(f"target {target:.1f} s for {args.count} workbooks: {verdict}")


if __name__ == "__main__":
    main()
