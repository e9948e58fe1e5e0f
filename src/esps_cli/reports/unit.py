"""A unit's own workbooks: its business action plan and its feedback.

Both open with the truth about the unit (summary.outcome): no return, unreadable, invalid, not
fully scored, below or meeting the baseline, and what happens next; the gaps are called
provisional until the assessment is complete, and "no gaps" is only said of an assessed unit.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, Literal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.worksheet.datavalidation import DataValidation

from esps_cli.domain.framework import Cycle, Framework
from esps_cli.domain.status import PROVISIONAL, scores_count
from esps_cli.findings.unit_words import for_units
from esps_cli.io.output import save_workbook
from esps_cli.io.safety import (
    StagedOutputs,
    clean_text,
    distinct_names,
    safe_filename,
)
from esps_cli.reports.printing import (
    FONT_NAME,
    Page,
    PrintInfo,
    cell_value,
    print_setup,
    table_sheet,
)
from esps_cli.summary.buddies import BuddyPair
from esps_cli.summary.models import STATUS_LABEL, IndicatorStanding, SummaryReport, UnitStanding
from esps_cli.summary.outcome import UnitOutcome, unit_outcome
from esps_cli.summary.selection import next_cycle_name, standing_of, unit_findings
from esps_cli.validation.report import BatchReport

INPUT_FILL = PatternFill("solid", fgColor="FFF9DB")
OUTCOME_FILL = {True: "E2EFDA", False: "FCE4D6"}  # assessed / not (yet) assessed
COMBINED_LABEL = {
    "agreed": "Agreed", "lower-stands": "Lower score stands", "mean-stands": "Mean stands",
    "linked-stands": "Linked score stands", "needs-moderation": "Needs moderation",
    "moderated": "Moderated", "awaiting-linked": "Awaiting linked score",
    "awaiting-unlinked": "Awaiting unlinked score", "awaiting-both": "Not yet scored",
}


def advisor_label(advisor_id: str | None, names: dict[str, str]) -> str:
    """An advisor as a person: "Amira Haddad (dcfa01)"."""
    if not advisor_id:
        return ""
    name = names.get(advisor_id)
    return f"{name} ({advisor_id})" if name and name != advisor_id else advisor_id


def _outcome_block(page: Page, outcome: UnitOutcome) -> None:
    row = page.text(outcome.headline, size=13, bold=True)
    page.ws.cell(row=row, column=1).fill = PatternFill(
        "solid", fgColor=OUTCOME_FILL[outcome.assessed])
    page.text(outcome.explanation, size=10)
    page.text("What happens next:", size=10, bold=True)
    for step in outcome.next_steps:
        page.text(f"• {step}", size=10)
    page.row += 1


# -- the action plan ----------------------------------------------------------------------

PLAN_HEADER = ("Indicator", "Indicator text", "Gap", "Advisors' rationale", "Combined score",
               "Action", "Owner", "Due date", "Buddy unit", "Progress")
PLAN_WIDTHS = (10, 32, 22, 34, 10.5, 30, 14, 11, 16, 20)
PLAN_INPUT = ("Action", "Owner", "Due date", "Progress")  # yellow: the unit fills them in
DEFAULT_OWNER = "Unit commander"
GAP_FILL = PatternFill("solid", fgColor="FCE4D6")  # a gap, where indicators are listed


def action_plan_workbook(framework: Framework, standing: UnitStanding, outcome: UnitOutcome,
                         cycle_name: str, next_year: str, info: PrintInfo) -> Workbook:
    """A next-FY business action plan for one unit: where it stands, then its gaps with
    yellow columns to fill in (action, owner, due date, progress)."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Action plan"
    page = Page(ws, PLAN_WIDTHS)
    page.text(f"ESPS business action plan {next_year}: {standing.unit_code} "
              f"{clean_text(standing.unit_name)}", size=14, bold=True)
    page.text(f"From the {cycle_name} assessment. A gap is an indicator whose evidence minimum "
              f"was not met or whose combined DCFA score was "
              f"{framework.rules.action_plan_max_score} or less.", size=9, italic=True, gap=1)
    _outcome_block(page, outcome)
    page.text(outcome.gaps_heading + (": fill in the yellow cells." if outcome.gaps else "."),
              size=12, bold=True)
    if not outcome.gaps:
        page.text(_no_gaps_text(outcome), size=10)
        print_setup(ws, info, landscape=True)
        return wb
    page.text(f"Return this plan to DCFD by {outcome.due_text}."
              + (f" Buddy unit: {outcome.buddy_text}, a unit of your business group that meets "
                 "the baseline." if outcome.buddy else ""), size=10, bold=True)
    page.text("Each gap has the owner and due date to start from: change them where another "
              "person or an earlier date fits. Enter dates as dd/mm/yyyy.", size=9, italic=True)
    top = page.header(PLAN_HEADER)
    _plan_rows(page, outcome)
    ws.freeze_panes = f"B{top + 1}"
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    print_setup(ws, info, landscape=True, title_rows=f"{top}:{top}")
    return wb


