"""The Board pack and the cycle comparison workbooks, made to be printed.

The Board pack: page 1 is a one-page summary (the KPI against its target with the units
behind the percentage and the formula, RAG status per business group and theme with colour and
label, trend arrows against the previous cycle where there is one, native charts); then the
exceptions and what the Board is asked to note or decide; then the detail sheets. Every sheet
is set up by reports.printing (A4, one page wide, headings repeated, marking and footer).
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.label import DataLabelList
from openpyxl.chart.text import RichText
from openpyxl.chart.title import Title, title_maker
from openpyxl.drawing.text import CharacterProperties, Paragraph, ParagraphProperties
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from esps_cli.domain.framework import Framework, Rag
from esps_cli.reports.board_quality import quality_sheet
from esps_cli.reports.community import community_sheet, release_lines
from esps_cli.reports.printing import (
    BOX,
    FONT_NAME,
    Page,
    PrintInfo,
    print_setup,
    table_sheet,
)
from esps_cli.reports.wording import (
    board_asks,
    comparison_change_text,
    formula_text,
    rag_text,
    trend_text,
)
from esps_cli.summary.compare import NO_DATA_YET, CycleComparison, trend
from esps_cli.summary.models import STATUS_LABEL, VIEW_LABEL, Organisation, Rollup, SummaryReport
from esps_cli.summary.rules import EXCEPTION_NEXT

if TYPE_CHECKING:
    from esps_cli.reports.render import Destination

PCT = '0.0"%"'


# -- page furniture -----------------------------------------------------------------------


def _rag_cell(page: Page, row: int, col: int, framework: Framework, rag: Rag) -> None:
    c = page.ws.cell(row=row, column=col, value=rag_text(framework, rag))
    c.fill = PatternFill("solid", fgColor=framework.bands.band(rag).colour)
    c.font = Font(name=FONT_NAME, bold=True)
    c.border = BOX


# -- page 1: the summary ------------------------------------------------------------------


def _kpi_block(page: Page, report: SummaryReport, framework: Framework,
               previous: SummaryReport | None) -> None:
    org = report.organisation
    verdict = "MET" if org.kpi == "MET" else f"NOT MET; {org.units_needed} more unit(s) needed"
    page.text("Key performance indicator", size=12, bold=True)
    row = page.text(
        f"{org.compliance_pct:.1f}% of units meet the baseline: {org.meeting} of {org.units} "
        f"units. Target for {org.cycle_name}: {org.target_pct:g}%. {verdict}. RAG status: "
        f"{rag_text(framework, org.rag)}.", size=12, bold=True)
    page.ws.cell(row=row, column=1).fill = PatternFill(
        "solid", fgColor=framework.bands.band(org.rag).colour)
    if previous is not None:
        before = previous.organisation
        change = round(org.compliance_pct - before.compliance_pct, 1)
        direction = trend(before.compliance_pct, org.compliance_pct)
        page.text(f"Trend: {trend_text(change, direction)} on {before.cycle_name} "
                  f"({before.compliance_pct:.1f}%: {before.meeting} of {before.units} units).",
                  size=10, bold=True)
    page.text(formula_text(org.meeting, org.units, org.compliance_pct)
              + ". Units that have not returned count as not meeting. A unit meets the "
              f"baseline with {report.rule}.", size=9, italic=True)
    counts = Counter(s.status for s in report.units)
    listed = "; ".join(f"{STATUS_LABEL[k]} {counts[k]}" for k in STATUS_LABEL if counts[k])
    page.text(f"Returns: {org.returned} of {org.units} units returned, {org.valid} valid. "
              f"Units by status: {listed}.", size=10, gap=1)


def _rollup_table(page: Page, title: str, rows: list[Rollup], framework: Framework,
                  previous: SummaryReport | None, total: Organisation | None) -> int:
    """A roll-up with RAG and trend; returns the heading row (for the chart)."""
    page.text(title, size=12, bold=True)
    headings = ["Group", "Units", "Returned", "Meeting", "Compliance %", "Target %",
                "RAG status"]
    if previous is not None:
        headings.append(f"Trend on {previous.organisation.cycle_name}")
    top = page.header(headings)
    before = {(r.view, r.key): r for r in previous.rollups} if previous else {}
    fmt = {5: PCT, 6: '0"%"'}
    for r in rows:
        values: list[Any] = [r.label, r.units, r.returned, r.meeting, r.compliance_pct,
                             r.target_pct, None]
        if previous is not None:
            old = before.get((r.view, r.key))
            change = round(r.compliance_pct - old.compliance_pct, 1) if old else None
            values.append(trend_text(change, trend(old.compliance_pct, r.compliance_pct)
                                     if old else None))
        row = page.values(values, formats=fmt)
        _rag_cell(page, row, 7, framework, r.rag)
    if total is not None:
        values = ["All units", total.units, total.returned, total.meeting,
                  total.compliance_pct, total.target_pct, None]
        if previous is not None:
            old_pct = previous.organisation.compliance_pct
            values.append(trend_text(round(total.compliance_pct - old_pct, 1),
                                     trend(old_pct, total.compliance_pct)))
        row = page.values(values, bold=True, formats=fmt)
        _rag_cell(page, row, 7, framework, total.rag)
    return top


def _title_size() -> ParagraphProperties:
    """Chart titles at 11 pt, not the default 18 that wraps them."""
    return ParagraphProperties(defRPr=CharacterProperties(sz=1100, b=True))


def _sized_title(text: str) -> Title:
    """A chart title (what openpyxl makes of a string) in the size _title_size gives."""
    title = title_maker(text)
    # title_maker always fills in the text and one paragraph a line; the types allow None
    assert title.tx is not None and title.tx.rich is not None
    title.tx.rich.p[0].pPr = _title_size()
    return title


def _axis_text(size: int) -> RichText:
    """Axis labels at `size` hundredths of a point, so every business group is named."""
    return RichText(p=[Paragraph(pPr=ParagraphProperties(defRPr=CharacterProperties(sz=size)),
                                 endParaRPr=CharacterProperties(sz=size))])


def _charts(ws: Worksheet, top: int, groups: int, dist: Worksheet, framework: Framework,
            at_row: int, target: float) -> None:
    bar = BarChart()
    bar.type = "bar"  # horizontal: long group names read on the axis
    bar.title = _sized_title(f"Compliance % by business group (target {target:g}%)")
    bar.y_axis.scaling.min = 0
    bar.y_axis.scaling.max = 100
    bar.y_axis.majorUnit = 20
    bar.add_data(Reference(ws, min_col=5, min_row=top, max_row=top + groups),
                 titles_from_data=True)
    bar.set_categories(Reference(ws, min_col=1, min_row=top + 1, max_row=top + groups))
    bar.x_axis.scaling.orientation = "maxMin"  # first group at the top, as in the table
    bar.x_axis.tickLblSkip = 1  # every group named
    bar.x_axis.delete = False
    bar.y_axis.delete = False
    bar.legend = None
    bar.dataLabels = DataLabelList(showVal=True, showSerName=False, showCatName=False,
                                   showLegendKey=False, showPercent=False)
    bar.x_axis.txPr = _axis_text(800)
    bar.y_axis.txPr = _axis_text(800)
    bar.height, bar.width = 9, 11
    ws.add_chart(bar, f"A{at_row}")
    scores = len(framework.scale.scores)
    chart = BarChart()
    chart.type = "col"
    chart.title = _sized_title("Indicator scores given")
    chart.add_data(Reference(dist, min_col=3, max_col=5, min_row=1, max_row=scores + 1),
                   titles_from_data=True)
    chart.set_categories(Reference(dist, min_col=1, min_row=2, max_row=scores + 1))
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.height, chart.width = 9, 9
    chart.legend.position = "b"
    ws.add_chart(chart, f"E{at_row}")


def _summary_page(wb: Workbook, report: SummaryReport, framework: Framework, info: PrintInfo,
                  previous: SummaryReport | None, dist: Worksheet) -> None:
    ws = wb.active
    assert ws is not None
    ws.title = "Summary"
    widths = [32, 7, 10, 9, 13, 9, 18] + ([17] if previous is not None else [])
    page = Page(ws, widths)
    page.text(info.title, size=16, bold=True)
    page.text(f"{report.organisation.cycle_name} · framework {info.framework} · "
              f"made {info.run_at:%d/%m/%Y %H:%M}", size=10)
    if report.public:
        page.text(report.edition_note, size=9, italic=True)
        if report.community is not None:
            for line in release_lines(report.community.release):
                page.text(line, size=10 if line.startswith("SUPERSEDED") else 9,
                          bold=line.startswith(("SUPERSEDED", "Draft")))
    if report.chain_fingerprint:
        page.text(f"Audit fingerprint {report.chain_fingerprint}: where the register's audit "
                  "log stood when these figures were made. DCFD can check later that the log "
                  "still holds it, unaltered.", size=9)
    page.row += 1
    _kpi_block(page, report, framework, previous)
    groups = [r for r in report.rollups if r.view == "business-group"]
    top = _rollup_table(page, "By business group", groups, framework, previous,
                        report.organisation)
    page.text("Compliance % = Meeting ÷ Units × 100 for each group. RAG: green at or above "
              f"the target, amber up to {framework.bands.amber_within_pts:g} points below it, "
              "red further below.", size=9, italic=True, gap=1)
    themes = [r for r in report.rollups if r.view == "theme"]
    _rollup_table(page, "By national theme", themes, framework, previous, None)
    page.text("A unit meets the baseline on a theme when it meets the rule on that theme's "
              "baseline indicators. Compliance % = Meeting ÷ Units × 100.",
              size=9, italic=True, gap=1)
    if previous is None:
        page.text(f"No trend: there is no earlier cycle with returns or scores to compare "
                  f"{report.organisation.cycle_name} with.", size=9, italic=True, gap=1)
    _charts(ws, top, len(groups), dist, framework, page.row, report.organisation.target_pct)
    chart_rows = 21  # 21 rows of 14 pt hold the 9 cm charts
    for r in range(page.row, page.row + chart_rows):
        ws.row_dimensions[r].height = 14
    print_setup(ws, info, one_page=True)
    ws.print_area = f"A1:{get_column_letter(len(widths))}{page.row + chart_rows}"


# -- page 2: exceptions and actions ---------------------------------------------------------


def _exceptions_page(wb: Workbook, report: SummaryReport, framework: Framework,
                     info: PrintInfo) -> None:
    ws = wb.create_sheet("Exceptions and next steps" if report.public
                         else "Exceptions and actions")
    page = Page(ws, [26, 8, 40, 40])
    page.text("Exceptions and next steps" if report.public
              else "Exceptions and actions: what the Board is asked to note or decide",
              size=14, bold=True, gap=1)
    if not report.public:
        page.text("The Board is asked to:", size=11, bold=True)
        for i, ask in enumerate(board_asks(report, framework), start=1):
            page.text(f"{i}. {ask}", size=10)
        page.row += 1
    by_category: dict[str, list[str]] = {}
    for e in report.exceptions:
        by_category.setdefault(e.category, []).append(e.unit_code)
    if not by_category:
        page.text("No exceptions: every unit has a valid return, fully scored, and meets "
                  "the baseline.", size=10)
    else:
        page.text("Exceptions by kind (each unit once per reason; details on the "
                  "Exceptions sheet)", size=12, bold=True)
        top = page.header(["Exception", "Units", "Which units", "What happens next"])
        for category in STATUS_LABEL:
            if category in by_category:
                codes = by_category[category]
                page.values([STATUS_LABEL[category], len(codes), ", ".join(codes),
                             EXCEPTION_NEXT.get(category, "")])
        ws.print_title_rows = f"{top}:{top}"
    print_setup(ws, info, title_rows=ws.print_title_rows)


# -- detail sheets ------------------------------------------------------------------------


def _names(report: SummaryReport, advisor_names: dict[str, str], code: str | None) -> str:
    return advisor_names.get(code, code) if code else ""


def _units_sheet(wb: Workbook, report: SummaryReport, framework: Framework, info: PrintInfo,
                 advisor_names: dict[str, str]) -> None:
    rule = framework.rules.baseline
    header = ["Unit code", "Unit", "Group"]
    if not report.public:
        header += ["Linked DCFA", "Unlinked DCFA"]
    header += ["Status", "Errors", "Evidence complete %", "Evidence minimum met",
               "Baseline indicators", "Linked scored", "Unlinked scored",
               "Awaiting moderation", f"Scoring {rule.min_combined_score} or more",
               "Mean combined score"]
    rows = []
    for s in report.units:
        row: list[Any] = [s.unit_code, s.unit_name, s.business_group]
        if not report.public:
            row += [_names(report, advisor_names, s.linked_dcfa),
                    _names(report, advisor_names, s.unlinked_dcfa)]
        row += [STATUS_LABEL[s.status], s.errors if s.returned else None,
                s.evidence_completeness_pct, s.indicators_minimum_met if s.returned else None,
                s.baseline_indicators, s.linked_scored, s.unlinked_scored,
                s.moderation_pending, s.baseline_at_or_above, s.mean_combined]
        rows.append(row)
    indicators = report.units[0].indicators if report.units else 0
    table_sheet(wb, "Units", header, rows, info,
                formats={"Evidence complete %": "0.0", "Mean combined score": "0.00"},
                notes=[f"Evidence minimum met: indicators (of {indicators}) whose evidence "
                       "meets the framework's minimum. Blank: no return to count from."])


def _exceptions_sheet(wb: Workbook, report: SummaryReport, info: PrintInfo) -> None:
    header = ["Unit code", "Unit", "Group", "Exception", "Detail", "Review"]
    if not report.public:
        header.append("Linked DCFA")
    rows = []
    for e in report.exceptions:
        row = [e.unit_code, e.unit_name, e.business_group, e.status_text, e.detail,
               e.review_state]
        if not report.public:
            row.append(e.linked_dcfa_name)
        rows.append(row)
    table_sheet(wb, "Exceptions", header, rows, info, widths={"Detail": 50},
                empty="No exceptions.")


def _gaps_sheet(wb: Workbook, report: SummaryReport, info: PrintInfo) -> None:
    final = {s.unit_code: s.status in ("below-baseline", "meets-baseline") for s in report.units}
    rows = [[g.unit_code, g.indicator_id, g.esps_unit, g.reason, g.rating, g.linked, g.unlinked,
             g.combined, not final.get(g.unit_code, False)] for g in report.gaps]
    table_sheet(wb, "Gaps", ["Unit code", "Indicator", "ESPS unit", "Gap", "Self-assessment",
                             "Linked", "Unlinked", "Combined", "Provisional"], rows, info,
                empty="No gaps.",
                notes=["A gap is an indicator whose evidence minimum was not met or whose "
                       "combined DCFA score is at or below the action plan threshold. "
                       "Provisional: the unit's return is not yet valid and fully scored."])


def _rollups_sheet(wb: Workbook, report: SummaryReport, framework: Framework,
                   info: PrintInfo) -> None:
    rows = [[VIEW_LABEL.get(r.view, r.view).capitalize(), r.label, r.units, r.returned, r.valid,
             r.meeting, r.compliance_pct, r.target_pct, rag_text(framework, r.rag)]
            for r in report.rollups]
    table_sheet(wb, "Roll-ups", ["View", "Group", "Units", "Returned", "Valid", "Meeting",
                                 "Compliance %", "Target %", "RAG status"], rows, info,
                formats={"Compliance %": "0.0", "Target %": "0"},
                notes=["Compliance % = Meeting ÷ Units × 100. Business groups select units; "
                       "themes, strategy themes, strands and HMIC areas select indicators (a "
                       "unit meets the baseline on a group of indicators when it meets the "
                       "rule on those indicators)."])


def _indicators_sheet(wb: Workbook, report: SummaryReport, framework: Framework,
                      info: PrintInfo) -> None:
    rule = framework.rules.baseline
    by_indicator: dict[str, list[Any]] = {}
    for s in report.units:
        for d in s.detail:
            by_indicator.setdefault(d.indicator_id, []).append(d)
    rows = []
    for ind_id, details in by_indicator.items():
        combined = [d.combined for d in details if d.combined is not None]
        unit = framework.esps_unit_of[ind_id]
        rows.append([
            ind_id, f"{unit.number}. {unit.title}", framework.theme_by_id[unit.theme].name,
            framework.indicator_by_id[ind_id].stage.capitalize(), len(combined),
            round(sum(combined) / len(combined), 2) if combined else None,
            sum(1 for c in combined if c >= rule.min_combined_score),
            sum(1 for c in combined if c < rule.min_combined_score),
            sum(1 for d in details if d.combined_status == "needs-moderation"),
        ])
    table_sheet(wb, "Indicators", [
        "Indicator", "ESPS unit", "Theme", "Stage", "Units with a combined score",
        "Mean combined score", f"Units scoring {rule.min_combined_score} or more",
        f"Units below {rule.min_combined_score}", "Awaiting moderation"], rows, info,
        formats={"Mean combined score": "0.00"})


def _distribution_sheet(wb: Workbook, report: SummaryReport, framework: Framework,
                        info: PrintInfo) -> Worksheet:
    rows = [[score, framework.scale.label(score),
             *(report.score_distribution.get(role, {}).get(score, 0)
               for role in ("linked", "unlinked", "combined"))]
            for score in framework.scale.scores]
    return table_sheet(wb, "Score distribution",
                       ["Score", "Meaning", "Linked", "Unlinked", "Combined"], rows, info,
                       notes=["Indicator scores recorded, by the linked DCFA, the unlinked "
                              "DCFA, and combined."])


def board_workbook(report: SummaryReport, framework: Framework, info: PrintInfo,
                   *, previous: SummaryReport | None = None,
                   advisor_names: dict[str, str] | None = None) -> Workbook:
    """The Board pack (or, for a public report, the public edition); `previous` is the
    previous cycle's report, for the trend arrows."""
    wb = Workbook()
    dist = _distribution_sheet(wb, report, framework, info)
    _summary_page(wb, report, framework, info, previous, dist)
    _exceptions_page(wb, report, framework, info)
    if report.community is not None:  # the third page: challenges, and "You said, we did"
        community_sheet(wb, report.community, info, report.public)
    if report.assessment_quality is not None and not report.public:
        quality_sheet(wb, report.assessment_quality, info, advisor_names or {})
    _units_sheet(wb, report, framework, info, advisor_names or {})
    _exceptions_sheet(wb, report, info)
    _gaps_sheet(wb, report, info)
    _rollups_sheet(wb, report, framework, info)
    _indicators_sheet(wb, report, framework, info)
    wb.move_sheet(dist, offset=len(wb.sheetnames) - 1 - wb.index(dist))  # last
    return wb


