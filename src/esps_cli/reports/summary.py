"""Rendering summaries: terminal tables, CSV rows, and the workbooks analysts and units open
(the Board report with native Excel charts, per-unit action plans and feedback)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.worksheet.datavalidation import DataValidation
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from esps_cli.domain.framework import Framework
from esps_cli.io.output import add_table_sheet, save_workbook
from esps_cli.io.safety import clean_text, ensure_folder, escape_formula, inside, safe_filename
from esps_cli.summary.compliance import (
    BuddyPair,
    CycleComparison,
    Gap,
    SummaryReport,
    UnitStanding,
    gaps_for,
)

STATUS_STYLE = {
    "meets-baseline": "green",
    "below-baseline": "red",
    "not-returned": "red",
    "invalid": "red",
    "duplicate-returns": "red",
    "unreadable": "red",
}

UNIT_HEADER = (
    "unit_code", "unit_name", "business_group", "linked_dcfa", "unlinked_dcfa", "returned",
    "valid", "errors", "warnings", "evidence_completeness_pct", "indicators",
    "indicators_minimum_met", "baseline_indicators", "linked_scored", "unlinked_scored",
    "moderation_pending", "baseline_at_or_above", "mean_combined", "meets_baseline", "status",
)


def unit_rows(report: SummaryReport) -> list[list[Any]]:
    return [[getattr(s, k) for k in UNIT_HEADER] for s in report.units]


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}%"


def print_summary(console: Console, report: SummaryReport, *, exceptions_only: bool = False,
                  views: Sequence[str] = ()) -> None:
    org = report.organisation
    colour = "green" if org.kpi == "MET" else "red"
    if not exceptions_only:
        units = Table(title=f"Units, {org.cycle_name}", title_justify="left")
        units.add_column("unit", no_wrap=True)
        for col in ("group", "ret", "valid", "evid", "min", "linked", "unlinked", "mod",
                    "mean"):
            units.add_column(col)
        units.add_column("status", no_wrap=True)
        for s in report.units:
            units.add_row(
                escape(s.unit_code), s.business_group,
                "yes" if s.returned else "no",
                "-" if s.valid is None else ("yes" if s.valid else "no"),
                _pct(s.evidence_completeness_pct),
                f"{s.indicators_minimum_met}/{s.indicators}",
                f"{s.linked_scored}/{s.baseline_indicators}",
                f"{s.unlinked_scored}/{s.baseline_indicators}",
                str(s.moderation_pending) if s.moderation_pending else "",
                "-" if s.mean_combined is None else f"{s.mean_combined:.2f}",
                f"[{STATUS_STYLE.get(s.status, 'yellow')}]{s.status}[/]",
            )
        console.print(units)
        for view in views:
            rows = [r for r in report.rollups if r.view == view]
            if not rows:
                continue
            table = Table(title=f"By {view}", title_justify="left")
            for col in ("group", "units", "returned", "valid", "meeting", "compliance",
                        "target"):
                table.add_column(col)
            for r in rows:
                table.add_row(
                    escape(r.label), str(r.units), str(r.returned), str(r.valid),
                    str(r.meeting), f"[{'green' if r.met else 'red'}]{r.compliance_pct:.1f}%[/]",
                    f"{r.target_pct:g}%",
                )
            console.print(table)
    if exceptions_only:
        print_exceptions(console, report)
    elif report.exceptions:
        counts = Counter(e.category for e in report.exceptions)
        listed = ", ".join(f"{n} {c}" for c, n in counts.items())
        console.print(f"Exceptions: {listed} (esps summary --exceptions lists them).")
    console.print(
        f"[bold]{org.cycle_name}[/bold]: {org.meeting} of {org.units} units meet the baseline "
        f"({org.compliance_pct:.1f}%); target {org.target_pct:g}%: "
        f"[bold {colour}]{org.kpi}[/]"
        + (f"; {org.units_needed} more unit(s) needed" if org.units_needed else "")
        + f". Returned {org.returned}, valid {org.valid}."
    )
    console.print(f"[dim]Baseline rule: {escape(report.rule)}.[/dim]")


def print_exceptions(console: Console, report: SummaryReport) -> None:
    if not report.exceptions:
        console.print("[green]No exceptions.[/green]")
        return
    table = Table(title="Exceptions", title_justify="left")
    for col in ("unit", "exception", "detail", "linked DCFA"):
        table.add_column(col)
    for e in report.exceptions:
        table.add_row(f"{escape(e.unit_code)} {escape(e.unit_name)}", e.category,
                      escape(e.detail),
                      escape(f"{e.linked_dcfa_name} ({e.linked_dcfa})" if e.linked_dcfa else ""))
    console.print(table)


# -- the Board report workbook ------------------------------------------------------------


def board_workbook(report: SummaryReport, framework: Framework) -> Workbook:
    org = report.organisation
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Summary"
    ws["A1"] = f"ESPS compliance, {org.cycle_name}"
    ws["A1"].font = Font(bold=True, size=14)
    facts: list[tuple[str, Any]] = [
        ("Units on the list", org.units),
        ("Returned", org.returned),
        ("Valid returns", org.valid),
        ("Meeting the baseline", org.meeting),
        ("Compliance %", org.compliance_pct),
        ("KPI target %", org.target_pct),
        ("KPI", org.kpi),
        ("More units needed", org.units_needed),
        ("Baseline rule", report.rule),
        ("Framework", f"{report.framework_id} {report.framework_version}"),
    ]
    if report.public:
        facts.append(("Edition", "Public: advisors' names and comments left out"))
    for row, (label, value) in enumerate(facts, start=3):
        ws.cell(row=row, column=1, value=label).font = Font(bold=True)
        ws.cell(row=row, column=2, value=escape_formula(value))
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 18

    groups = [r for r in report.rollups if r.view == "business-group"]
    top = len(facts) + 5
    ws.cell(row=top - 1, column=1, value="By business group").font = Font(bold=True)
    header = ("Business group", "Units", "Meeting", "Compliance %", "Target %")
    for col, h in enumerate(header, start=1):
        ws.cell(row=top, column=col, value=h).font = Font(bold=True)
    for i, r in enumerate(groups, start=1):
        for col, v in enumerate((r.label, r.units, r.meeting, r.compliance_pct, r.target_pct),
                                start=1):
            ws.cell(row=top + i, column=col, value=v)
    if groups:
        last = top + len(groups)
        bar = BarChart()
        bar.type = "col"
        bar.title = "Units meeting the baseline by business group"
        bar.y_axis.title = "% of units"
        bar.y_axis.scaling.min = 0
        bar.y_axis.scaling.max = 100
        bar.add_data(Reference(ws, min_col=4, min_row=top, max_row=last), titles_from_data=True)
        cats = Reference(ws, min_col=1, min_row=top + 1, max_row=last)
        bar.set_categories(cats)
        target = LineChart()
        target.add_data(Reference(ws, min_col=5, min_row=top, max_row=last),
                        titles_from_data=True)
        target.set_categories(cats)
        bar += target
        bar.height, bar.width = 9, 18
        ws.add_chart(bar, "G3")

    dist_top = top + len(groups) + 3
    ws.cell(row=dist_top - 1, column=1, value="Score distribution").font = Font(bold=True)
    for col, h in enumerate(("Score", "Linked", "Unlinked", "Combined"), start=1):
        ws.cell(row=dist_top, column=col, value=h).font = Font(bold=True)
    for i, score in enumerate(framework.scale.scores, start=1):
        ws.cell(row=dist_top + i, column=1, value=f"{score} {framework.scale.label(score)}")
        for col, role in enumerate(("linked", "unlinked", "combined"), start=2):
            ws.cell(row=dist_top + i, column=col,
                    value=report.score_distribution.get(role, {}).get(score, 0))
    dist = BarChart()
    dist.type = "col"
    dist.title = "Score distribution"
    dist.y_axis.title = "indicator scores"
    last = dist_top + len(framework.scale.scores)
    dist.add_data(Reference(ws, min_col=2, max_col=4, min_row=dist_top, max_row=last),
                  titles_from_data=True)
    dist.set_categories(Reference(ws, min_col=1, min_row=dist_top + 1, max_row=last))
    dist.height, dist.width = 9, 18
    ws.add_chart(dist, "G22")

    add_table_sheet(wb, "Units", UNIT_HEADER, unit_rows(report))
    add_table_sheet(
        wb, "Exceptions",
        ("unit_code", "unit_name", "business_group", "exception", "detail", "linked_dcfa",
         "linked_dcfa_name"),
        [[e.unit_code, e.unit_name, e.business_group, e.category, e.detail, e.linked_dcfa,
          e.linked_dcfa_name] for e in report.exceptions],
    )
    add_table_sheet(wb, "Gaps", GAP_HEADER, [gap_row(g) for g in report.gaps])
    add_table_sheet(
        wb, "By group",
        ("view", "group", "units", "returned", "valid", "meeting", "compliance_pct",
         "target_pct", "met"),
        [[r.view, r.label, r.units, r.returned, r.valid, r.meeting, r.compliance_pct,
          r.target_pct, r.met] for r in report.rollups],
    )
    add_table_sheet(
        wb, "Indicators",
        ("unit_code", "indicator_id", "theme", "stage", "minimum_met", "rating", "na",
         "linked", "unlinked", "moderated", "combined", "combined_status",
         "linked_comment", "unlinked_comment"),
        [[d.unit_code, d.indicator_id, d.theme, d.stage, d.minimum_met, d.rating, d.na,
          d.linked, d.unlinked, d.moderated, d.combined, d.combined_status,
          d.linked_comment, d.unlinked_comment]
         for s in report.units for d in s.detail],
    )
    return wb


GAP_HEADER = ("unit_code", "indicator_id", "esps_unit", "indicator", "reason", "rating",
              "linked", "unlinked", "combined")


def gap_row(g: Gap) -> list[Any]:
    return [getattr(g, k) for k in GAP_HEADER]


# -- action plans and feedback ------------------------------------------------------------

INPUT_FILL = PatternFill("solid", fgColor="FFF9DB")
BOLD = Font(bold=True)


def action_plan_workbook(framework: Framework, standing: UnitStanding, cycle_name: str,
                         next_year: str) -> Workbook:
    """A next-FY business action plan for one unit: its gaps, with columns to fill in."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Action plan"
    ws["A1"] = f"ESPS business action plan {next_year}: {clean_text(standing.unit_name)}"
    ws["A1"].font = Font(bold=True, size=14)
    ws["A2"] = (f"Gaps from the {cycle_name} assessment: indicators whose evidence minimum was "
                f"not met or whose combined DCFA score was "
                f"{framework.rules.action_plan_max_score} or less. Fill in the yellow cells.")
    header = ("Indicator ID", "ESPS unit", "Indicator", "Gap", "Combined score", "Action",
              "Owner", "Due date (dd/mm/yyyy)", "Progress")
    widths = (11, 24, 48, 30, 10, 48, 20, 14, 30)
    for col, (h, w) in enumerate(zip(header, widths, strict=True), start=1):
        c = ws.cell(row=4, column=col, value=h)
        c.font = Font(bold=True, color="FFFFFF")
        c.fill = PatternFill("solid", fgColor="1F3864")
        ws.column_dimensions[chr(64 + col)].width = w
    gaps = gaps_for(framework, standing)
    due = DataValidation(type="date", operator="between", formula1="36526", formula2="73050",
                         allow_blank=True, showErrorMessage=True,
                         error="Enter a date as dd/mm/yyyy.", errorTitle="Not a date")
    ws.add_data_validation(due)
    for row, g in enumerate(gaps, start=5):
        values = (g.indicator_id, g.esps_unit, g.indicator, g.reason, g.combined)
        for col, v in enumerate(values, start=1):
            c = ws.cell(row=row, column=col, value=escape_formula(v))
            c.alignment = Alignment(wrap_text=True, vertical="top")
        for col in range(6, 10):
            c = ws.cell(row=row, column=col)
            c.fill = INPUT_FILL
            c.protection = Protection(locked=False)
            c.alignment = Alignment(wrap_text=True, vertical="top")
        ws.cell(row=row, column=8).number_format = "DD/MM/YYYY"
        due.add(f"H{row}")
    if not gaps:
        ws["A5"] = "No gaps: every indicator met its minimum and scored above the threshold."
    ws.freeze_panes = "B5"
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    return wb