def _plan_rows(page: Page, outcome: UnitOutcome) -> None:
    ws = page.ws
    due = DataValidation(type="date", operator="between", formula1="36526", formula2="73050",
                         allow_blank=True, showErrorMessage=True,
                         error="Enter a date as dd/mm/yyyy.", errorTitle="Not a date")
    ws.add_data_validation(due)
    inputs = [PLAN_HEADER.index(h) + 1 for h in PLAN_INPUT]
    due_col = PLAN_HEADER.index("Due date") + 1
    for g in outcome.gaps:
        row = page.values([g.indicator_id, g.indicator, g.reason, g.rationale or None,
                           g.combined, None, DEFAULT_OWNER, outcome.due, outcome.buddy_text or None,
                           None])
        for col in inputs:
            c = ws.cell(row=row, column=col)
            c.fill = INPUT_FILL
            c.protection = Protection(locked=False)
        ws.cell(row=row, column=due_col).number_format = "DD/MM/YYYY"
        due.add(ws.cell(row=row, column=due_col).coordinate)


def _no_gaps_text(outcome: UnitOutcome) -> str:
    if outcome.assessed:
        return ("No gaps: every indicator met its evidence minimum and scored above the "
                "action plan threshold.")
    if outcome.status == "not-returned":
        return "No gaps can be listed: there is no return to assess."
    return (f"No gaps can be listed yet: {outcome.headline.lower()}. The plan is issued again "
            "once the assessment is complete.")


# -- feedback -----------------------------------------------------------------------------


def standing_facts(framework: Framework, standing: UnitStanding, names: dict[str, str],
                   outcome: UnitOutcome | None = None) -> list[tuple[str, Any, str]]:
    """(label, value, note) rows: numbers as numbers, blanks blank, dates as dates."""
    rule = framework.rules.baseline
    groups = {g.id: g.name for g in framework.business_groups}
    returned = standing.returned and standing.readable is not False  # something to count
    n = standing.baseline_indicators
    # Scores given to a unit without a valid return are provisional: they never count.
    provisional = "" if scores_count(standing.status) else f" ({PROVISIONAL})"
    return [
        ("Unit", f"{standing.unit_code} {standing.unit_name}", ""),
        ("Business group", groups.get(standing.business_group, standing.business_group), ""),
        ("Return", ", ".join(standing.return_files) or "None received", ""),
        ("Submission date", standing.submission_date, ""),
        ("Valid return", standing.valid if standing.returned else None, ""),
        ("Errors", standing.errors if returned else None, ""),
        ("Warnings", standing.warnings if returned else None, ""),
        ("Evidence completeness %", standing.evidence_completeness_pct if returned else None,
         ""),
        ("Indicators meeting their evidence minimum",
         standing.indicators_minimum_met if returned else None, f"of {standing.indicators}"),
        ("Baseline indicators scored by the linked DCFA", standing.linked_scored,
         f"of {n}{provisional if standing.linked_scored else ''}"),
        ("Baseline indicators scored by the unlinked DCFA", standing.unlinked_scored,
         f"of {n}{provisional if standing.unlinked_scored else ''}"),
        ("Awaiting moderation", standing.moderation_pending, "indicators"),
        (f"Baseline indicators scoring {rule.min_combined_score} or more",
         standing.baseline_at_or_above,
         f"of {n}{provisional if standing.baseline_at_or_above else ''}"),
        ("Mean combined score", standing.mean_combined,
         f"on the {framework.scale.name}{provisional if standing.mean_combined else ''}"),
        ("Status", STATUS_LABEL[standing.status], ""),
        ("Linked DCFA", advisor_label(standing.linked_dcfa, names), ""),
        ("Unlinked DCFA", advisor_label(standing.unlinked_dcfa, names) or "Not yet allocated",
         ""),
        *([] if outcome is None else [
            ("Gaps for the action plan", len(outcome.gaps) if outcome.gaps else None,
             "shaded on the Scores sheet" if outcome.gaps else ""),
            ("Action plan due back", outcome.due, "to DCFD"),
            ("Buddy unit", outcome.buddy_text or None, "")]),
    ]


