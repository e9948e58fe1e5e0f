"""`esps challenge respond`: the force's answer to a challenge, with its outcome.

The response must say something (a public reply: at least four words, not the outcome again).
An upheld or partly upheld challenge on an indicator sends it back to moderation: the
indicator is in the next moderation packs (esps score packs --moderation) for a DCFA who is
neither of the unit's assessors, even where the two scores agree, and the moderated score
recorded after the response is the score the challenge led to (register/challenges.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from pydantic import BaseModel

from esps_cli.domain.community import OUTCOME_LABEL, REOPENING, Outcome
from esps_cli.errors import ConfigError, EspsError
from esps_cli.io.output import plain
from esps_cli.register import Register
from esps_cli.register.challenges import Challenge, add_response, challenges, parse_ref
from esps_cli.scoring.combine import combine
from esps_cli.scoring.roster import Roster

MIN_RESPONSE_WORDS = 4


class ResponseError(EspsError):
    """A response that cannot be recorded (exit code 2); nothing was recorded."""

    exit_code = 2


class Answered(BaseModel):
    challenge: Challenge
    outcome: Outcome
    reopened: bool  # the indicator goes back to moderation
    combined_before: int | None
    assessors: list[str]  # who may not moderate it (the unit's linked and unlinked DCFAs)


def response_problem(response: str, outcome: Outcome) -> str | None:
    """Why a response says nothing: blank, a mark, a few words, or only the outcome."""
    words = [w.strip(".,;:!?'\"()").casefold() for w in response.split()]
    words = [w for w in words if any(ch.isalpha() for ch in w)]
    outcome_words = set(OUTCOME_LABEL[outcome].casefold().split()) | set(outcome.split("-"))
    if len(words) < MIN_RESPONSE_WORDS or set(words) <= outcome_words | {"the", "is", "was",
                                                                          "challenge"}:
        shown = f"{response.strip()!r} " if response.strip() else ""
        return (f"the response {shown}says nothing: the group reads it, so say in a sentence "
                f"(at least {MIN_RESPONSE_WORDS} words) what was looked at and what it found")
    return None


def find_challenge(register: Register, ref: str) -> Challenge:
    number = parse_ref(ref)
    found = challenges(register, ids=[number]) if number is not None else []
    if not found:
        raise ConfigError(f"no challenge {ref!r} on record (see esps challenge list)")
    return found[0]


def respond(register: Register, roster: Roster, ref: str, *, by: str, outcome: Outcome,
            response: str, on: date, redact: Callable[[str], str]) -> Answered:
    """Record the answer to challenge ref, or raise ResponseError saying why not."""
    challenge = find_challenge(register, ref)
    if challenge.cycle != roster.cycle.id:
        raise ConfigError(f"{challenge.ref} is about cycle {challenge.cycle}: answer it with "
                          f"--cycle {challenge.cycle}")
    problems = []
    if challenge.response is not None:
        r = challenge.response
        problems.append(f"{challenge.ref} was answered on {r.responded_on:%d/%m/%Y} by "
                        f"{r.responder} ({OUTCOME_LABEL[r.outcome].lower()}); a challenge is "
                        "answered once")
    if not by.strip():
        problems.append("say who answers: --by ID")
    if why := response_problem(response, outcome):
        problems.append(why)
    if on < challenge.received_on:
        problems.append(f"the response date {on:%d/%m/%Y} is before the challenge was "
                        f"received ({challenge.received_on:%d/%m/%Y})")
    if problems:
        raise ResponseError("; ".join(problems) + "; nothing recorded")
    try:
        responder = roster.advisor(by)
    except ValueError:
        responder = by.strip()
    before: int | None = None
    assessors: list[str] = []
    if challenge.indicator:
        pair = register.current(challenge.cycle, challenge.unit, challenge.indicator)
        before = combine(pair, roster.rule).score
        assessors = sorted({e.assessor for e in (pair.linked, pair.unlinked) if e is not None})
    add_response(register, challenge, responder=responder, outcome=outcome,
                 response=redact(plain(" ".join(response.split()))), responded_on=on,
                 combined_before=before)
    return Answered(challenge=find_challenge(register, str(challenge.id)), outcome=outcome,
                    reopened=outcome in REOPENING and bool(challenge.indicator),
                    combined_before=before, assessors=assessors)
