"""The Board pack as a web page and a PDF: page 1 is what a Board member can act on (the KPI
with the units behind it, what the Board is asked to note or decide, the compliance chart with
its target line); then the exceptions, each unit once under its most blocking reason, named,
with what, why, the action, its owner and by when; then the appendix of detail."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from pydantic import BaseModel

from esps_cli.domain.framework import Framework
from esps_cli.reports.editions.page import Bar, BarChart, EditionInfo, Table, cols
from esps_cli.reports.editions.public import unit_label
from esps_cli.reports.editions.quality import QualitySection, quality_section
from esps_cli.reports.wording import formula_text, rag_text, trend_text
from esps_cli.summary.compare import trend
from esps_cli.summary.models import (
    STATUS_LABEL,
    STATUS_ORDER,
    SummaryReport,
    UnitStanding,
    UnitStatus,
)

RESPONSE_DAYS = 28  # "by when" for returns and scoring: four weeks from the report

# Why each exception matters to the Board, and who owns the action.
WHY: dict[UnitStatus, str] = {
    "not-returned": "Nothing can be assessed; each unit counts against the KPI until it "
                    "returns.",
    "duplicate-returns": "No return can be assessed until one is chosen.",
    "unreadable": "The return cannot be opened, so nothing in it can be assessed.",
    "invalid": "An invalid return cannot be scored; the unit counts as not meeting.",
    "awaiting-linked": "The unit's standing is not known until both DCFAs have scored.",
    "awaiting-unlinked": "The unit's standing is not known until both DCFAs have scored.",
    "awaiting-moderation": "The DCFAs' scores differ; the unit's standing waits on moderation.",
    "below-baseline": "Assessed and below the baseline: the KPI needs these units to improve.",
}
OWNER: dict[UnitStatus, str] = {
    "not-returned": "Business group leads ({groups}); DCFD chases",
    "duplicate-returns": "DCFD with the unit commanders",
    "unreadable": "Unit commanders; DCFD checks the new return",
    "invalid": "Unit commanders; DCFD checks the new return",
    "awaiting-linked": "Linked DCFAs: {linked}",
    "awaiting-unlinked": "Unlinked DCFAs: {unlinked}",
    "awaiting-moderation": "DCFD moderation panel",
    "below-baseline": "Unit commanders, with their linked DCFAs ({linked})",
}


class ExceptionGroup(BaseModel):
    status: UnitStatus
    label: str
    units: list[str]  # "Westminster (TP-CW)"
    what: str
    why: str
    action: str
    owner: str
    by_when: str


class BoardEdition(BaseModel):
    info: EditionInfo
    kpi: str
    kpi_detail: list[str]
    rag: str
    rag_class: str
    asks: list[str]
    chart: BarChart
    chart_table: Table
    exceptions: list[ExceptionGroup]
    appendix: list[Table]
    community: list[Table] = []  # challenge counts and this cycle's challenges
    quality: QualitySection | None = None  # assessment quality (reports.editions.quality)


def _names(ids: list[str | None], names: dict[str, str]) -> str:
    seen = sorted({names.get(i, i) for i in ids if i})
    return ", ".join(seen) or "not allocated"


def _exception_groups(report: SummaryReport, framework: Framework, made: date,
                      names: dict[str, str], next_year: str) -> list[ExceptionGroup]:
    """Each unit once, under its status (its most blocking reason)."""
    by_status: dict[UnitStatus, list[UnitStanding]] = {}
    for s in report.units:
        if s.status != "meets-baseline":
            by_status.setdefault(s.status, []).append(s)
    group_names = {g.id: g.name for g in framework.business_groups}
    groups = []
    for status in STATUS_ORDER:
        units = by_status.get(status, [])
        if not units:
            continue
        owner = OWNER[status].format(
            groups=", ".join(f"{group_names.get(g, g)} {n}" for g, n in
                             Counter(s.business_group for s in units).most_common()),
            linked=_names([s.linked_dcfa for s in units], names),
            unlinked=_names([s.unlinked_dcfa for s in units], names))
        by_when = (f"Start of {next_year}" if status == "below-baseline" else
                   f"{made + timedelta(days=RESPONSE_DAYS):%-d %B %Y} "
                   f"({RESPONSE_DAYS} days from this report)")
        groups.append(ExceptionGroup(
            status=status, label=STATUS_LABEL[status],
            units=[unit_label(s) for s in sorted(units, key=lambda u: u.unit_name.casefold())],
            what=f"{len(units)} unit{'s' if len(units) != 1 else ''}: "
                 f"{STATUS_LABEL[status].lower()}.",
            why=WHY[status], action=_action(status), owner=owner, by_when=by_when))
    return groups


def _action(status: UnitStatus) -> str:
    from esps_cli.summary.rules import EXCEPTION_NEXT

    return EXCEPTION_NEXT[status]


def _kpi(report: SummaryReport, framework: Framework, previous: SummaryReport | None
         ) -> tuple[str, list[str]]:
    org = report.organisation
    needed = org.meeting + org.units_needed
    verdict = ("KPI MET" if org.kpi == "MET" else
               f"KPI NOT MET: {org.units_needed} more unit{'s' if org.units_needed != 1 else ''}"
               " needed")
    kpi = (f"{org.compliance_pct:.1f}% of units meet the baseline: {org.meeting} of "
           f"{org.units} units. Target for {org.cycle_name}: {org.target_pct:g}% "
           f"({needed} units). {verdict}.")
    meeting = [unit_label(s) for s in report.units if s.meets_baseline]
    detail = [formula_text(org.meeting, org.units, org.compliance_pct)
              + ". Units that have not returned count as not meeting.",
              "Units meeting the baseline: " + (", ".join(meeting) or "none") + ".",
              f"Returns: {org.returned} of {org.units} units returned, {org.valid} valid. "
              f"A unit meets the baseline with {report.rule}."]
    if previous is not None:
        before = previous.organisation
        change = round(org.compliance_pct - before.compliance_pct, 1)
        arrow = trend_text(change, trend(before.compliance_pct, org.compliance_pct))
        detail.insert(0, f"Trend: {arrow} on {before.cycle_name} ({before.compliance_pct:.1f}%: "
                      f"{before.meeting} of {before.units} units).")
    return kpi, detail


def _rollup_table(report: SummaryReport, framework: Framework, view: str, id_: str,
                  caption: str, heading: str) -> Table:
    rows = [r for r in report.rollups if r.view == view]
    org = report.organisation
    table = Table(
        id=id_, caption=caption,
        columns=cols(heading, "Units", "Returned", "Meeting", "Compliance %", "Target %",
                     "RAG status", numeric=(1, 2, 3, 4, 5)),
        rows=[[r.label, r.units, r.returned, r.meeting, r.compliance_pct, r.target_pct,
               rag_text(framework, r.rag)] for r in rows])
    if view == "business-group":
        table.total = ["All units", org.units, org.returned, org.meeting, org.compliance_pct,
                       org.target_pct, rag_text(framework, org.rag)]
    return table


def _appendix(report: SummaryReport, framework: Framework, names: dict[str, str]
              ) -> list[Table]:
    group_names = {g.id: g.name for g in framework.business_groups}
    units = Table(
        id="units", caption=f"A2. Every unit ({len(report.units)}), by status",
        columns=cols("Unit", "Business group", "Status", "Evidence complete %",
                     "Linked scored", "Unlinked scored", "Mean combined score", "Linked DCFA",
                     "Unlinked DCFA", numeric=(3, 4, 5, 6)),
        rows=[[unit_label(s), group_names.get(s.business_group, s.business_group),
               STATUS_LABEL[s.status], s.evidence_completeness_pct,
               s.linked_scored, s.unlinked_scored, s.mean_combined,
               names.get(s.linked_dcfa, s.linked_dcfa),
               names.get(s.unlinked_dcfa or "", s.unlinked_dcfa)]
              for s in sorted(report.units, key=lambda u: (STATUS_ORDER.index(u.status),
                                                           u.unit_name.casefold()))])
    reasons = Table(
        id="exception-detail", caption="A3. Every reason for every unit not meeting the "
        "baseline, with its detail",
        columns=cols("Unit", "Reason", "Detail"),
        rows=[[unit_label_of(e.unit_name, e.unit_code), STATUS_LABEL[e.category], e.detail]
              for e in report.exceptions])
    scores = Table(
        id="score-distribution", caption="A4. Indicator scores given, by assessor",
        columns=cols("Score", "Meaning", "Linked DCFA", "Unlinked DCFA", "Combined",
                     numeric=(0, 2, 3, 4)),
        rows=[[score, framework.scale.label(score),
               *(report.score_distribution.get(role, {}).get(score, 0)
                 for role in ("linked", "unlinked", "combined"))]
              for score in framework.scale.scores])
    themes = _rollup_table(report, framework, "theme", "by-theme",
                           "A1. Compliance by national theme", "National theme")
    return [themes, units, reasons, scores]


def unit_label_of(name: str, code: str) -> str:
    return f"{name} ({code})" if name else code


def board_edition(report: SummaryReport, framework: Framework, info: EditionInfo, *,
                  previous: SummaryReport | None = None,
                  advisor_names: dict[str, str] | None = None,
                  next_year: str = "next year") -> BoardEdition:
    """The Board pack's content, from the cycle's summary (and the previous cycle's, for the
    trend)."""
    from esps_cli.reports.editions.community import board_community
    from esps_cli.reports.wording import board_asks

    names = advisor_names or {}
    org = report.organisation
    kpi, detail = _kpi(report, framework, previous)
    groups = [r for r in report.rollups if r.view == "business-group"]
    chart = BarChart(
        id="chart-groups", title=f"Compliance % by business group (target {org.target_pct:g}%)",
        summary=(f"Horizontal bar chart of the compliance % of each business group, with the "
                 f"target of {org.target_pct:g}% as a dashed line. "
                 + " ".join(f"{r.label}: {r.compliance_pct:.1f}% ({r.meeting} of {r.units})."
                            for r in groups)),
        bars=[Bar(label=r.label, value=r.compliance_pct) for r in groups],
        target=org.target_pct)
    return BoardEdition(
        info=info, kpi=kpi, kpi_detail=detail, rag=rag_text(framework, org.rag),
        rag_class=f"rag-{org.rag}", asks=board_asks(report, framework), chart=chart,
        chart_table=_rollup_table(report, framework, "business-group", "by-group",
                                  "Compliance by business group", "Business group"),
        exceptions=_exception_groups(report, framework, info.made_at.date(), names,
                                     next_year),
        appendix=_appendix(report, framework, names),
        community=board_community(report.community),
        quality=quality_section(report, names))
