"""The decisions `esps summary`, `actions` and `feedback` take from a summary: which views
to show, whether the organisation falls short (the exit code), which unit's gaps and
findings, and the name of the year an action plan is for."""

from __future__ import annotations

from collections.abc import Iterable

from esps_cli.domain.framework import Cycle, Framework
from esps_cli.errors import ConfigError
from esps_cli.findings import Finding
from esps_cli.summary.models import VIEWS, Gap, SummaryReport, UnitStanding, View
from esps_cli.validation.report import BatchReport

DEFAULT_VIEWS: tuple[View, ...] = ("business-group", "theme")


def select_views(names: Iterable[str]) -> list[View]:
    """The roll-ups asked for, in the framework's order; business group and theme if none."""
    wanted = set(names) or set(DEFAULT_VIEWS)
    return [v for v in VIEWS if v in wanted]


def falls_short(report: SummaryReport, *, exceptions: bool = False) -> bool:
    """Exit 1 or 0: with exceptions, whether there are any; else whether the KPI is not met."""
    return bool(report.exceptions) if exceptions else report.organisation.kpi != "MET"


def unit_gaps(report: SummaryReport, codes: set[str]) -> list[Gap]:
    return [g for g in report.gaps if g.unit_code in codes]


def standing_of(report: SummaryReport, code: str) -> UnitStanding:
    for s in report.units:
        if s.unit_code == code:
            return s
    raise ConfigError(f"unit {code} is not in the summary")


def unit_findings(batch: BatchReport, code: str) -> list[Finding]:
    """Every finding on the unit's returns (unit codes compared without case)."""
    key = code.casefold()
    return [f for w in batch.workbooks if w.unit_code and w.unit_code.casefold() == key
            for f in w.findings]


def next_cycle_name(framework: Framework, cycle: Cycle) -> str:
    """The cycle after this one (the year an action plan is for): the framework's next cycle,
    else the next financial year's name (FY2012/13)."""
    ids = [c.id for c in framework.cycles]
    i = ids.index(cycle.id)
    if i + 1 < len(ids):
        return framework.cycles[i + 1].name
    start = int(cycle.id[:4]) + 1
    return f"FY{start}/{(start + 1) % 100:02d}"
