"""A unit's feedback and action plan as one web page (and PDF), for its commander: where the
unit stands and what happens next, the gaps for next year's plan with Action, Owner and Due
date to fill in, both DCFAs' scores (named), and what to correct in the return."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path

from pydantic import BaseModel

from esps_cli.domain.framework import Cycle, Framework
from esps_cli.findings import Finding
from esps_cli.io.safety import StagedOutputs, distinct_names, safe_filename
from esps_cli.reports.editions.page import EditionInfo, Table, cols
from esps_cli.reports.editions.public import unit_label
from esps_cli.reports.editions.render import edition_bytes, render_html
from esps_cli.summary.buddies import BuddyPair
from esps_cli.summary.models import SummaryReport, UnitStanding
from esps_cli.summary.outcome import UnitOutcome, unit_outcome


class UnitEdition(BaseModel):
    info: EditionInfo
    unit: str
    headline: str
    explanation: str
    next_steps: list[str]
    assessed: bool
    facts: Table
    plan_heading: str
    plan_note: str
    plan: Table | None
    scores: Table | None
    findings: Table | None
    findings_note: str


def _facts_table(framework: Framework, standing: UnitStanding, names: dict[str, str]
                 ) -> Table:
    from esps_cli.reports.unit import standing_facts

    rows: list[list[str | int | float | None]] = []
    for label, value, note in standing_facts(framework, standing, names):
        shown = (f"{value:%d/%m/%Y}" if isinstance(value, date)
                 else ("Yes" if value else "No") if isinstance(value, bool) else value)
        rows.append([label, shown, note])
    return Table(id="standing", caption="Where the unit stands, measure by measure",
                 columns=cols("Measure", "Value", "Out of"), rows=rows)


def _plan(framework: Framework, outcome: UnitOutcome, next_year: str) -> Table | None:
    if not outcome.gaps:
        return None
    return Table(
        id="action-plan", caption=f"Action plan for {next_year}: "
        f"{len(outcome.gaps)} gap{'s' if len(outcome.gaps) != 1 else ''}",
        columns=cols("Indicator", "What the indicator asks", "Gap", "Combined score",
                     "Action", "Owner", "Due date", numeric=(3,)),
        rows=[[g.indicator_id, f"{g.esps_unit}: {g.indicator}", g.reason, g.combined, "", "",
               ""] for g in outcome.gaps])


def _scores(framework: Framework, standing: UnitStanding, names: dict[str, str]
            ) -> Table | None:
    from esps_cli.reports.unit import COMBINED_LABEL

    scored = [d for d in standing.detail if d.linked is not None or d.unlinked is not None]
    if not scored:
        return None

    def said(score: int | None, comment: str, who: str | None) -> str | None:
        if score is None:
            return None
        by = names.get(who or "", who or "")
        return f"{score} ({by}){': ' + comment if comment else ''}"

    return Table(
        id="scores", caption="Each indicator's scores: the unit's own, both DCFAs' (named, "
        "with their comments) and the combined score",
        columns=cols("Indicator", "Self-assessment", "Evidence minimum met", "Linked DCFA",
                     "Unlinked DCFA", "Combined", "Status", numeric=(1, 5)),
        rows=[[d.indicator_id, "N/A" if d.na else d.rating,
               None if d.minimum_met is None else ("Yes" if d.minimum_met else "No"),
               said(d.linked, d.linked_comment, d.linked_assessor),
               said(d.unlinked, d.unlinked_comment, d.unlinked_assessor),
               d.moderated if d.moderated is not None else d.combined,
               COMBINED_LABEL.get(d.combined_status, d.combined_status)]
              for d in standing.detail])


def _findings(findings: list[Finding]) -> Table | None:
    if not findings:
        return None
    return Table(
        id="findings", caption=f"What to correct in the return: {len(findings)} finding"
        f"{'s' if len(findings) != 1 else ''}",
        columns=cols("Where", "Indicator", "Severity", "What is wrong", "How to fix"),
        rows=[[f"{f.sheet}!{f.cell}" if f.cell else (f.sheet or f.file), f.indicator_id or None,
               f.severity.capitalize(), f.message, f.hint or None] for f in findings])


def unit_edition(framework: Framework, standing: UnitStanding, outcome: UnitOutcome,
                 findings: list[Finding], info: EditionInfo, *, next_year: str,
                 advisor_names: dict[str, str] | None = None) -> UnitEdition:
    names = advisor_names or {}
    if outcome.gaps:
        note = ("Provisional: the assessment is not complete, so these gaps may change. "
                if not outcome.assessed else "") + (
            "A gap is an indicator whose evidence minimum was not met or whose combined DCFA "
            f"score was {framework.rules.action_plan_max_score} or less. Fill in the action, "
            "its owner and a due date for each (on the printed copy, or in the xlsx plan).")
    else:
        note = ("No gaps: every indicator met its evidence minimum and scored above the "
                "action plan threshold." if outcome.assessed else
                "No gaps can be listed yet: the plan is issued again once the assessment is "
                "complete.")
    return UnitEdition(
        info=info, unit=unit_label(standing), headline=outcome.headline,
        explanation=outcome.explanation, next_steps=outcome.next_steps,
        assessed=outcome.assessed, facts=_facts_table(framework, standing, names),
        plan_heading=outcome.gaps_heading, plan_note=note,
        plan=_plan(framework, outcome, next_year), scores=_scores(framework, standing, names),
        findings=_findings(findings),
        findings_note=("No return to check." if not standing.returned else
                       "No findings: the return passed every check."))


def unit_html(edition: UnitEdition) -> str:
    return render_html("unit.html.j2", **dict(edition))


def unit_page_name(standing: UnitStanding, cycle_id: str, suffix: str) -> str:
    return safe_filename("feedback", standing.unit_code, standing.unit_name, cycle_id,
                         suffix=suffix)


def write_unit_pages(framework: Framework, report: SummaryReport, codes: Iterable[str],
                     findings: dict[str, list[Finding]], cycle: Cycle, next_year: str,
                     out_dir: Path, info: EditionInfo, *, suffix: str, force: bool,
                     advisor_names: dict[str, str] | None = None, due: date | None = None,
                     buddies: dict[str, BuddyPair] | None = None) -> list[Path]:
    """One feedback and action plan page (.html or .pdf) per chosen unit, all or nothing
    (existing files refused unless force, the pages appear together at the end); `due` and
    `buddies` as for the workbooks (the plan's return date, each unit's buddy)."""
    wanted = set(codes)
    chosen = [s for s in report.units if s.unit_code in wanted]
    names = distinct_names({s.unit_code: unit_page_name(s, cycle.id, suffix) for s in chosen})
    with StagedOutputs(out_dir, [names[s.unit_code] for s in chosen], force=force,
                       what="feedback page") as staged:
        for s in chosen:
            page_info = info.model_copy(update={"title": f"{info.title}: {unit_label(s)}",
                                                "cycle": ""})
            outcome = unit_outcome(framework, s, cycle, next_year, due=due,
                                   buddy=(buddies or {}).get(s.unit_code))
            edition = unit_edition(framework, s, outcome,
                                   findings.get(s.unit_code, []), page_info,
                                   next_year=next_year, advisor_names=advisor_names)
            staged.path(names[s.unit_code]).write_bytes(
                edition_bytes(unit_html(edition), suffix))
    return staged.targets
