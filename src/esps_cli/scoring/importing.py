"""Importing scores from files: what every import shares, and CSVs of scores (scoring packs
are imported by `pack_import`).

A file is one transaction: every problem in it is listed, with its finding code (sections
"importing scores" and "scoring packs" of findings/catalogue.py) and its sheet and cell or row.
In a CSV one problem means nothing from that file is recorded; in a scoring pack a bad score
cell is reported and the valid scores are recorded, but a problem with the pack's identity
means nothing from it is recorded.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from esps_cli.domain.units import Unit
from esps_cli.errors import ConfigError
from esps_cli.findings import (
    SCORE_DUPLICATE,
    SCORE_FILE_UNREADABLE,
    SCORE_MISSING_COLUMN,
    SCORE_MODERATION_UNEXPLAINED,
    SCORE_NOTHING_TO_MODERATE,
    SCORE_UNKNOWN_ROLE,
    SCORE_WRONG_CYCLE,
    Code,
    catalogue,
)
from esps_cli.io.tables import csv_rows, map_columns
from esps_cli.register import ROLES, NewEvent, Register, Role, ScorePair
from esps_cli.scoring.pack_store import no_return_problem, returns_on_record
from esps_cli.scoring.roster import Roster
from esps_cli.scoring.scale import ScoreProblem, parse_score, reason_problem


class ImportProblem(BaseModel):
    """One problem (or warning) in a file of scores: where, its finding code, and what."""

    model_config = ConfigDict(frozen=True)
    file: str
    sheet: str = ""
    cell: str = ""
    row: int | None = None
    code: str = ""
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.sheet:
            where += f" {self.sheet}" + (f"!{self.cell}" if self.cell else "")
        elif self.row is not None:
            where += f" row {self.row}"
        return f"{where}: {self.message}"


class ImportResult(BaseModel):
    """What importing one file did."""

    file: str
    kind: Literal["workbook", "pack", "csv"]
    # partial: a pack's valid scores were recorded and its bad cells listed as problems
    status: Literal["imported", "partial", "unchanged", "already-imported", "rejected"]
    unit: str | None = None
    recorded: int = 0
    unchanged: int = 0
    by_role: dict[str, int] = {}
    problems: list[ImportProblem] = []
    warnings: list[ImportProblem] = []
    previously_imported_at: datetime | None = None

    @property
    def rejected(self) -> bool:
        return self.status == "rejected"


@dataclass(frozen=True, slots=True)
class RowAt:
    """A CSV row, as a problem there would name it (cheaper than an ImportProblem on each of
    100,000 rows; the problem is made only when there is one)."""

    file: str
    row: int


# Where a problem is: a CSV row, or an ImportProblem with the location and an empty message.
Where = ImportProblem | RowAt


@dataclass
class _Candidate:
    event: NewEvent
    where: Where


@dataclass
class _AssessorCheck:
    """An assessor check that needs the register (the allocation): done in the transaction."""

    role: Role
    unit: Unit
    assessor: str
    where: Where
    indicator: str = ""  # for a moderated score: whose unlinked score it settles


class _Rejected(Exception):
    pass


def _reading_order(p: ImportProblem) -> tuple[int, int, int]:
    """Whole-file problems first, then by row and column (a stable sort keeps the rest)."""
    if p.row is not None:
        return (1, p.row, 0)
    m = re.match(r"^([A-Z]+)([0-9]+)$", p.cell)
    if not m:
        return (0, 0, 0)
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    return (1, int(m.group(2)), col)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _at(where: Where, message: str, code: Code) -> ImportProblem:
    if isinstance(where, RowAt):
        return ImportProblem(file=where.file, row=where.row, message=message, code=code.code)
    return where.model_copy(update={"message": message, "code": code.code})


def _problem(where: Where, exc: ScoreProblem, prefix: str = "") -> ImportProblem:
    return _at(where, f"{prefix}{exc}", exc.code)


def _moderation_problems(current: dict[tuple[str, str], ScorePair],
                         candidates: list[_Candidate]) -> tuple[list[NewEvent], int,
                                                                list[ImportProblem]]:
    """The events that change something, how many are unchanged, and moderated scores that
    come before both the linked and the unlinked score (in the register or earlier in the
    file)."""
    new: list[NewEvent] = []
    unchanged = 0
    problems: list[ImportProblem] = []
    pending: dict[tuple[str, str], set[str]] = {}
    for cand in candidates:
        ev = cand.event
        pair = current.get((ev.unit, ev.indicator), ScorePair())
        have = pending.setdefault((ev.unit, ev.indicator), set())
        if ev.role == "moderated":
            missing = [r for r in ("linked", "unlinked") if pair.get(r) is None and r not in have]
            if missing:
                problems.append(_at(cand.where, (
                    f"nothing to moderate yet: {ev.unit} {ev.indicator} has no "
                    f"{' or '.join(missing)} score"), SCORE_NOTHING_TO_MODERATE))
        have.add(ev.role)
        if ev.same_as(pair.get(ev.role)):
            unchanged += 1
        else:
            new.append(ev)
    return new, unchanged, problems


def _return_problems(register: Register, cycle: str,
                     candidates: list[_Candidate]) -> list[ImportProblem]:
    """A score for a unit with no readable return on record (no scoring pack made from one)."""
    on_record = returns_on_record(register, cycle)
    problems: list[ImportProblem] = []
    told: set[str] = set()
    for cand in candidates:
        unit = cand.event.unit
        if unit not in on_record and unit not in told:
            told.add(unit)
            problems.append(_problem(cand.where, no_return_problem(unit, cycle)))
    return problems


def _commit(
    register: Register,
    roster: Roster,
    result: ImportResult,
    *,
    source: str,
    sha256: str,
    candidates: list[_Candidate],
    checks: list[_AssessorCheck],
    problems: list[ImportProblem],
    any_unlinked: bool,
    cell_problems: list[ImportProblem] | None = None,
) -> ImportResult:
    """Check against the register and record, all in one transaction (or nothing at all).

    problems reject the whole file; cell_problems (a pack's bad score cells) are listed while
    the file's valid scores are recorded.
    """
    cycle = roster.cycle.id
    cell_problems = list(cell_problems or [])
    try:
        with register.transaction():
            earlier = register.find_import(cycle, sha256)
            if earlier is not None:
                return result.model_copy(update={
                    "status": "already-imported", "problems": [],
                    "previously_imported_at": earlier.imported_at,
                })
            allocations = register.allocations(cycle)
            current = register.current_scores(cycle)
            for check in checks:
                pair = current.get((check.unit.code, check.indicator))
                unlinked = pair.unlinked.assessor if pair and pair.unlinked else None
                why = roster.assessor_problem(check.role, check.unit, check.assessor,
                                              allocations.get(check.unit.code), any_unlinked,
                                              unlinked)
                if why:
                    problems.append(_problem(check.where, why))
            problems.extend(_return_problems(register, cycle, candidates))
            new, unchanged, late = _moderation_problems(current, candidates)
            problems.extend(late)
            if problems:
                raise _Rejected
            import_id = register.log_import(cycle, source, sha256, result.kind, len(new))
            register.record_import(new, import_id=import_id)
    except _Rejected:
        return result.model_copy(update={"status": "rejected", "problems": sorted(
            [*problems, *cell_problems], key=_reading_order)})
    by_role = Counter(ev.role for ev in new)
    return result.model_copy(update={
        "status": "partial" if cell_problems else "imported" if new else "unchanged",
        "problems": sorted(cell_problems, key=_reading_order),
        "recorded": len(new), "unchanged": unchanged,
        "by_role": {r: by_role[r] for r in ROLES if by_role[r]},
    })


# -- CSV ---------------------------------------------------------------------------------

CSV_COLUMNS = {
    "unit": ("unit", "unit_code", "unit code", "code"),
    "indicator": ("indicator", "indicator_id", "indicator id"),
    "role": ("role",),
    "assessor": ("assessor", "advisor", "dcfa", "assessor_id"),
    "score": ("score",),
    "comment": ("comment", "comments"),
    "cycle": ("cycle",),
}
CSV_REQUIRED = ("unit", "indicator", "role", "assessor", "score")


def _csv_columns(rows: list[list[str]], name: str) -> dict[str, int] | ImportProblem:
    """Each known column's index, from the header row, or the problem with the header."""
    if not rows or not any(c.strip() for c in rows[0]):
        return ImportProblem(
            file=name, row=1, code=SCORE_MISSING_COLUMN.code,
            message="no header row: expected unit,indicator,role,assessor,score,comment")
    cols, problems = map_columns(rows[0], CSV_COLUMNS, CSV_REQUIRED)
    missing = [k for k in CSV_REQUIRED if k not in cols]
    if missing:
        return ImportProblem(
            file=name, row=1, code=SCORE_MISSING_COLUMN.code,
            message=f"missing column(s) {', '.join(missing)}: the header must be "
                    "unit,indicator,role,assessor,score,comment")
    if problems:  # a column given twice
        return ImportProblem(file=name, row=1, code=SCORE_MISSING_COLUMN.code,
                             message="; ".join(p.removeprefix("row 1: ") for p in problems))
    return cols


@dataclass
class _CsvRow:
    """One CSV row checked on its own: its problems, or the event it records."""

    problems: list[ImportProblem]
    unit: Unit | None = None
    indicator: str = ""
    role: str = ""
    assessor: str = ""
    score: int = 0
    comment: str = ""


def _csv_row(roster: Roster, row: list[str], cols: dict[str, int],
             where: Where) -> _CsvRow:
    def get(key: str) -> str:
        i = cols.get(key)
        return row[i].strip() if i is not None and i < len(row) else ""

    out = _CsvRow(problems=[])
    if "cycle" in cols and get("cycle") and get("cycle") != roster.cycle.id:
        out.problems.append(_at(where, f"cycle {get('cycle')} is not {roster.cycle.id}",
                                SCORE_WRONG_CYCLE))
    try:
        out.unit = roster.unit(get("unit"))
    except ScoreProblem as exc:
        out.problems.append(_problem(where, exc))
    try:
        out.indicator = roster.indicator(get("indicator"))
    except ScoreProblem as exc:
        out.problems.append(_problem(where, exc))
    out.role = get("role").casefold()
    if out.role not in ROLES:
        out.problems.append(_at(where, f"unknown role {get('role')!r} (use linked, unlinked "
                                       "or moderated)", SCORE_UNKNOWN_ROLE))
    try:
        out.assessor = roster.advisor(get("assessor"))
    except ScoreProblem as exc:
        out.problems.append(_problem(where, exc))
    try:
        out.score = parse_score(get("score"), roster.scale)
    except ScoreProblem as exc:
        out.problems.append(_problem(where, exc))
    out.comment = get("comment")
    if out.role == "moderated" and not out.comment:
        out.problems.append(_at(where, "a moderated score needs a comment saying how it was "
                                       "agreed", SCORE_MODERATION_UNEXPLAINED))
    elif out.role == "moderated" and (short := reason_problem(out.comment)):
        out.problems.append(_problem(where, short))
    return out


def import_csv(register: Register, roster: Roster, path: Path, *,
               any_unlinked: bool = False) -> ImportResult:
    """Record scores from a CSV: unit,indicator,role,assessor,score[,comment][,cycle].

    The header row is required (row 1). A bad row rejects the whole file, every problem listed.
    """
    name = str(path)
    result = ImportResult(file=name, kind="csv", status="rejected")
    try:
        data = path.read_bytes()
        rows = csv_rows(data, name)
    except (OSError, ConfigError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else str(exc).removeprefix(f"{name}: ")
        return result.model_copy(update={"problems": [ImportProblem(
            file=name, code=SCORE_FILE_UNREADABLE.code,
            message=f"cannot read the file: {reason}")]})
    cols = _csv_columns(rows, name)
    if isinstance(cols, ImportProblem):
        return result.model_copy(update={"problems": [cols]})

    sha = _sha256(data)
    source = str(path.resolve())
    problems: list[ImportProblem] = []
    candidates: list[_Candidate] = []
    checks: list[_AssessorCheck] = []
    seen: dict[tuple[str, str, str], int] = {}
    for rownum, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        where = RowAt(file=name, row=rownum)
        got = _csv_row(roster, row, cols, where)
        if got.unit is not None and got.indicator and got.role in ROLES:
            key = (got.unit.code, got.indicator, got.role)
            if key in seen:
                got.problems.append(_at(where, f"{got.unit.code} {got.indicator} {got.role} "
                                               f"appears twice (first at row {seen[key]})",
                                        SCORE_DUPLICATE))
            else:
                seen[key] = rownum
        problems.extend(got.problems)
        if got.problems or got.unit is None:
            continue
        checks.append(_AssessorCheck(role=got.role, unit=got.unit,  # type: ignore[arg-type]
                                     assessor=got.assessor, where=where,
                                     indicator=got.indicator))
        candidates.append(_Candidate(
            event=NewEvent(cycle=roster.cycle.id, unit=got.unit.code, indicator=got.indicator,
                           role=got.role, assessor=got.assessor, score=got.score,
                           comment=got.comment, source=source, source_sha256=sha),
            where=where))
    return _commit(register, roster, result, source=source, sha256=sha,
                   candidates=candidates, checks=checks, problems=problems,
                   any_unlinked=any_unlinked)


# -- results as a table ------------------------------------------------------------------

IMPORT_TABLE_HEADER = ("file", "kind", "status", "unit", "recorded", "unchanged", "severity",
                       "code", "sheet", "cell", "row", "message")


def import_table(results: list[ImportResult]) -> list[list[object]]:
    """One row per problem or warning of each file (one row for a file with neither), for
    `esps score import --format csv`."""
    severity = {c.code: c.severity for c in catalogue()}
    rows: list[list[object]] = []
    for r in results:
        head: list[object] = [r.file, r.kind, r.status, r.unit or "", r.recorded, r.unchanged]
        notes = [*r.problems, *r.warnings]
        for p in notes:
            rows.append([*head, severity.get(p.code, ""), p.code, p.sheet, p.cell,
                         "" if p.row is None else p.row, p.message])
        if not notes:
            rows.append([*head, "", "", "", "", "", ""])
    return rows
