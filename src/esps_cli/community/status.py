"""Where each challenge stands (open, overdue, answered, answered late) against the response
deadline, and the figures drawn from that: the Board pack's counts and "You said, we did".

The deadline is the date received plus the response days (esps.toml's
`challenge_response_days`, else the framework's rule, 28 by default). A challenge is overdue
from the day after its deadline: on the deadline day itself it is still open.
"""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import BaseModel

from esps_cli.domain.community import (
    DEFAULT_RESPONSE_DAYS,
    OUTCOME_LABEL,
    ChallengeCounts,
    ChallengeState,
    YouSaidWeDid,
)
from esps_cli.domain.config import Settings
from esps_cli.domain.framework import Framework
from esps_cli.register.challenges import Challenge

AWAITING = "Awaiting a reply"


def response_days(settings: Settings | None, framework: Framework | None) -> int:
    if settings is not None and settings.challenge_response_days:
        return settings.challenge_response_days
    if framework is not None:
        return framework.rules.challenge_response_days
    return DEFAULT_RESPONSE_DAYS


def due_on(challenge: Challenge, days: int) -> date:
    return challenge.received_on + timedelta(days=days)


def state_of(challenge: Challenge, days: int, on: date) -> ChallengeState:
    due = due_on(challenge, days)
    if challenge.response is not None:
        return "answered-late" if challenge.response.responded_on > due else "answered"
    return "overdue" if on > due else "open"


class ChallengeLine(BaseModel):
    """One challenge as `esps challenge list` shows it."""

    id: int
    ref: str
    group: str
    unit: str
    subject: str
    received_on: date
    due_on: date
    state: ChallengeState
    days_left: int  # negative: days overdue; for an answered challenge, 0
    reply_by: str
    challenged: str
    outcome: str = ""
    response: str = ""
    responder: str = ""
    responded_on: date | None = None
    score_before: int | None = None
    rescore_event: int | None = None
    score_after: int | None = None


def lines(challenges: list[Challenge], days: int, on: date) -> list[ChallengeLine]:
    out = []
    for c in challenges:
        state = state_of(c, days, on)
        due = due_on(c, days)
        r = c.response
        out.append(ChallengeLine(
            id=c.id, ref=c.ref, group=c.group_name, unit=c.unit, subject=c.subject,
            received_on=c.received_on, due_on=due, state=state,
            days_left=0 if r is not None else (due - on).days, reply_by=c.reply_by,
            challenged=c.challenged, outcome=r.outcome if r else "",
            response=r.response if r else "", responder=r.responder if r else "",
            responded_on=r.responded_on if r else None,
            score_before=r.combined_before if r else None,
            rescore_event=c.rescore.event_id if c.rescore else None,
            score_after=c.rescore.score if c.rescore else None))
    return out


def score_changed(c: Challenge) -> bool:
    return (c.rescore is not None and c.response is not None
            and c.rescore.score != c.response.combined_before)


def counts(challenges: list[Challenge], days: int, on: date) -> ChallengeCounts:
    states = [state_of(c, days, on) for c in challenges]
    outcomes = [c.response.outcome for c in challenges if c.response is not None]
    return ChallengeCounts(
        received=len(challenges), open=states.count("open") + states.count("overdue"),
        overdue=states.count("overdue"), answered=len(outcomes),
        upheld=outcomes.count("upheld"), partly_upheld=outcomes.count("partly-upheld"),
        not_upheld=outcomes.count("not-upheld"),
        scores_changed=sum(1 for c in challenges if score_changed(c)), as_at=on)


def you_said_we_did(challenges: list[Challenge], unit_names: dict[str, str],
                    subjects: dict[str, str], days: int, on: date) -> list[YouSaidWeDid]:
    """Each challenge as the public reads it: the group named, what it said, the response
    and the outcome (and the score before and after, where one changed). subjects: how to
    name each indicator and theme (by id) in plain words."""
    out = []
    for c in challenges:
        r = c.response
        out.append(YouSaidWeDid(
            challenge=c.ref, group=c.group_name, unit=unit_names.get(c.unit, c.unit),
            subject=subjects.get(c.indicator or c.theme, c.subject),
            you_said=c.challenged,
            we_did=r.response if r else "We have not replied yet.",
            outcome=OUTCOME_LABEL[r.outcome] if r else AWAITING,
            score_before=r.combined_before if r and c.rescore else None,
            score_after=c.rescore.score if c.rescore else None,
            state=state_of(c, days, on)))
    return out
