"""The register's record of community review (schema version 6): challenge forms issued,
challenges received, the force's responses, and published releases. Every table is append-only
(a database trigger) and every row written is an entry of the audit log.

A response records the register's last score event id when it was given (``events_before``)
and the combined score then; the first moderated score recorded for the same unit and indicator
after that id is the score the challenge led to (``rescore``), so a changed score is traceable
from the challenge to the new event. No table here holds a group's contact details.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from esps_cli.domain.community import REOPENING, Outcome, ReplyBy
from esps_cli.register import audit
from esps_cli.register.engines import Row
from esps_cli.register.models import now_utc, timestamp
from esps_cli.register.store import Register


class Rescore(BaseModel):
    """The moderated score an upheld challenge led to."""

    model_config = ConfigDict(frozen=True)
    event_id: int
    score: int
    moderator: str
    recorded_at: datetime


class Response(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: int
    responder: str
    outcome: Outcome
    response: str
    responded_on: date
    events_before: int
    combined_before: int | None = None


class Challenge(BaseModel):
    """One challenge as recorded, with its response (None: not answered yet)."""

    model_config = ConfigDict(frozen=True)
    id: int
    cycle: str
    group_id: str
    group_name: str
    unit: str
    indicator: str = ""
    theme: str = ""
    challenged: str
    evidence: str = ""
    reply_by: ReplyBy
    received_on: date
    source: str
    form_id: str = ""
    response: Response | None = None
    rescore: Rescore | None = None

    @property
    def ref(self) -> str:
        return challenge_ref(self.id)

    @property
    def subject(self) -> str:
        return self.indicator or self.theme


def challenge_ref(challenge_id: int) -> str:
    """How people name a challenge: C and its number (C12)."""
    return f"C{challenge_id}"


def parse_ref(text: str) -> int | None:
    """12, C12, c-12 -> 12; None for anything else."""
    value = text.strip().upper().removeprefix("C").removeprefix("-").strip()
    return int(value) if value.isdigit() and len(value) < 12 else None


# -- forms issued ---------------------------------------------------------------------------


def record_form(register: Register, *, form_id: str, cycle: str, group_id: str,
                file: str) -> None:
    with register.transaction():
        new_id = register.database.insert("challenge_forms", {
            "form_id": form_id, "cycle": cycle, "group_id": group_id, "file": file,
            "issued_at": timestamp(now_utc())})
        audit.log_rows(register.database, "challenge_forms", new_id)


def find_form(register: Register, form_id: str) -> Row | None:
    return register.database.query_one(
        "SELECT * FROM challenge_forms WHERE form_id = ?", (form_id,))


# -- challenges -----------------------------------------------------------------------------


def keys_on_record(register: Register, keys: list[str]) -> set[str]:
    if not keys:
        return set()
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        rows = register.database.query(
            "SELECT challenge_key FROM challenges WHERE challenge_key IN "
            f"({', '.join('?' for _ in chunk)})", chunk)
        found.update(r["challenge_key"] for r in rows)
    return found


def add_challenges(register: Register, rows: list[dict[str, Any]]) -> list[int]:
    """Record challenges (each a dict of the table's columns but id and recorded_at) with
    their audit entries, in one transaction; rows whose key is already on record are skipped.
    Returns the new ids."""
    ids: list[int] = []
    with register.transaction():
        known = keys_on_record(register, [r["challenge_key"] for r in rows])
        at = timestamp(now_utc())
        for row in rows:
            if row["challenge_key"] in known:
                continue
            known.add(row["challenge_key"])
            ids.append(register.database.insert("challenges", {**row, "recorded_at": at}))
        if ids:
            audit.log_rows(register.database, "challenges", ids[0], ids[-1])
    return ids


def _response(row: Row) -> Response:
    return Response(id=row["id"], responder=row["responder"], outcome=row["outcome"],
                    response=row["response"], responded_on=date.fromisoformat(
                        row["responded_on"]), events_before=row["events_before"],
                    combined_before=row["combined_before"])


def challenges(register: Register, cycle: str | None = None,
               ids: list[int] | None = None) -> list[Challenge]:
    """The challenges (of a cycle, or with these ids), oldest first, each with its response
    and the moderated score it led to."""
    where: list[str] = []
    params: list[object] = []
    if cycle is not None:
        where.append("cycle = ?")
        params.append(cycle)
    if ids is not None:
        if not ids:
            return []
        where.append(f"id IN ({', '.join('?' for _ in ids)})")
        params.extend(ids)
    sql = "SELECT * FROM challenges" + (f" WHERE {' AND '.join(where)}" if where else "")
    with register.snapshot():
        rows = register.database.query(sql + " ORDER BY id", params)
        found = [r["id"] for r in rows]
        responses: dict[int, Response] = {}
        for start in range(0, len(found), 500):
            chunk = found[start:start + 500]
            for r in register.database.query(
                    "SELECT * FROM challenge_responses WHERE challenge_id IN "
                    f"({', '.join('?' for _ in chunk)})", chunk):
                responses[r["challenge_id"]] = _response(r)
        out = []
        for r in rows:
            response = responses.get(r["id"])
            rescore = (_rescore(register, r, response) if response is not None
                       and response.outcome in REOPENING and r["indicator"] else None)
            data = {k: v for k, v in r.items() if k not in ("challenge_key", "source_sha256",
                                                          "recorded_at")}
            data["received_on"] = date.fromisoformat(r["received_on"])
            out.append(Challenge(**data, response=response, rescore=rescore))
    return out


def _rescore(register: Register, row: Row, response: Response) -> Rescore | None:
    found = register.database.query_one(
        "SELECT id, score, assessor, recorded_at FROM score_events WHERE cycle = ? AND "
        "unit = ? AND indicator = ? AND role = 'moderated' AND id > ? ORDER BY id LIMIT 1",
        (row["cycle"], row["unit"], row["indicator"], response.events_before))
    if found is None:
        return None
    return Rescore(event_id=found["id"], score=found["score"], moderator=found["assessor"],
                   recorded_at=datetime.fromisoformat(found["recorded_at"]))


def add_response(register: Register, challenge: Challenge, *, responder: str,
                 outcome: Outcome, response: str, responded_on: date,
                 combined_before: int | None) -> int:
    """Record the answer to a challenge (the database refuses a second one) with its audit
    entry; the register's last score event id is kept to trace the score it leads to."""
    with register.transaction():
        last = register.database.scalar("SELECT COALESCE(MAX(id), 0) AS n FROM score_events")
        new_id = register.database.insert("challenge_responses", {
            "challenge_id": challenge.id, "cycle": challenge.cycle, "unit": challenge.unit,
            "indicator": challenge.indicator, "responder": responder, "outcome": outcome,
            "response": response, "responded_on": responded_on.isoformat(),
            "responded_at": timestamp(now_utc()), "events_before": int(last),
            "combined_before": combined_before})
        audit.log_rows(register.database, "challenge_responses", new_id)
    return new_id


def upheld(register: Register, cycle: str) -> set[tuple[str, str]]:
    """(unit, indicator) pairs with an upheld or partly upheld challenge in the cycle: a third
    DCFA may moderate them whatever the two scores (the database's rule allows it too)."""
    rows = register.database.query(
        "SELECT DISTINCT unit, indicator FROM challenge_responses WHERE cycle = ? "
        "AND outcome IN ('upheld', 'partly-upheld')", (cycle,))
    return {(r["unit"], r["indicator"]) for r in rows}


def reopened(register: Register, cycle: str) -> set[tuple[str, str]]:
    """(unit, indicator) pairs an upheld or partly upheld challenge has sent back to
    moderation and no moderated score has settled since."""
    rows = register.database.query(
        "SELECT r.unit, r.indicator FROM challenge_responses r WHERE r.cycle = ? "
        "AND r.indicator <> '' AND r.outcome IN ('upheld', 'partly-upheld') "
        "AND NOT EXISTS (SELECT 1 FROM score_events e WHERE e.cycle = r.cycle "
        "AND e.unit = r.unit AND e.indicator = r.indicator AND e.role = 'moderated' "
        "AND e.id > r.events_before)", (cycle,))
    return {(r["unit"], r["indicator"]) for r in rows}


# -- releases -------------------------------------------------------------------------------


class Release(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: int
    cycle: str
    version: int
    released_on: date
    signed_off: str
    pre_release_access: list[str]
    changes: str = ""
    edition_sha256: str
    published_at: datetime


def _release(row: Row) -> Release:
    return Release(id=row["id"], cycle=row["cycle"], version=row["version"],
                   released_on=date.fromisoformat(row["released_on"]),
                   signed_off=row["signed_off"],
                   pre_release_access=json.loads(row["pre_release_access"]),
                   changes=row["changes"], edition_sha256=row["edition_sha256"],
                   published_at=datetime.fromisoformat(row["published_at"]))


def add_release(register: Register, *, cycle: str, released_on: date, signed_off: str,
                pre_release_access: list[str], changes: str, edition: str,
                edition_sha256: str) -> Release:
    """Record the next version of a cycle's public edition (the database refuses a version
    out of order, a missing sign-off, and a correction that does not say what changed)."""
    with register.transaction():
        version = int(register.database.scalar(
            "SELECT COALESCE(MAX(version), 0) + 1 AS n FROM releases WHERE cycle = ?",
            (cycle,)))
        new_id = register.database.insert("releases", {
            "cycle": cycle, "version": version, "released_on": released_on.isoformat(),
            "signed_off": signed_off, "pre_release_access": json.dumps(pre_release_access),
            "changes": changes, "edition": edition, "edition_sha256": edition_sha256,
            "published_at": timestamp(now_utc())})
        audit.log_rows(register.database, "releases", new_id)
        row = register.database.query_one("SELECT * FROM releases WHERE id = ?", (new_id,))
    assert row is not None
    return _release(row)


def releases(register: Register, cycle: str) -> list[Release]:
    rows = register.database.query(
        "SELECT id, cycle, version, released_on, signed_off, pre_release_access, changes, "
        "edition_sha256, published_at FROM releases WHERE cycle = ? ORDER BY version",
        (cycle,))
    return [_release(r) for r in rows]


def release_edition(register: Register, cycle: str, version: int) -> str | None:
    """The public edition of a release as recorded (JSON text), None if no such release."""
    value = register.database.scalar(
        "SELECT edition FROM releases WHERE cycle = ? AND version = ?", (cycle, version))
    return None if value is None else str(value)
