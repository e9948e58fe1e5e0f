"""What every import of scores shares: the problems found (ImportProblem, with its finding
code and its sheet and cell or row), a file's result, the scores read (Candidate), and the
one transaction that checks them against the register and records them (commit). CSVs are
read by `csv_import`, scoring and moderation packs by `pack_import`.

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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, NamedTuple, overload

from pydantic import BaseModel, ConfigDict

from esps_cli.domain.units import Unit
from esps_cli.findings import (
    SCORE_NOTHING_TO_MODERATE,
    Code,
    catalogue,
)
from esps_cli.register import ROLES, Marks, Register, Role, event_row
from esps_cli.scoring.pack_store import no_return_problem, returns_on_record
from esps_cli.scoring.roster import Roster
from esps_cli.scoring.scale import ScoreProblem


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


class RowAt(NamedTuple):
    """A CSV row, as a problem there would name it (cheaper than an ImportProblem on each of
    100,000 rows; the problem is made only when there is one)."""

    file: str
    row: int


# Where a problem is: a CSV row, or an ImportProblem with the location and an empty message.
Where = ImportProblem | RowAt


@dataclass(slots=True)
class Candidate:
    """A score about to be recorded, and where it was read (its cycle and source are its
    file's). Plain: a CSV has 100,000 of them. Its assessor is checked against the register
    (the allocation, the current unlinked score) in the import's transaction."""

    unit: Unit
    indicator: str
    role: Role
    assessor: str
    score: int
    comment: str
    where: Where


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


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def problem_with(where: Where, message: str, code: Code) -> ImportProblem:
    if isinstance(where, RowAt):
        return ImportProblem(file=where.file, row=where.row, message=message, code=code.code)
    return where.model_copy(update={"message": message, "code": code.code})


def problem_at(where: Where, exc: ScoreProblem, prefix: str = "") -> ImportProblem:
    return problem_with(where, f"{prefix}{exc}", exc.code)


_SLOT = {"linked": 0, "unlinked": 1, "moderated": 2}  # a role's place in Marks


def _moderation_problems(current: dict[tuple[str, str], Marks],
                         candidates: list[Candidate]) -> tuple[list[Candidate], int,
                                                                list[ImportProblem]]:
    """The scores that change something, how many are unchanged, and moderated scores that
    come before both the linked and the unlinked score (in the register or earlier in the
    file)."""
    new: list[Candidate] = []
    unchanged = 0
    problems: list[ImportProblem] = []
    earlier: set[tuple[str, str, str]] = set()  # (unit, indicator, role) earlier in the file
    for cand in candidates:
        unit = cand.unit.code
        marks = current.get((unit, cand.indicator))
        if cand.role == "moderated":
            missing = [r for r in ("linked", "unlinked")
                       if (marks is None or marks[_SLOT[r]] is None)
                       and (unit, cand.indicator, r) not in earlier]
            if missing:
                problems.append(problem_with(cand.where, (
                    f"nothing to moderate yet: {unit} {cand.indicator} has no "
                    f"{' or '.join(missing)} score"), SCORE_NOTHING_TO_MODERATE))
        earlier.add((unit, cand.indicator, cand.role))
        mark = None if marks is None else marks[_SLOT[cand.role]]
        if mark is not None and (mark.score, mark.comment, mark.assessor) == (
                cand.score, cand.comment, cand.assessor):  # as NewEvent.same_as
            unchanged += 1
        else:
            new.append(cand)
    return new, unchanged, problems


def _return_problems(register: Register, cycle: str,
                     candidates: list[Candidate]) -> list[ImportProblem]:
    """A score for a unit with no readable return on record (no scoring pack made from one)."""
    on_record = returns_on_record(register, cycle)
    problems: list[ImportProblem] = []
    told: set[str] = set()
    for cand in candidates:
        unit = cand.unit.code
        if unit not in on_record and unit not in told:
            told.add(unit)
            problems.append(problem_at(cand.where, no_return_problem(unit, cycle)))
    return problems


def _assessor_problems(roster: Roster, candidates: list[Candidate],
                       allocations: dict[str, str], current: dict[tuple[str, str], Marks],
                       any_unlinked: bool) -> list[ImportProblem]:
    """Assessors who may not give their scores (the allocation and the current unlinked
    score are in the register). The verdict on one role, unit and assessor is reached once
    and reported at each row it applies to."""
    problems: list[ImportProblem] = []
    verdicts: dict[tuple[str, str, str, str | None], ScoreProblem | None] = {}
    for cand in candidates:
        unit = cand.unit
        unlinked = None  # who gave the current unlinked score: a moderator must be a third
        if cand.role == "moderated":
            marks = current.get((unit.code, cand.indicator))
            unlinked = marks[1].assessor if marks and marks[1] else None
        key = (cand.role, unit.code, cand.assessor, unlinked)
        if key in verdicts:
            why = verdicts[key]
        else:
            why = verdicts[key] = roster.assessor_problem(
                cand.role, unit, cand.assessor, allocations.get(unit.code), any_unlinked,
                unlinked)
        if why:
            problems.append(problem_at(cand.where, why))
    return problems


Row = dict[str, Any]  # a score_events row as recorded


class _EventRows(Sequence[Row]):
    """The rows to record for an import's scores, each made when its chunk is recorded: a
    dict per score for all of a file's 464,000 at once is most of an import's memory."""

    def __init__(self, new: list[Candidate], cycle: str, source: str, sha256: str) -> None:
        self.new, self.cycle, self.source, self.sha256 = new, cycle, source, sha256

    def __len__(self) -> int:
        return len(self.new)

    def _row(self, c: Candidate) -> Row:
        return event_row(cycle=self.cycle, unit=c.unit.code, indicator=c.indicator,
                         role=c.role, assessor=c.assessor, score=c.score, comment=c.comment,
                         source=self.source, source_sha256=self.sha256)

    @overload
    def __getitem__(self, index: int) -> Row: ...

    @overload
    def __getitem__(self, index: slice) -> list[Row]: ...

    def __getitem__(self, index: int | slice) -> Row | list[Row]:
        if isinstance(index, slice):
            return [self._row(c) for c in self.new[index]]
        return self._row(self.new[index])


def commit(
    register: Register,
    roster: Roster,
    result: ImportResult,
    *,
    source: str,
    sha256: str,
    candidates: list[Candidate],
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
        units = {c.unit.code for c in candidates}
        with register.transaction(scope=(cycle, units)):  # other units' imports go on
            earlier = register.find_import(cycle, sha256)
            if earlier is not None:
                return result.model_copy(update={
                    "status": "already-imported", "problems": [],
                    "previously_imported_at": earlier.imported_at,
                })
            allocations = register.allocations(cycle)
            current = register.current_marks(cycle, units)  # who, score, comment
            problems.extend(_assessor_problems(roster, candidates, allocations, current,
                                               any_unlinked))
            problems.extend(_return_problems(register, cycle, candidates))
            new, unchanged, late = _moderation_problems(current, candidates)
            problems.extend(late)
            if problems:
                raise _Rejected
            import_id = register.log_import(cycle, source, sha256, result.kind, len(new))
            register.record_import(_EventRows(new, cycle, source, sha256),
                                   import_id=import_id)
    except _Rejected:
        return result.model_copy(update={"status": "rejected", "problems": sorted(
            [*problems, *cell_problems], key=_reading_order)})
    by_role = Counter(c.role for c in new)
    return result.model_copy(update={
        "status": "partial" if cell_problems else "imported" if new else "unchanged",
        "problems": sorted(cell_problems, key=_reading_order),
        "recorded": len(new), "unchanged": unchanged,
        "by_role": {r: by_role[r] for r in ROLES if by_role[r]},
    })


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