# -- comparing cycles ---------------------------------------------------------------------


def comparison_workbook(comparison: CycleComparison, framework: Framework,
                        info: PrintInfo) -> Workbook:
    """What `esps summary --compare` shows: overall, per group and theme, and per unit."""
    b, a = comparison.before, comparison.after
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Comparison"
    page = Page(ws, [32, 12, 12, 16, 17])
    page.text(info.title, size=16, bold=True)
    page.text(f"{b.cycle_name} to {a.cycle_name} · framework {info.framework}", size=10,
              gap=1)
    empty = comparison.no_data_yet
    page.text(" ".join(
        f"{o.cycle_name}: {NO_DATA_YET}." if o.cycle_name in empty else
        f"{o.cycle_name}: {o.compliance_pct:.1f}% ({o.meeting} of {o.units} units; "
        f"{o.kpi} against {o.target_pct:g}%)." for o in (b, a))
        + f" Trend: {comparison_change_text(comparison)}.", size=12, bold=True)
    page.text(formula_text(a.meeting, a.units, a.compliance_pct) + f" ({a.cycle_name}).",
              size=9, italic=True, gap=1)
    for view, title in (("business-group", "By business group"), ("theme", "By theme")):
        page.text(title, size=12, bold=True)
        page.header(["Group", f"{b.cycle_name} %", f"{a.cycle_name} %", "Trend",
                     f"RAG status {a.cycle_name}"])
        for r in comparison.rollups:
            if r.view != view:
                continue
            row = page.values([r.label,
                               NO_DATA_YET if b.cycle_name in empty else r.before_pct,
                               NO_DATA_YET if a.cycle_name in empty else r.after_pct,
                               trend_text(r.change_pts, r.trend,
                                          missing=NO_DATA_YET if empty
                                          else "no previous figure"), None],
                              formats={2: PCT, 3: PCT})
            if r.after_rag:
                _rag_cell(page, row, 5, framework, r.after_rag)
        page.row += 1
    print_setup(ws, info)
    change_arrow = {"now meets": "▲", "no longer meets": "▼", "still meets": "►",
                    "still below": "►", "new": "", "gone": ""}
    table_sheet(wb, "Units", ["Unit code", "Unit", f"{b.cycle_name} status",
                              f"{a.cycle_name} status", f"{b.cycle_name} mean score",
                              f"{a.cycle_name} mean score", "Change"],
                [[u.unit_code, u.unit_name, STATUS_LABEL[u.before] if u.before else "",
                  STATUS_LABEL[u.after] if u.after else "", u.before_mean, u.after_mean,
                  f"{change_arrow[u.change]} {u.change}".strip()]
                 for u in comparison.units], info)
    table_sheet(wb, "Roll-ups", ["View", "Group", f"{b.cycle_name} %", f"{a.cycle_name} %",
                                 "Change (points)", "Trend"],
                [[VIEW_LABEL.get(r.view, r.view).capitalize(), r.label,
                  None if b.cycle_name in empty else r.before_pct,
                  None if a.cycle_name in empty else r.after_pct, r.change_pts,
                  trend_text(r.change_pts, r.trend,
                             missing=NO_DATA_YET if empty else "no previous figure")]
                 for r in comparison.rollups], info,
                notes=["Each % = units meeting the baseline on the group ÷ units in it × 100, "
                       "in each cycle."])
    return wb


# -- writers (the renderer table, reports/render.py) ----------------------------------------


def board_xlsx(report: SummaryReport, dest: Destination, *, framework: Framework,
               info: PrintInfo, previous: SummaryReport | None = None,
               advisor_names: dict[str, str] | None = None, **_: Any) -> None:
    dest.save_workbook(board_workbook(report, framework, info, previous=previous,
                                      advisor_names=advisor_names))


def comparison_xlsx(comparison: CycleComparison, dest: Destination, *, framework: Framework,
                    info: PrintInfo, **_: Any) -> None:
    dest.save_workbook(comparison_workbook(comparison, framework, info))
