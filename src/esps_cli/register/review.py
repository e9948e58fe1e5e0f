"""The review loop's records in the register: workbooks issued (their pack ids seal each
unit's identity), returns received (what each held, to compare resubmissions) and review
states (who set which state, when and why). All three tables are append-only in the database.

Every row written here is an entry of the audit log (`esps log`), in the same transaction.

A return is the same return when its unit, cycle, file name and bytes (sha256) are the same:
validating a folder again records nothing new. The same bytes under a new name, or new bytes
under the old name, are a new return of the unit, which follows the one recorded before it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from esps_cli.findings import IDENTITY_FAILURES
from esps_cli.register import audit
from esps_cli.register.engines import Row
from esps_cli.register.models import (
    AUTOMATIC,
    AWAITING_RESUBMISSION,
    ReturnRecord,
    ReviewChange,
    WorkbookIssue,
    now_utc,
    timestamp,
)
from esps_cli.register.store import Register


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def answers_digest(answers: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(answers).encode("utf-8")).hexdigest()


# -- workbooks issued --------------------------------------------------------------------


def issue_workbooks(reg: Register, issues: Iterable[WorkbookIssue]) -> None:
    """Record the workbooks `esps generate` is about to send out (one transaction)."""
    at = timestamp(now_utc())
    with reg.transaction():
        ids = [reg.database.insert("workbook_issues", {
            **issue.model_dump(exclude={"issued_at"}), "issued_at": at}) for issue in issues]
        if ids:
            audit.log_rows(reg.database, "workbook_issues", ids[0], ids[-1])


def _issue(row: Row) -> WorkbookIssue:
    return WorkbookIssue(**{k: v for k, v in row.items() if k != "id"})


def issued_workbooks(reg: Register, cycle: str | None = None) -> list[WorkbookIssue]:
    """Every workbook issued (in a cycle, if given), oldest first."""
    if cycle is None:
        rows = reg.database.query("SELECT * FROM workbook_issues ORDER BY id")
    else:
        rows = reg.database.query(
            "SELECT * FROM workbook_issues WHERE cycle = ? ORDER BY id", (cycle,))
    return [_issue(r) for r in rows]


# -- returns received --------------------------------------------------------------------


def _return(row: Row) -> ReturnRecord:
    return ReturnRecord(**{
        **row, "received_at": datetime.fromisoformat(row["received_at"]),
        "readable": bool(row["readable"]), "findings": json.loads(row["findings"]),
        "answers": json.loads(row["answers"])})


def returns_of(reg: Register, cycle: str, unit: str | None = None) -> list[ReturnRecord]:
    """The returns recorded in a cycle (of one unit, if given), oldest first."""
    sql, args = "SELECT * FROM unit_returns WHERE cycle = ?", [cycle]
    if unit is not None:
        sql += " AND unit = ?"
        args.append(unit)
    return [_return(r) for r in reg.database.query(sql + " ORDER BY id", args)]


def first_received(reg: Register, cycle: str) -> dict[tuple[str, str], tuple[str, datetime]]:
    """Where and when each return of a cycle was first received, by (unit, file sha256): its
    file and time, without the findings and answers recorded with it (a look-up of 1,000
    blank returns need not read their 200,000 findings)."""
    out: dict[tuple[str, str], tuple[str, datetime]] = {}
    for row in reg.database.query("SELECT unit, sha256, file, received_at FROM unit_returns "
                                  "WHERE cycle = ? ORDER BY id", [cycle]):
        out.setdefault((row["unit"], row["sha256"]),
                       (row["file"], datetime.fromisoformat(row["received_at"])))
    return out


@dataclass(frozen=True)
class Received:
    """What the register holds for one return read now: its record, whether this run recorded
    it (False: it was recorded by an earlier run), and the return it follows, if any."""

    record: ReturnRecord
    new: bool
    previous: ReturnRecord | None


def fails_identity(rec: ReturnRecord) -> bool:
    """Whether a recorded return cannot be read or failed its identity check: recorded as what
    it is, it neither follows nor precedes a return that passes, nor sets a review state."""
    return not rec.readable or any(f and f[0] in IDENTITY_FAILURES for f in rec.findings)


def receive_returns(reg: Register, incoming: list[ReturnRecord]) -> list[Received]:
    """Record the returns not recorded yet, in one transaction, and set the review state of
    each unit that sent a new one: `received` for its first, `resubmitted` when its state was
    has-issues or rejected. Returns what the register holds for each incoming return, in order.
    Incoming records carry no id and no previous_id: both are given here, under the lock."""
    at = now_utc()
    out: list[Received] = []
    with reg.transaction():
        cycles = {r.cycle for r in incoming}
        known: dict[tuple[str, str], list[ReturnRecord]] = {}
        for cycle in cycles:
            for rec in returns_of(reg, cycle):
                known.setdefault((cycle, rec.unit), []).append(rec)
        # What a new return follows: the unit's latest that passed its identity.
        latest_before = {key: passing[-1] for key, recs in known.items()
                         if (passing := [r for r in recs if not fails_identity(r)])}
        new_by_unit: dict[tuple[str, str], ReturnRecord] = {}
        for rec in incoming:
            key = (rec.cycle, rec.unit)
            # A return is its bytes: the same file under another path is the same return.
            same = next((r for r in known.get(key, []) if r.sha256 == rec.sha256), None)
            if same is not None:
                previous = next((r for r in known[key] if r.id == same.previous_id), None)
                out.append(Received(same, False, previous))
                continue
            previous = latest_before.get(key)
            row = {**rec.model_dump(exclude={"id", "previous_id"}),
                   "received_at": timestamp(at), "readable": int(rec.readable),
                   "findings": canonical_json(rec.findings),
                   "answers": canonical_json(rec.answers),
                   "previous_id": previous.id if previous else None}
            new_id = reg.database.insert("unit_returns", row)
            audit.log_rows(reg.database, "unit_returns", new_id)
            stored = rec.model_copy(update={"id": new_id, "received_at": at,
                                            "previous_id": row["previous_id"]})
            known.setdefault(key, []).append(stored)
            if not fails_identity(stored):  # a forged or unreadable file changes no state
                new_by_unit[key] = stored
            out.append(Received(stored, True, previous))
        _states_for_new_returns(reg, new_by_unit)
    return out


def _states_for_new_returns(reg: Register, new: dict[tuple[str, str], ReturnRecord]) -> None:
    for (cycle, unit), rec in sorted(new.items()):
        current = current_state(reg, cycle, unit)
        if current is None:
            set_state(reg, ReviewChange(cycle=cycle, unit=unit, state="received",
                                        set_by=AUTOMATIC, reason=f"first return: {rec.file}",
                                        set_at=rec.received_at, return_id=rec.id))
        elif current.state in AWAITING_RESUBMISSION:
            set_state(reg, ReviewChange(
                cycle=cycle, unit=unit, state="resubmitted", set_by=AUTOMATIC,
                reason=f"new return {rec.file} after {current.state}",
                set_at=rec.received_at, return_id=rec.id))


# -- review states -----------------------------------------------------------------------


def _change(row: Row) -> ReviewChange:
    return ReviewChange(**{**row, "set_at": datetime.fromisoformat(row["set_at"])})


def set_state(reg: Register, change: ReviewChange) -> ReviewChange:
    """Append a review state change (the database refuses has-issues or rejected without a
    reason). The return it concerns is the unit's latest, unless given."""
    with reg.transaction():
        return_id = change.return_id
        if return_id is None:
            return_id = reg.database.scalar(
                "SELECT MAX(id) FROM unit_returns WHERE cycle = ? AND unit = ?",
                (change.cycle, change.unit))
        values = {**change.model_dump(exclude={"id"}), "set_at": timestamp(change.set_at),
                  "return_id": return_id}
        new_id = reg.database.insert("review_states", values)
        audit.log_rows(reg.database, "review_states", new_id)
    return change.model_copy(update={"id": new_id, "return_id": return_id})


def review_history(reg: Register, cycle: str, unit: str | None = None) -> list[ReviewChange]:
    """Every review state change of a cycle (of one unit, if given), oldest first."""
    sql, args = "SELECT * FROM review_states WHERE cycle = ?", [cycle]
    if unit is not None:
        sql += " AND unit = ?"
        args.append(unit)
    return [_change(r) for r in reg.database.query(sql + " ORDER BY id", args)]


def current_state(reg: Register, cycle: str, unit: str) -> ReviewChange | None:
    history = review_history(reg, cycle, unit)
    return history[-1] if history else None


def current_states(reg: Register, cycle: str) -> dict[str, ReviewChange]:
    """Each unit's current review state in a cycle (its latest change), by unit code."""
    rows = reg.database.query(
        "SELECT * FROM review_states WHERE id IN (SELECT MAX(id) FROM review_states "
        "WHERE cycle = ? GROUP BY unit) ORDER BY unit", (cycle,))
    return {r["unit"]: _change(r) for r in rows}
