"""What the register holds, as typed models: score events, allocations and imports."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, SerializerFunctionWrapHandler, model_serializer

COMMAND_LINE_SOURCE = "command line"

Role = Literal["linked", "unlinked", "moderated"]
ROLES: tuple[Role, ...] = ("linked", "unlinked", "moderated")


class Mark(NamedTuple):
    """One current score as bulk reads need it (export, agreement, summary): who, what and why,
    without the event's provenance. A plain tuple: a bulk read of every score of a cycle builds
    no validated ScoreEvent model per row."""

    assessor: str
    score: int
    comment: str


# A (unit, indicator)'s current marks: [linked, unlinked, moderated], None where not scored.
Marks = list[Mark | None]


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

    Its fields are the one definition of the columns of ``score_events`` an event is given:
    the insert, the reads (ScoreEvent adds the register's own columns), the audit log's
    canonical form of a row and an import's rows are all derived from them, so a new column
    is a migration plus a field here (tests/test_register.py compares them with the table).

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
    # Who entered it: the PostgreSQL login (checked by the database), or on SQLite the
    # operating-system user; filled in by the register when it records (schema version 8).
    entered_by: str | None = None

    def same_as(self, event: ScoreEvent | None) -> bool:
        """Whether recording this would repeat the current event (same score, comment, assessor)."""
        return (
            event is not None
            and event.score == self.score
            and event.comment == self.comment
            and event.assessor == self.assessor
        )


# The columns the register itself fills in when it records an event; ScoreEvent shows
# the first two (an event read back), the import's id only in the stored row.
REGISTER_COLUMNS = ("id", "recorded_at", "import_id")


def _table_order(given: tuple[str, ...]) -> tuple[str, ...]:
    """score_events' columns in the table's order: the id, the given columns with the time
    recorded before the source (where the first migration put it), the import's id after
    source_sha256, then the columns added since."""
    at = given.index("source")
    first = (*given[:at], "recorded_at", *given[at:at + 2], "import_id", *given[at + 2:])
    return ("id", *first)


EVENT_FIELDS: tuple[str, ...] = tuple(NewEvent.model_fields)
EVENT_COLUMNS: tuple[str, ...] = _table_order(EVENT_FIELDS)
# Defaults of the given columns, for an import's rows built as plain dicts (event_row).
_EVENT_DEFAULTS = {name: f.default for name, f in NewEvent.model_fields.items()
                   if not f.is_required()}


def event_row(**given: Any) -> dict[str, Any]:
    """A NewEvent as a plain dict (an import builds 100,000 of them: no model each, the
    importer has checked the values): every given column, defaults filled in."""
    row = {**_EVENT_DEFAULTS, **given}
    if len(row) != len(EVENT_FIELDS):
        unknown = sorted(set(row) - set(EVENT_FIELDS))
        missing = sorted(set(EVENT_FIELDS) - set(row))
        raise TypeError(f"not a score event's columns: unknown {unknown}, missing {missing}")
    return row


class ScoreEvent(NewEvent):
    """One recorded score: who gave which score to which indicator of which unit, and from where.

    A moderated score names the linked and unlinked events it settles (``moderates_linked``,
    ``moderates_unlinked``); the database refuses one whose events are no longer current.
    Shown (JSON) with its fields in the table's column order.
    """

    id: int = 0
    recorded_at: datetime

    @model_serializer(mode="wrap")
    def _in_table_order(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        return {k: data[k] for k in EVENT_COLUMNS if k in data}


class ScorePair(BaseModel):
    """The current linked, unlinked and moderated score of one (unit, indicator)."""

    model_config = ConfigDict(frozen=True)
    linked: ScoreEvent | None = None
    unlinked: ScoreEvent | None = None
    moderated: ScoreEvent | None = None

    def get(self, role: Role) -> ScoreEvent | None:
        event: ScoreEvent | None = getattr(self, role)  # role names one of the three fields
        return event


def now_utc() -> datetime:
    return datetime.now(UTC)


def timestamp(value: datetime) -> str:
    """How the register stores a time on both engines: ISO 8601 UTC text, to the microsecond
    (sorts in time order as text; identical on SQLite and PostgreSQL)."""
    return value.astimezone(UTC).isoformat(timespec="microseconds")


# -- the review loop with units: workbooks issued, returns received, review states ---------

ReviewState = Literal["received", "has-issues", "approved", "rejected", "resubmitted"]
REVIEW_STATES: tuple[ReviewState, ...] = (
    "received", "has-issues", "approved", "rejected", "resubmitted")
# States that need a reason (the database refuses them without one).
REASON_REQUIRED: tuple[ReviewState, ...] = ("has-issues", "rejected")
# After these, a new return sets the state to resubmitted by itself.
AWAITING_RESUBMISSION: tuple[ReviewState, ...] = ("has-issues", "rejected")
# Who the register names for the states esps sets by itself.
AUTOMATIC = "esps validate"


class WorkbookIssue(BaseModel):
    """One unit workbook as `esps generate` sent it: its random pack id seals its identity."""

    model_config = ConfigDict(frozen=True)
    pack_id: str
    cycle: str
    unit: str
    framework_id: str
    framework_version: str
    file: str
    issued_at: datetime | None = None


class ReturnRecord(BaseModel):
    """One return as `esps validate` first read it: what it held and what was found in it.

    findings: compact [code, severity, sheet, cell, indicator id, message] lists; answers: the
    answers read (ratings, N/A reasons, narratives, evidence rows by indicator)."""

    model_config = ConfigDict(frozen=True)
    id: int = 0
    cycle: str
    unit: str
    file: str
    sha256: str
    pack_id: str = ""
    received_at: datetime
    readable: bool
    errors: int
    warnings: int
    findings: list[list[str]]
    answers: dict[str, Any]
    answers_sha256: str
    previous_id: int | None = None


class ReviewChange(BaseModel):
    """One change of a unit's review state: who set which state, when and why."""

    model_config = ConfigDict(frozen=True)
    id: int = 0
    cycle: str
    unit: str
    state: ReviewState
    set_by: str
    reason: str = ""
    set_at: datetime
    return_id: int | None = None
