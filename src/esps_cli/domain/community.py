"""Community review of the assessment (issue 23): community groups, what a challenge is, and
the figures the Board pack and the public edition carry about challenges and releases.

A community group (a Community Police Engagement Group, say) is listed in groups.csv like the
units and advisors: an id, a name, the units it covers and a contact. The contact is DCFD's
alone: it is never written to the register, a form, a report or an export.
"""

from __future__ import annotations

from datetime import date
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict

Outcome = Literal["upheld", "partly-upheld", "not-upheld"]
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)
# Outcomes that send an indicator back to moderation by a third DCFA.
REOPENING: tuple[Outcome, ...] = ("upheld", "partly-upheld")
OUTCOME_LABEL: dict[str, str] = {
    "upheld": "Upheld", "partly-upheld": "Partly upheld", "not-upheld": "Not upheld"}
ReplyBy = Literal["writing", "meeting"]
REPLY_LABEL: dict[str, str] = {"writing": "In writing", "meeting": "At a meeting"}
ChallengeState = Literal["open", "overdue", "answered", "answered-late"]
DEFAULT_RESPONSE_DAYS = 28


class CommunityGroup(BaseModel):
    """A community group that may challenge the assessment of the units it covers."""

    model_config = ConfigDict(frozen=True)
    id: str
    name: str
    area: str = ""
    units: tuple[str, ...] = ()  # unit codes; empty: every unit (a force-wide group)
    contact: str = ""  # private: never leaves groups.csv
    row: int = 0

    def covers(self, unit_code: str) -> bool:
        return not self.units or unit_code.casefold() in {u.casefold() for u in self.units}


GROUP_COLUMNS = {
    "id": ("id", "group id", "group_id", "code"),
    "name": ("name", "group", "group name"),
    "area": ("area", "borough", "covers"),
    "units": ("units", "unit codes", "unit_codes"),
    "contact": ("contact", "email", "e-mail", "phone", "contact details"),
}


class ChallengeCounts(BaseModel):
    """The Board pack's figures: challenges received, open, overdue, upheld (fully or in
    part), and how many of those changed a combined score."""

    received: int = 0
    open: int = 0
    overdue: int = 0
    answered: int = 0
    upheld: int = 0
    partly_upheld: int = 0
    not_upheld: int = 0
    scores_changed: int = 0
    as_at: date | None = None


class YouSaidWeDid(BaseModel):
    """One challenge as the public reads it: the group (named), what it said, what the force
    answered and what came of it; no personal data."""

    challenge: str  # e.g. C3
    group: str
    unit: str
    subject: str  # the indicator or theme challenged
    you_said: str
    we_did: str
    outcome: str  # a label: Upheld, Partly upheld, Not upheld, Awaiting a reply
    score_before: int | None = None
    score_after: int | None = None
    state: str = ""  # open, overdue, answered, answered-late (as at the edition's date)


class ReleaseNote(BaseModel):
    """Which release an edition is: version, date, who signed it off, who saw it before."""

    cycle: str
    version: int
    released_on: date
    signed_off: str
    pre_release_access: list[str] = []
    changes: str = ""  # what a correction changed (empty for the first version)
    superseded_by: int | None = None
    superseded_on: date | None = None
    superseded_changes: str = ""


class CommunityFigures(BaseModel):
    """What an edition says about community review: its release, how to challenge it, the
    challenge counts and, for the cycle before, "You said, we did"."""

    release: ReleaseNote | None = None
    challenge_route: str = ""
    counts: ChallengeCounts | None = None
    you_said_we_did_cycle: str = ""
    you_said_we_did: list[YouSaidWeDid] = []
    # This cycle's challenges so far (the Board pack lists them beside the counts).
    this_cycle: list[YouSaidWeDid] = []
