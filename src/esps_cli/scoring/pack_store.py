"""The register's record of packs issued (table pack_issues, schema version 3): pack id, kind,
unit, role, assessor, cycle, file, and the return the pack was made from, with its sha256, so a
unit's readable return is "on record". The table is append-only (a database trigger) and each
pack issued is an entry of the audit log.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from esps_cli.findings import SCORE_NO_RETURN
from esps_cli.register import Register, audit, now_utc
from esps_cli.register.models import timestamp
from esps_cli.scoring.scale import ScoreProblem


class PackIssue(BaseModel):
    """One pack as issued."""

    model_config = ConfigDict(frozen=True)
    pack_id: str
    kind: str
    cycle: str
    unit: str
    role: str
    assessor: str
    file: str
    return_source: str
    return_sha256: str
    issued_at: datetime | None = None


class CalibrationPack(BaseModel):
    """A calibration pack as issued (table calibration_packs, schema version 7): a seed
    return's pack for one advisor. It looks like any scoring pack; only this record tells."""

    pack_id: str
    cycle: str
    seed: str
    assessor: str
    file: str


def find_calibration_pack(register: Register, pack_id: str) -> CalibrationPack | None:
    if not pack_id or not register.database.has_table("calibration_packs"):
        return None
    r = register.database.query_one("SELECT * FROM calibration_packs WHERE pack_id = ?",
                                    (pack_id,))
    return CalibrationPack(**{k: r[k] for k in CalibrationPack.model_fields}) if r else None


def record_pack(register: Register, issue: PackIssue) -> None:
    """Record a pack as issued, with its audit entry (inside the caller's transaction, if any)."""
    with register.transaction():
        new_id = register.database.insert("pack_issues", {
            **issue.model_dump(exclude={"issued_at"}), "issued_at": timestamp(now_utc())})
        audit.log_rows(register.database, "pack_issues", new_id)


def _issue(row: dict) -> PackIssue:
    data = {k: v for k, v in row.items() if k != "id"}
    data["issued_at"] = datetime.fromisoformat(data["issued_at"])
    return PackIssue(**data)


def find_pack(register: Register, pack_id: str) -> PackIssue | None:
    row = register.database.query_one("SELECT * FROM pack_issues WHERE pack_id = ?", (pack_id,))
    return _issue(row) if row is not None else None


def packs_issued(register: Register, cycle: str) -> list[PackIssue]:
    rows = register.database.query("SELECT * FROM pack_issues WHERE cycle = ? ORDER BY id",
                                   (cycle,))
    return [_issue(r) for r in rows]


def returns_on_record(register: Register, cycle: str) -> dict[str, str]:
    """unit code -> the sha256 of the latest readable return a scoring pack was made from."""
    rows = register.database.query(
        "SELECT unit, return_sha256 FROM pack_issues WHERE cycle = ? AND kind = 'scoring' "
        "ORDER BY id", (cycle,))
    return {r["unit"]: r["return_sha256"] for r in rows}


def no_return_problem(unit: str, cycle: str) -> ScoreProblem:
    return ScoreProblem(
        f"{unit} has no readable return on record for {cycle}, so it cannot be scored: its "
        "scoring packs are made from its return (esps score packs --returns DIR)",
        SCORE_NO_RETURN)


def return_problem(register: Register, cycle: str, unit: str) -> ScoreProblem | None:
    """Why a unit cannot be scored yet: no readable return on record (None when it can)."""
    return None if unit in returns_on_record(register, cycle) else no_return_problem(unit, cycle)