def _standing_sheet(wb: Workbook, framework: Framework, standing: UnitStanding,
                    outcome: UnitOutcome, cycle_name: str, names: dict[str, str],
                    info: PrintInfo) -> None:
    ws = wb.active
    assert ws is not None
    ws.title = "Standing"
    page = Page(ws, (44, 30, 22))
    page.text(f"ESPS feedback, {cycle_name}: {standing.unit_code} "
              f"{clean_text(standing.unit_name)}", size=14, bold=True, gap=1)
    _outcome_block(page, outcome)
    top = page.header(("Measure", "Value", "Out of"))
    for label, value, note in standing_facts(framework, standing, names, outcome):
        row = page.values((label, cell_value(value), note or None))
        cell = ws.cell(row=row, column=2)
        cell.alignment = Alignment(horizontal="left", vertical="top", wrap_text=True)
        if label in ("Submission date", "Action plan due back"):
            cell.number_format = "DD/MM/YYYY"
        elif label == "Evidence completeness %":
            cell.number_format = "0.0"
        elif label == "Mean combined score":
            cell.number_format = "0.00"
        ws.cell(row=row, column=1).font = Font(name=FONT_NAME, bold=True)
    page.row += 1
    page.text("The Scores sheet has each indicator's self-assessment and both DCFAs' scores "
              "and comments; the Findings sheet lists what to correct in the return.",
              size=9, italic=True)
    print_setup(ws, info, title_rows=f"{top}:{top}")


def _assessor_heading(details: list[IndicatorStanding], role: Literal["linked", "unlinked"],
                      names: dict[str, str]) -> str | None:
    """The one advisor who gave every score of a role, as a person; None if several."""
    # The <role>_assessor fields are str | None.
    who: set[str | None] = {getattr(d, f"{role}_assessor") for d in details
                            if getattr(d, role) is not None}
    if len(who) == 1:
        return names.get(next(iter(who)) or "", next(iter(who)))
    return None


def _scores_sheet(wb: Workbook, framework: Framework, standing: UnitStanding,
                  outcome: UnitOutcome, names: dict[str, str], info: PrintInfo) -> None:
    details = standing.detail
    anything = (standing.returned and standing.readable is not False) or any(
        d.linked is not None or d.unlinked is not None for d in details)
    linked_by = _assessor_heading(details, "linked", names)
    unlinked_by = _assessor_heading(details, "unlinked", names)
    header = ["Indicator", "Indicator text", "Self-assessment", "Evidence minimum met",
              f"Linked score ({linked_by})" if linked_by else "Linked score", "Linked comment",
              f"Unlinked score ({unlinked_by})" if unlinked_by else "Unlinked score",
              "Unlinked comment", "Moderated", "Combined", "Status", "Gap"]
    gaps = {g.indicator_id: g.reason for g in outcome.gaps}
    rows = [] if not anything else [
        [d.indicator_id, framework.indicator_by_id[d.indicator_id].text,
         "N/A" if d.na else d.rating, d.minimum_met, d.linked,
         _with_assessor(d.linked_comment, d.linked_assessor, linked_by, names), d.unlinked,
         _with_assessor(d.unlinked_comment, d.unlinked_assessor, unlinked_by, names),
         d.moderated, d.combined, COMBINED_LABEL.get(d.combined_status, d.combined_status),
         gaps.get(d.indicator_id)]
        for d in details]
    ws = table_sheet(
        wb, "Scores", header, rows, info,
        widths={"Indicator text": 40, "Linked comment": 30, "Unlinked comment": 30, "Gap": 22},
        notes=[f"Shaded rows are the gaps for the action plan ({len(gaps)}): the evidence "
               "minimum not met, or a combined score of "
               f"{framework.rules.action_plan_max_score} or less."] if gaps else [],
        empty="No scores: there is no return that could be read, and no DCFA has scored the "
              "unit.")
    for r, row in enumerate(rows, start=2):
        if row[0] in gaps:
            for c in range(1, len(header) + 1):
                ws.cell(row=r, column=c).fill = GAP_FILL


