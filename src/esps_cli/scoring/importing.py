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
from array import array
from collections import Counter
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict

from esps_cli.domain.units import Unit
from esps_cli.findings import (
    SCORE_NOTHING_TO_MODERATE,
    Code,
    catalogue,
)
from esps_cli.register import ROLES, Marks, Register, Role, event_row
from esps_cli.scoring.moderation_need import ModerationNeed
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


class KeyRows:
    """A number for each (unit, indicator, role) of a file's scores (0: none yet), held
    compactly: a C array a unit, not a tuple and a dict entry a score (464,000 scores)."""

    def __init__(self, indicators: list[str]) -> None:
        self._at = {ind: 3 * k for k, ind in enumerate(indicators)}
        self._blank = array("i", bytes(4 * 3 * len(indicators)))
        self._units: dict[str, array[int]] = {}
        self._other: dict[tuple[str, str, str], int] = {}  # an indicator not of the cycle

    def get(self, unit: str, indicator: str, role: str) -> int:
        at, numbers = self._at.get(indicator), self._units.get(unit)
        if at is None:
            return self._other.get((unit, indicator, role), 0)
        return 0 if numbers is None else numbers[at + _SLOT[role]]

    def put(self, unit: str, indicator: str, role: str, number: int) -> None:
        at = self._at.get(indicator)
        if at is None:
            self._other[(unit, indicator, role)] = number
            return
        numbers = self._units.get(unit)
        if numbers is None:
            numbers = self._units[unit] = array("i", self._blank)
        numbers[at + _SLOT[role]] = number


class _RegisterCheck:
    """A file's scores checked against the register, one at a time (the file need not be in
    memory): assessors who may not give them (the allocation, the current unlinked score),
    units with no return on record, moderated scores with nothing to moderate; and what the
    scores change. Each kind of problem is kept in its own list, in the file's order."""

    def __init__(self, register: Register, roster: Roster, units: Collection[str],
                 any_unlinked: bool) -> None:
        cycle = self.cycle = roster.cycle.id
        self.roster, self.any_unlinked = roster, any_unlinked
        self.allocations = register.allocations(cycle)
        self.current = register.current_marks(cycle, units)  # who, score, comment
        self.on_record = returns_on_record(register, cycle)
        self.need = ModerationNeed.of(register, cycle)
        self.assessors: list[ImportProblem] = []
        self.returns: list[ImportProblem] = []
        self.moderations: list[ImportProblem] = []
        self.verdicts: dict[tuple[str, str, str, str | None], ScoreProblem | None] = {}
        self.told: set[str] = set()
        # (unit, indicator, role) earlier in the file: its score + 1
        self.earlier = KeyRows(roster.indicator_list)
        self.new: Counter[str] = Counter()
        self.unchanged = 0
        self.moderated_units: set[str] = set()

    @property
    def problems(self) -> list[ImportProblem]:
        return [*self.assessors, *self.returns, *self.moderations]

    def changes(self, cand: Candidate) -> bool:
        """Whether the score changes the register (not its current score, comment and
        assessor already; as NewEvent.same_as)."""
        marks = self.current.get((cand.unit.code, cand.indicator))
        mark = None if marks is None else marks[_SLOT[cand.role]]
        return mark is None or (mark.score, mark.comment, mark.assessor) != (
            cand.score, cand.comment, cand.assessor)

    def add(self, cand: Candidate) -> None:
        unit, indicator = cand.unit.code, cand.indicator
        marks = self.current.get((unit, indicator))
        unlinked = None  # who gave the current unlinked score: a moderator must be a third
        if cand.role == "moderated":
            unlinked = marks[1].assessor if marks and marks[1] else None
        key = (cand.role, unit, cand.assessor, unlinked)
        if key in self.verdicts:
            why = self.verdicts[key]
        else:
            why = self.verdicts[key] = self.roster.assessor_problem(
                cand.role, cand.unit, cand.assessor, self.allocations.get(unit),
                self.any_unlinked, unlinked)
        if why:
            self.assessors.append(problem_at(cand.where, why))
        if unit not in self.on_record and unit not in self.told:
            self.told.add(unit)
            self.returns.append(problem_at(cand.where, no_return_problem(unit, self.cycle)))
        changes = self.changes(cand)
        if cand.role == "moderated":
            self._moderation(cand, marks, changes)
        self.earlier.put(unit, indicator, cand.role, cand.score + 1)
        if changes:
            self.new[cand.role] += 1
            if cand.role == "moderated":
                self.moderated_units.add(unit)
        else:
            self.unchanged += 1

    def _moderation(self, cand: Candidate, marks: Marks | None, changes: bool) -> None:
        """A moderated score needs both scores before it (in the register or earlier in the
        file), and them to differ by the threshold unless a challenge was upheld."""
        unit, indicator = cand.unit.code, cand.indicator
        scores: dict[str, int] = {}
        for role in ("linked", "unlinked"):
            earlier = self.earlier.get(unit, indicator, role)
            mark = None if marks is None else marks[_SLOT[role]]
            if earlier:
                scores[role] = earlier - 1
            elif mark is not None:
                scores[role] = mark.score
        missing = [r for r in ("linked", "unlinked") if r not in scores]
        if missing:
            self.moderations.append(problem_with(cand.where, (
                f"nothing to moderate yet: {unit} {indicator} has no "
                f"{' or '.join(missing)} score"), SCORE_NOTHING_TO_MODERATE))
        elif changes and (why := self.need.problem(unit, indicator, scores["linked"],
                                                   scores["unlinked"])):
            self.moderations.append(problem_at(cand.where, why))


