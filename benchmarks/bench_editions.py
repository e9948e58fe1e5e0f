"""How long the editions take to build, and how big the public page is (issue 22's goal: the
56-unit public page under 300 KB, built in under 2 s).

    python benchmarks/bench_editions.py [--repeat 5]

The summary of the bundled examples (56 units, the sample returns) is made once; then the
public edition and the Board pack are built as web pages `--repeat` times (best time
printed), and each is printed to PDF once where WeasyPrint is installed. Say the machine's
load (`uptime`) beside any figure you quote.
"""

from __future__ import annotations

import argparse
import os
import time

from esps_cli.domain.framework import load_framework
from esps_cli.domain.paths import EXAMPLES_DIR, default_framework_path
from esps_cli.reports.editions.render import pdf_bytes
from esps_cli.reports.editions.summary import summary_html
from esps_cli.summary.sources import collect_summary
from esps_cli.working.lists import load_advisors, load_units


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    framework = load_framework(default_framework_path())
    advisors = load_advisors(EXAMPLES_DIR / "dcfas.csv")
    units = load_units(EXAMPLES_DIR / "units.csv", framework, advisors)
    print(f"load average {os.getloadavg()[0]:.1f}")
    for public in (True, False):
        report, _ = collect_summary(framework, "2010-11", units, advisors,
                                    [EXAMPLES_DIR / "returned"], None, jobs=1, public=public)
        best, html = float("inf"), ""
        for _ in range(args.repeat):
            start = time.perf_counter()
            html = summary_html(report, framework, classification="OFFICIAL")
            best = min(best, time.perf_counter() - start)
        name = "public edition" if public else "Board pack"
        print(f"{name}: {len(report.units)} units, page {len(html.encode()) / 1024:.0f} KB, "
              f"built in {best:.3f} s (best of {args.repeat})")
        try:
            start = time.perf_counter()
            pdf = pdf_bytes(html)
            print(f"{name}: PDF {len(pdf) / 1024:.0f} KB in {time.perf_counter() - start:.2f} s")
        except Exception as exc:  # no WeasyPrint: the page figures stand alone
            print(f"{name}: no PDF ({exc})")


if __name__ == "__main__":
    main()
