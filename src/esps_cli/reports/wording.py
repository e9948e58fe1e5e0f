"""The Board's words, shared by the printed Board pack and the terminal summary: titles, a RAG
status in words, a trend, the KPI formula. Kept apart from reports.board so the terminal
summary does not load the workbook writer (openpyxl) to say them."""

from __future__ import annotations

from collections import Counter

from esps_cli.domain.framework import Framework, Rag
from esps_cli.summary.compare import NO_DATA_YET, CycleComparison, Trend
from esps_cli.summary.models import SummaryReport

BOARD_TITLE = "ESPS compliance: report to the Diversity Board"
PUBLIC_TITLE = "ESPS compliance: public edition for community review"
COMPARISON_TITLE = "ESPS compliance: cycle comparison"
ARROW = {"up": "▲", "down": "▼", "same": "►"}


def board_title(public: bool) -> str:
    return PUBLIC_TITLE if public else BOARD_TITLE


def rag_text(framework: Framework, rag: Rag) -> str:
    """The RAG status as words, so it reads without the colour."""
    return f"{rag.upper()}: {framework.bands.band(rag).label}"


def trend_text(change: float | None, trend: Trend | None, *,
               missing: str = "no previous figure") -> str:
    """'▲ up 2.0 pts', '► no change', or `missing` (e.g. "no data yet") with no change."""
    if change is None or trend is None:
        return missing
    if trend == "same":
        return f"{ARROW[trend]} no change"
    return f"{ARROW[trend]} {'up' if trend == 'up' else 'down'} {abs(change):.1f} pts"


def formula_text(meeting: int, units: int, pct: float) -> str:
    return (f"Compliance % = units meeting the baseline ÷ units on the list × 100 = "
            f"{meeting} ÷ {units} × 100 = {pct:.1f}%")


def board_asks(report: SummaryReport, framework: Framework) -> list[str]:
    """What the Board is asked to note or decide, from the figures."""
    org = report.organisation
    cycle = framework.cycle(org.cycle)
    counts = Counter(s.status for s in report.units)
    asks = [f"NOTE that {org.meeting} of {org.units} units ({org.compliance_pct:.1f}%) meet "
            f"the baseline against the {org.cycle_name} target of {org.target_pct:g}% "
            f"({rag_text(framework, org.rag)})"
            + (f"; {org.units_needed} more unit(s) are needed." if org.units_needed
               else "; the KPI is met.")]
    missing = [s for s in report.units if s.status == "not-returned"]
    if missing:
        by_group = Counter(s.business_group for s in missing)
        names = {g.id: g.name for g in framework.business_groups}
        where = ", ".join(f"{names.get(g, g)} {n}" for g, n in by_group.most_common())
        asks.append(f"DECIDE whether business group leads are asked to secure the "
                    f"{len(missing)} missing return(s) by a set date (the deadline was "
                    f"{cycle.submission_deadline:%d/%m/%Y}). By group: {where}.")
    problems = [what.format(n) for n, what in (
        (counts["invalid"], "{} return(s) are invalid"),
        (counts["unreadable"], "{} return(s) cannot be read"),
        (counts["duplicate-returns"], "{} unit(s) sent more than one return")) if n]
    if problems:
        asks.append(f"NOTE that {'; '.join(problems)}: the units have been told what to "
                    "correct and must return their workbooks again.")
    waiting = sum(counts[k] for k in ("awaiting-linked", "awaiting-unlinked",
                                      "awaiting-moderation"))
    if waiting:
        asks.append(f"NOTE that {waiting} unit(s) are still being scored by the DCFAs "
                    f"({counts['awaiting-moderation']} awaiting moderation); their standing "
                    "may change.")
    challenged = report.community.counts if report.community else None
    if challenged is not None and challenged.received:
        asks.append(f"NOTE that community groups made {challenged.received} challenge(s) to "
                    f"the assessment: {challenged.open} open ({challenged.overdue} overdue), "
                    f"{challenged.upheld} upheld and {challenged.partly_upheld} partly upheld; "
                    f"{challenged.scores_changed} score(s) changed as a result.")
    if counts["below-baseline"]:
        asks.append(f"DECIDE whether the {counts['below-baseline']} unit(s) below the "
                    "baseline are buddied with units of their business group that meet it; "
                    "their gaps go into next year's business action plans.")
    return asks


def comparison_change_text(comparison: CycleComparison) -> str:
    """'▲ up 2.0 pts', or which cycle has no data yet (nothing to compare with)."""
    if comparison.no_data_yet:
        return f"{NO_DATA_YET} for {' and '.join(comparison.no_data_yet)}"
    return trend_text(comparison.compliance_change_pts, comparison.trend)
