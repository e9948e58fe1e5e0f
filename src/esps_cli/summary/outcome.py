"""What a unit's own outputs (feedback, action plan) say about where it stands.

A unit's gaps are only its assessment's result once it has one valid return scored by both
DCFAs with nothing left to moderate. Until then its outputs say exactly why there is no result
yet (no return, more than one, unreadable, invalid, not fully scored) and what happens next;
they never say "no gaps" for a unit nobody could assess.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from esps_cli.domain.framework import Cycle, Framework
from esps_cli.summary.buddies import BuddyPair
from esps_cli.summary.models import STATUS_LABEL, Gap, UnitStanding, UnitStatus
from esps_cli.summary.rules import gaps_for


class UnitOutcome(BaseModel):
    status: UnitStatus
    headline: str
    explanation: str
    next_steps: list[str]
    assessed: bool  # True: the gaps are the assessment's result, not provisional
    gaps: list[Gap]
    due: date | None = None  # when the action plan goes back to DCFD
    buddy: BuddyPair | None = None  # the unit of its group it is buddied with

    @property
    def buddy_text(self) -> str:
        """'Camden (TP-EK)': the buddy unit, as the plan names it ("" for none)."""
        b = self.buddy
        return f"{b.buddy_name} ({b.buddy_code})" if b else ""

    @property
    def due_text(self) -> str:
        return f"{self.due:%d/%m/%Y}" if self.due else "the date DCFD gives"

    @property
    def gaps_heading(self) -> str:
        if self.assessed:
            return "Gaps for the action plan" if self.gaps else "No gaps"
        if not self.gaps:
            return "No gaps can be listed yet"
        return "Provisional gaps (the assessment is not complete)"


def _files(standing: UnitStanding) -> str:
    return ", ".join(standing.return_files)


def _deadline(cycle: Cycle) -> str:
    return f"{cycle.submission_deadline:%d/%m/%Y}"


def _not_assessed(standing: UnitStanding, cycle: Cycle) -> tuple[str, str, list[str]]:
    """Headline, explanation and next steps for a unit whose return cannot be assessed."""
    unit = f"{standing.unit_code} {standing.unit_name}"
    rescore = ("Once a valid return is in, both DCFAs score it and DCFD issues the feedback "
               "and the action plan again with the result.")
    if standing.status == "not-returned":
        return (
            f"No return received for {cycle.name}",
            f"DCFD has no self-assessment workbook from {unit} (deadline {_deadline(cycle)}). "
            "Nothing has been assessed, so there are no findings or gaps to act on, and the "
            "unit does not meet the baseline. It is reported to the Diversity Board as an "
            "exception.",
            ["Complete the unit's workbook and return it to DCFD as soon as possible; DCFD "
             "will chase it.", rescore],
        )
    if standing.status == "duplicate-returns":
        return (
            "More than one return received",
            f"DCFD received {len(standing.return_files)} workbooks for {unit} "
            f"({_files(standing)}) and cannot assess any until one is chosen.",
            ["DCFD confirms with the unit which return stands and sets the others aside.",
             rescore],
        )
    if standing.status == "unreadable":
        return (
            "The return could not be read",
            f"{_files(standing)} could not be opened as an ESPS workbook (damaged, "
            "password-protected, or not an Excel workbook), so nothing in it was assessed.",
            ["Save the workbook again as .xlsx from the workbook DCFD sent, without a "
             "password, and return it.", rescore],
        )
    return (
        "The return is invalid",
        f"{_files(standing)} has {standing.errors} error(s), so it is not scored yet and the "
        "unit does not meet the baseline. Any DCFA scores already recorded are provisional and "
        "do not count. The gaps listed are what the return itself shows (evidence minimums "
        "not met); they are provisional.",
        ["Correct every error listed on the feedback workbook's Findings sheet (each names "
         "the sheet and cell) and return the workbook again.", rescore],
    )


def unit_outcome(framework: Framework, standing: UnitStanding, cycle: Cycle,
                 next_year: str, *, due: date | None = None,
                 buddy: BuddyPair | None = None) -> UnitOutcome:
    """The truth about one unit, for its feedback and its action plan: `due`, when the plan
    goes back to DCFD (esps.toml's action_plan_due, else the framework cycle's); `buddy`,
    the unit it is buddied with (units below the baseline)."""
    due = due or cycle.action_plan_due
    gaps = gaps_for(framework, standing)
    rule = framework.rules.baseline
    status = standing.status
    if status in ("not-returned", "duplicate-returns", "unreadable", "invalid"):
        headline, explanation, steps = _not_assessed(standing, cycle)
        assessed = False
    elif status.startswith("awaiting-"):
        n = standing.baseline_indicators
        headline = "Assessment not complete"
        explanation = (
            f"{STATUS_LABEL[status]}. Of {n} baseline indicators, {standing.linked_scored} "
            f"have the linked DCFA's score and {standing.unlinked_scored} the unlinked DCFA's"
            + (f"; {standing.moderation_pending} await moderation"
               if standing.moderation_pending else "")
            + ". Any gaps listed are provisional."
        )
        steps = ["The DCFAs finish scoring (and moderating where their scores differ by "
                 f"{framework.rules.combination.moderation_threshold} or more).",
                 "DCFD then issues the feedback and the action plan again with the result."]
        assessed = False
    else:
        assessed = True
        below = standing.baseline_indicators - standing.baseline_at_or_above
        if status == "below-baseline":
            headline = "Below the baseline"
            explanation = (f"{below} of {standing.baseline_indicators} baseline indicators "
                           f"have a combined DCFA score below {rule.min_combined_score}.")
        else:
            headline = "Meets the baseline"
            explanation = (f"All {standing.baseline_indicators} baseline indicators have a "
                           f"combined DCFA score of {rule.min_combined_score} or more.")
        when = f"{due:%d/%m/%Y}" if due else "the date DCFD gives"
        steps = ([f"Put each gap into the unit's business action plan for {next_year} (an "
                  f"action and an owner for each) and return the plan to DCFD by {when}."]
                 if gaps else ["Keep the evidence current for the next cycle."])
        if status == "below-baseline" and buddy is not None:
            steps.append(f"The unit is buddied with {buddy.buddy_name} ({buddy.buddy_code}), "
                         "a unit of its business group that meets the baseline and is strong "
                         f"in {buddy.weakest_theme}: contact them to share what works.")
        elif status == "below-baseline":
            steps.append("DCFD may buddy the unit with one of its business group that meets "
                         "the baseline.")
    return UnitOutcome(status=status, headline=headline, explanation=explanation,
                       next_steps=steps, assessed=assessed, gaps=gaps, due=due, buddy=buddy)