Row = dict[str, Any]  # a score_events row as recorded


class _Rows:
    """The rows to record: the file's scores that change the register, each row made as it
    is recorded (a dict per score for all of a file's 464,000 at once would be most of an
    import's memory)."""

    def __init__(self, candidates: Iterable[Candidate], check: _RegisterCheck, source: str,
                 sha256: str) -> None:
        self.candidates, self.check, self.source, self.sha256 = (candidates, check, source,
                                                                 sha256)

    def __iter__(self) -> Iterator[Row]:
        cycle, source, sha256, changes = (self.check.cycle, self.source, self.sha256,
                                          self.check.changes)
        for c in self.candidates:
            if changes(c):
                yield event_row(cycle=cycle, unit=c.unit.code, indicator=c.indicator,
                                role=c.role, assessor=c.assessor, score=c.score,
                                comment=c.comment, source=source, source_sha256=sha256)


def commit(
    register: Register,
    roster: Roster,
    result: ImportResult,
    *,
    source: str,
    sha256: str,
    candidates: Iterable[Candidate],
    problems: list[ImportProblem],
    any_unlinked: bool,
    cell_problems: list[ImportProblem] | None = None,
    units: Collection[str] | None = None,
) -> ImportResult:
    """Check against the register and record, all in one transaction (or nothing at all).

    candidates are gone through twice, in the same order: once to check them against the
    register, then, if nothing is wrong, to record them in chunks. A list, or a file read
    again each time (a CSV: its scores never all in memory at once), with its units given.
    problems reject the whole file; cell_problems (a pack's bad score cells) are listed while
    the file's valid scores are recorded.
    """
    cycle = roster.cycle.id
    cell_problems = list(cell_problems or [])
    if units is None:
        units = {c.unit.code for c in candidates}
    try:
        with register.transaction(scope=(cycle, units)):  # other units' imports go on
            earlier = register.find_import(cycle, sha256)
            if earlier is not None:
                return result.model_copy(update={
                    "status": "already-imported", "problems": [],
                    "previously_imported_at": earlier.imported_at,
                })
            check = _RegisterCheck(register, roster, units, any_unlinked)
            for cand in candidates:  # the first pass: check
                check.add(cand)
            problems.extend(check.problems)
            if problems:
                raise _Rejected
            new = check.new.total()
            import_id = register.log_import(cycle, source, sha256, result.kind, new)
            register.record_import(_Rows(candidates, check, source, sha256),  # the second
                                   import_id=import_id, count=new,
                                   moderated={cycle: check.moderated_units})
    except _Rejected:
        return result.model_copy(update={"status": "rejected", "problems": sorted(
            [*problems, *cell_problems], key=_reading_order)})
    return result.model_copy(update={
        "status": "partial" if cell_problems else "imported" if new else "unchanged",
        "problems": sorted(cell_problems, key=_reading_order),
        "recorded": new, "unchanged": check.unchanged,
        "by_role": {r: check.new[r] for r in ROLES if check.new[r]},
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