def _with_assessor(comment: str, assessor: str | None, single: str | None,
                   names: dict[str, str]) -> str:
    """A comment; when several advisors scored the role, said by whom."""
    if single is not None or not assessor:
        return comment
    return f"{names.get(assessor, assessor)}: {comment}" if comment else names.get(
        assessor, assessor)


def feedback_workbook(framework: Framework, standing: UnitStanding, outcome: UnitOutcome,
                      findings: list[Any], cycle_name: str, advisor_names: dict[str, str],
                      info: PrintInfo) -> Workbook:
    """Feedback for one unit: where it stands and what happens next, both advisors' scores
    and comments (the advisors named), and the findings to correct in its return."""
    wb = Workbook()
    _standing_sheet(wb, framework, standing, outcome, cycle_name, advisor_names, info)
    _scores_sheet(wb, framework, standing, outcome, advisor_names, info)
    empty = ("No return to check." if not standing.returned
             else "No findings: the return passed every check.")
    table_sheet(wb, "Findings", ["Severity", "Code", "Sheet", "Cell", "Indicator", "Message",
                                 "How to fix"],
                [[f.severity.capitalize(), f.code, f.sheet, f.cell, f.indicator_id,
                  for_units(f.message), for_units(f.hint)] for f in findings], info,
                widths={"Message": 50, "How to fix": 44}, empty=empty)
    return wb


def write_action_plans(framework: Framework, report: SummaryReport, codes: set[str],
                       cycle: Cycle, next_year: str, out_dir: Path, info: PrintInfo, *,
                       force: bool, due: date | None = None,
                       buddies: dict[str, BuddyPair] | None = None) -> tuple[list[Path], int]:
    """One action plan workbook per chosen unit, in the summary's order; and how many of
    those units are not yet assessed. All or nothing: existing plans are refused (unless
    force) before any is written, and the plans appear in out_dir together at the end."""
    chosen = [s for s in report.units if s.unit_code in codes]
    names = distinct_names({s.unit_code: unit_workbook_name("action-plan", s, cycle.id)
                            for s in chosen})
    not_assessed = 0
    with StagedOutputs(out_dir, [names[s.unit_code] for s in chosen], force=force,
                       what="action plan") as staged:
        for standing in chosen:
            outcome = unit_outcome(framework, standing, cycle, next_year, due=due,
                                   buddy=(buddies or {}).get(standing.unit_code))
            not_assessed += not outcome.assessed
            wb = action_plan_workbook(framework, standing, outcome, cycle.name, next_year, info)
            save_workbook(wb, staged.path(names[standing.unit_code]))
    return staged.targets, not_assessed


def write_feedback(framework: Framework, report: SummaryReport, batch: BatchReport,
                   codes: list[str], cycle: Cycle, out_dir: Path, info: PrintInfo, *,
                   advisor_names: dict[str, str], force: bool, due: date | None = None,
                   buddies: dict[str, BuddyPair] | None = None
                   ) -> list[tuple[Path, str, int]]:
    """A feedback workbook per chosen unit (path, headline, findings of each). All or
    nothing, as the action plans: existing ones refused (unless force) before any is
    written, and they appear in out_dir together at the end."""
    chosen = [standing_of(report, code) for code in codes]
    names = distinct_names({s.unit_code: unit_workbook_name("feedback", s, cycle.id)
                            for s in chosen})
    next_year = next_cycle_name(framework, cycle)
    done: list[tuple[str, str, int]] = []
    with StagedOutputs(out_dir, [names[s.unit_code] for s in chosen], force=force,
                       what="feedback workbook") as staged:
        for standing in chosen:
            outcome = unit_outcome(framework, standing, cycle, next_year, due=due,
                                   buddy=(buddies or {}).get(standing.unit_code))
            findings = unit_findings(batch, standing.unit_code)
            wb = feedback_workbook(framework, standing, outcome, findings, cycle.name,
                                   advisor_names, info)
            save_workbook(wb, staged.path(names[standing.unit_code]))
            done.append((names[standing.unit_code], outcome.headline, len(findings)))
    return [(out_dir / name, headline, n) for name, headline, n in done]


def unit_workbook_name(prefix: str, standing: UnitStanding, cycle_id: str) -> str:
    return safe_filename(prefix, standing.unit_code, standing.unit_name, cycle_id)