def feedback_workbook(framework: Framework, standing: UnitStanding, findings: list[Any],
                      cycle_name: str) -> Workbook:
    """Feedback for one unit: its standing, both advisors' scores and comments, its findings."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Standing"
    ws["A1"] = f"ESPS feedback, {cycle_name}: {clean_text(standing.unit_name)}"
    ws["A1"].font = Font(bold=True, size=14)
    rule = framework.rules.baseline
    facts: list[tuple[str, Any]] = [
        ("Unit", f"{standing.unit_code} {standing.unit_name}"),
        ("Returned", "yes" if standing.returned else "no"),
        ("Valid return", "-" if standing.valid is None else ("yes" if standing.valid else "no")),
        ("Evidence completeness %", standing.evidence_completeness_pct),
        ("Indicators meeting their minimum",
         f"{standing.indicators_minimum_met} of {standing.indicators}"),
        (f"Baseline indicators scoring {rule.min_combined_score}+",
         f"{standing.baseline_at_or_above} of {standing.baseline_indicators}"),
        ("Mean combined score", standing.mean_combined),
        ("Meets the baseline", "yes" if standing.meets_baseline else "no"),
        ("Status", standing.status),
        ("Linked DCFA", standing.linked_dcfa),
        ("Unlinked DCFA", standing.unlinked_dcfa or ""),
    ]
    for row, (label, value) in enumerate(facts, start=3):
        ws.cell(row=row, column=1, value=label).font = BOLD
        ws.cell(row=row, column=2, value=escape_formula(value))
    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["B"].width = 40
    add_table_sheet(
        wb, "Scores",
        ("indicator_id", "indicator", "self_assessment", "minimum_met", "linked_score",
         "linked_comment", "unlinked_score", "unlinked_comment", "moderated", "combined",
         "status"),
        [[d.indicator_id, framework.indicator_by_id[d.indicator_id].text,
          "N/A" if d.na else d.rating, d.minimum_met, d.linked, d.linked_comment, d.unlinked,
          d.unlinked_comment, d.moderated, d.combined, d.combined_status]
         for d in standing.detail],
    )
    add_table_sheet(
        wb, "Findings", ("severity", "code", "sheet", "cell", "indicator_id", "message", "hint"),
        [[f.severity, f.code, f.sheet, f.cell, f.indicator_id, f.message, f.hint]
         for f in findings],
    )
    return wb


def write_unit_workbook(wb: Workbook, out_dir: Path, prefix: str, standing: UnitStanding,
                        cycle_id: str, *, force: bool) -> Path:
    name = safe_filename(prefix, standing.unit_code, standing.unit_name, cycle_id)
    path = inside(ensure_folder(out_dir), name)
    save_workbook(wb, path, force=force)
    return path


def print_buddies(console: Console, pairs: list[BuddyPair]) -> None:
    if not pairs:
        console.print("No buddy pairs to suggest (no returned unit below baseline has a unit "
                      "of its business group that meets it).")
        return
    table = Table(title="Suggested buddies", title_justify="left")
    for col in ("unit", "buddy", "group", "weakest theme", "unit score", "buddy score"):
        table.add_column(col)
    for p in pairs:
        table.add_row(f"{escape(p.unit_code)} {escape(p.unit_name)}",
                      f"{escape(p.buddy_code)} {escape(p.buddy_name)}", p.business_group,
                      p.weakest_theme, _score(p.unit_theme_score), _score(p.buddy_theme_score))
    console.print(table)


def _score(v: float | None) -> str:
    return "-" if v is None else f"{v:.2f}"


def print_comparison(console: Console, comparison: CycleComparison) -> None:
    table = Table(title=f"{comparison.before.cycle_name} to {comparison.after.cycle_name}",
                  title_justify="left")
    for col in ("unit", comparison.before.cycle, comparison.after.cycle, "change"):
        table.add_column(col)
    for u in comparison.units:
        table.add_row(f"{escape(u.unit_code)} {escape(u.unit_name)}", u.before or "-",
                      u.after or "-", u.change)
    console.print(table)
    b, a = comparison.before, comparison.after
    console.print(
        f"{b.cycle_name}: {b.compliance_pct:.1f}% ({b.kpi} against {b.target_pct:g}%); "
        f"{a.cycle_name}: {a.compliance_pct:.1f}% ({a.kpi} against {a.target_pct:g}%); "
        f"change {comparison.compliance_change_pts:+.1f} points."
    )


# -- CSV rows and action plans for the commands ------------------------------------------

COMPARISON_HEADER = ("unit_code", "unit_name", "before", "after", "before_mean", "after_mean",
                     "change")
EXCEPTION_HEADER = ("unit_code", "unit_name", "business_group", "exception", "detail",
                    "linked_dcfa", "linked_dcfa_name")
BUDDY_HEADER = ("unit_code", "unit_name", "buddy_code", "buddy_name", "business_group",
                "weakest_theme", "unit_theme_score", "buddy_theme_score")


def comparison_rows(comparison: CycleComparison) -> list[list[Any]]:
    return [[getattr(u, k) for k in COMPARISON_HEADER] for u in comparison.units]


def exception_rows(report: SummaryReport) -> list[list[Any]]:
    return [[e.unit_code, e.unit_name, e.business_group, e.category, e.detail, e.linked_dcfa,
             e.linked_dcfa_name] for e in report.exceptions]


def buddy_rows(pairs: list[BuddyPair]) -> list[list[Any]]:
    return [[getattr(p, k) for k in BUDDY_HEADER] for p in pairs]


def write_action_plans(framework: Framework, report: SummaryReport, codes: set[str],
                       cycle_id: str, cycle_name: str, next_year: str, out_dir: Path, *,
                       force: bool) -> list[Path]:
    """One action plan workbook per chosen unit, in the summary's order."""
    written = []
    for standing in report.units:
        if standing.unit_code in codes:
            wb = action_plan_workbook(framework, standing, cycle_name, next_year)
            written.append(write_unit_workbook(wb, out_dir, "action-plan", standing, cycle_id,
                                               force=force))
    return written
