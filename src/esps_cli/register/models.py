"""What the register holds, as typed models: score events, allocations and imports."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

COMMAND_LINE_SOURCE = "command line"

Role = Literal["linked", "unlinked", "moderated"]
ROLES: tuple[Role, ...] = ("linked", "unlinked", "moderated")


class ScoreEvent(BaseModel):
    """One recorded score: who gave which score to which indicator of which unit, and from where.

    A moderated score names the linked and unlinked events it settles (``moderates_linked``,
    ``moderates_unlinked``); the database refuses one whose events are no longer current.
    """

    model_config = ConfigDict(frozen=True)
    id: int = 0
    cycle: str
    unit: str
    indicator: str
    role: Role
    assessor: str
    score: int
    comment: str = ""
    recorded_at: datetime
    source: str = COMMAND_LINE_SOURCE
    source_sha256: str | None = None
    moderates_linked: int | None = None
    moderates_unlinked: int | None = None


class ScorePair(BaseModel):
    """The current linked, unlinked and moderated score of one (unit, indicator)."""

    model_config = ConfigDict(frozen=True)
    linked: ScoreEvent | None = None
    unlinked: ScoreEvent | None = None
    moderated: ScoreEvent | None = None

    def get(self, role: Role) -> ScoreEvent | None:
        return getattr(self, role)


class Allocation(BaseModel):
    model_config = ConfigDict(frozen=True)
    cycle: str
    unit: str
    unlinked_dcfa: str
    allocated_at: datetime
    seed: int | None = None


class ImportRecord(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: int
    cycle: str
    source: str
    source_sha256: str
    kind: str
    imported_at: datetime
    events: int


class NewEvent(BaseModel):
    """A score about to be recorded (the register adds the id and the time).

    For a moderated score, ``moderates_linked`` and ``moderates_unlinked`` are the ids of the
    events the moderator saw (e.g. printed in a moderation pack). Left empty, the register fills
    in the current ones inside the recording transaction.
    """

    model_config = ConfigDict(frozen=True)
    cycle: str
    unit: str
    indicator: str
    role: Role
    assessor: str
    score: int
    comment: str = ""
    source: str = COMMAND_LINE_SOURCE
    source_sha256: str | None = None
    moderates_linked: int | None = None
    moderates_unlinked: int | None = None

    def same_as(self, event: ScoreEvent | None) -> bool:
        """Whether recording this would repeat the current event (same score, comment, assessor)."""
        return (
            event is not None
            and event.score == self.score
            and event.comment == self.comment
            and event.assessor == self.assessor
        )


def now_utc() -> datetime:
    return datetime.now(UTC)


def timestamp(value: datetime) -> str:
    """How the register stores a time on both engines: ISO 8601 UTC text, to the microsecond
    (sorts in time order as text; identical on SQLite and PostgreSQL)."""
    return value.astimezone(UTC).isoformat(timespec="microseconds")
