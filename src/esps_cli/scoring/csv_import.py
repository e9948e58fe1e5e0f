"""Importing a CSV of scores (`esps score import scores.csv`): unit, indicator, role,
assessor, score, comment and an optional cycle per row. What every import shares (checking
against the register, recording, the problems found) is in `importing`; scoring packs are
imported by `pack_import`.

One problem in a CSV means nothing from that file is recorded; every problem is listed, with
its row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from esps_cli.errors import ConfigError
from esps_cli.findings import (
    SCORE_DUPLICATE,
    SCORE_FILE_UNREADABLE,
    SCORE_MISSING_COLUMN,
    SCORE_MODERATION_UNEXPLAINED,
    SCORE_UNKNOWN_ROLE,
    SCORE_WRONG_CYCLE,
)
from esps_cli.io.collector import collector_paused
from esps_cli.io.tables import csv_row_stream, map_columns
from esps_cli.register import ROLES, Register, Role
from esps_cli.scoring.importing import (
    Candidate,
    ImportProblem,
    ImportResult,
    KeyRows,
    RowAt,
    Where,
    commit,
    problem_at,
    problem_with,
    sha256_of,
)
from esps_cli.scoring.roster import Roster
from esps_cli.scoring.scale import ScoreProblem, parse_score, reason_problem

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


class _CsvChecker:
    """Checks a CSV's rows on their own, before the register is read. Each distinct unit,
    indicator, role, assessor and score text is looked up once and its value (or its
    problem) kept: a file of 100,000 rows names a few thousand."""

    def __init__(self, roster: Roster, cols: dict[str, int], name: str) -> None:
        self.roster = roster
        self.name = name
        self.cols = cols
        # The five looked-up columns: how each is read, and the values of the texts seen
        self.find: tuple[Callable[[str], Any], ...] = (
            roster.unit, roster.indicator, self._role, roster.advisor, self._score)
        self.known: tuple[dict[str, Any], ...] = ({}, {}, {}, {}, {})
        self.bad: dict[tuple[int, str], ScoreProblem] = {}

    @staticmethod
    def _role(text: str) -> Role:
        role = text.strip().casefold()
        if role not in ROLES:
            raise ScoreProblem(f"unknown role {text.strip()!r} (use linked, unlinked or "
                               "moderated)", SCORE_UNKNOWN_ROLE)
        return role

    def _score(self, text: str) -> int:
        return parse_score(text.strip(), self.roster.scale)

    def _values(self, texts: tuple[str, ...], where: Where,
                found: list[ImportProblem]) -> list[Any]:
        """The five values of a row with a text not seen before (or bad): each bad one None,
        its problem added to found."""
        values = []
        for column, text in enumerate(texts):
            value = self.known[column].get(text)
            if value is None:
                problem = self.bad.get((column, text))
                if problem is None:
                    try:
                        value = self.known[column][text] = self.find[column](text)
                    except ScoreProblem as exc:  # kept without its traceback (and frames)
                        problem = self.bad[(column, text)] = exc.with_traceback(None)
                if problem is not None:
                    found.append(problem_at(where, problem))
            values.append(value)
        return values

    def check(self, rows: Iterable[list[str]], problems: list[ImportProblem]
              ) -> Iterator[Candidate]:
        """The rows after the header (row 2 on): their problems added to problems, and the
        scores to check against the register and record, one at a time (a file's scores
        are never all in memory)."""
        name, cycle, cols = self.name, self.roster.cycle.id, self.cols
        width = max(cols.values()) + 1
        at_unit, at_indicator, at_role, at_assessor, at_score = (cols[k] for k in CSV_REQUIRED)
        at_comment, at_cycle = cols.get("comment"), cols.get("cycle")
        units, indicators, roles, assessors, scores = self.known
        seen = KeyRows(self.roster.indicator_list)  # the row each score is first given in
        for rownum, row in enumerate(rows, start=2):
            if not "".join(row).strip():
                continue  # a blank row
            if len(row) < width:
                row = row + [""] * (width - len(row))
            where = RowAt(name, rownum)
            found: list[ImportProblem] = []
            if at_cycle is not None and (given := row[at_cycle].strip()) and given != cycle:
                found.append(problem_with(where, f"cycle {given} is not {cycle}",
                                          SCORE_WRONG_CYCLE))
            unit, indicator, role, assessor, score = (
                units.get(row[at_unit]), indicators.get(row[at_indicator]),
                roles.get(row[at_role]), assessors.get(row[at_assessor]),
                scores.get(row[at_score]))
            if unit is None or indicator is None or role is None or assessor is None \
                    or score is None:
                unit, indicator, role, assessor, score = self._values((
                    row[at_unit], row[at_indicator], row[at_role], row[at_assessor],
                    row[at_score]), where, found)
            comment = "" if at_comment is None else row[at_comment].strip()
            if role == "moderated":
                if not comment:
                    found.append(problem_with(
                        where, "a moderated score needs a comment saying how it "
                                            "was agreed", SCORE_MODERATION_UNEXPLAINED))
                elif short := reason_problem(comment):
                    found.append(problem_at(where, short))
            if unit is not None and indicator is not None and role is not None:
                if first := seen.get(unit.code, indicator, role):
                    found.append(problem_with(
                        where, f"{unit.code} {indicator} {role} appears twice "
                                            f"(first at row {first})", SCORE_DUPLICATE))
                else:
                    seen.put(unit.code, indicator, role, rownum)
            if found:
                problems.extend(found)
            else:
                yield Candidate(unit, indicator, role, assessor, score, comment, where)


class _CsvScores:
    """A CSV's scores that have no problem, read again from its bytes each time they are gone
    through (importing.commit checks them, then records them): a file's 464,000 scores are
    never in memory at once. The first read (import_csv) found every problem with the file,
    so the later ones find the same rows and no problem."""

    def __init__(self, data: bytes, roster: Roster, cols: dict[str, int], name: str) -> None:
        self.data, self.roster, self.cols, self.name = data, roster, cols, name

    def __iter__(self) -> Iterator[Candidate]:
        rows = csv_row_stream(self.data, self.name)
        next(rows, None)  # the header
        return _CsvChecker(self.roster, self.cols, self.name).check(rows, [])


def import_csv(register: Register, roster: Roster, path: Path, *,
               any_unlinked: bool = False) -> ImportResult:
    """Record scores from a CSV: unit,indicator,role,assessor,score[,comment][,cycle].

    The header row is required (row 1). A bad row rejects the whole file, every problem listed.
    """
    name = str(path)
    result = ImportResult(file=name, kind="csv", status="rejected")
    try:
        data = path.read_bytes()
        rows = csv_row_stream(data, name)  # read, checked and let go a row at a time
        header = next(rows, None)
        cols = _csv_columns([] if header is None else [header], name)
        if isinstance(cols, ImportProblem):
            return result.model_copy(update={"problems": [cols]})
        problems: list[ImportProblem] = []
        units: set[str] = set()
        with collector_paused():  # the file's first read: every problem with it, its units
            for candidate in _CsvChecker(roster, cols, name).check(rows, problems):
                units.add(candidate.unit.code)
    except (OSError, ConfigError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else str(exc).removeprefix(f"{name}: ")
        return result.model_copy(update={"problems": [ImportProblem(
            file=name, code=SCORE_FILE_UNREADABLE.code,
            message=f"cannot read the file: {reason}")]})
    with collector_paused():
        return commit(register, roster, result, source=str(path.resolve()),
                      sha256=sha256_of(data), candidates=_CsvScores(data, roster, cols, name),
                      problems=problems, any_unlinked=any_unlinked, units=units)
