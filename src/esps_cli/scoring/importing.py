"""Importing scores from files: a returned workbook's DCFA Assessment sheet, or a CSV of scores.

A file is one transaction: every problem in it is listed, with its finding code (section
"importing scores" of findings/catalogue.py) and its sheet and cell or row, and one problem
means nothing from that file is recorded.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from esps_cli.domain.units import Unit
from esps_cli.errors import ConfigError
from esps_cli.findings import (
    MISSING_SHEET,
    NOT_ESPS_WORKBOOK,
    SCORE_ASSESSOR_UNNAMED,
    SCORE_COMMENT_WITHOUT_SCORE,
    SCORE_DUPLICATE,
    SCORE_FILE_UNREADABLE,
    SCORE_MISSING_COLUMN,
    SCORE_MODERATION_UNEXPLAINED,
    SCORE_NOTHING_TO_MODERATE,
    SCORE_UNKNOWN_ROLE,
    SCORE_WRONG_CYCLE,
    UNREADABLE_CELL,
    UNREADABLE_FILE,
    Code,
    catalogue,
)
from esps_cli.io.tables import csv_rows, map_columns
from esps_cli.register import ROLES, NewEvent, Register, Role, ScorePair
from esps_cli.scoring.roster import Roster
from esps_cli.scoring.scale import ScoreProblem, cell_text, parse_score
from esps_cli.workbook.layout import ASSESSMENT, ASSESSMENT_FIELDS, SHEET_META
from esps_cli.workbook.reader import ReturnedWorkbook, read_workbook

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


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
    kind: Literal["workbook", "csv"]
    status: Literal["imported", "unchanged", "already-imported", "rejected"]
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


@dataclass
class _Candidate:
    event: NewEvent
    where: ImportProblem  # the location, with an empty message


@dataclass
class _AssessorCheck:
    """An assessor check that needs the register (the allocation): done in the transaction."""

    role: Role
    unit: Unit
    assessor: str
    where: ImportProblem


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


def _at(where: ImportProblem, message: str, code: Code) -> ImportProblem:
    return where.model_copy(update={"message": message, "code": code.code})


def _problem(where: ImportProblem, exc: ScoreProblem, prefix: str = "") -> ImportProblem:
    return _at(where, f"{prefix}{exc}", exc.code)


def _moderation_problems(register: Register, cycle: str,
                         candidates: list[_Candidate]) -> tuple[list[NewEvent], int,
                                                                list[ImportProblem]]:
    """The events that change something, how many are unchanged, and moderated scores that
    come before both the linked and the unlinked score (in the register or earlier in the
    file)."""
    new: list[NewEvent] = []
    unchanged = 0
    problems: list[ImportProblem] = []
    pending: dict[tuple[str, str], set[str]] = {}
    current = register.current_scores(cycle)  # one read, not one per row
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
) -> ImportResult:
    """Check against the register and record, all in one transaction (or nothing at all)."""
    cycle = roster.cycle.id
    try:
        with register.transaction():
            earlier = register.find_import(cycle, sha256)
            if earlier is not None:
                return result.model_copy(update={
                    "status": "already-imported", "problems": [],
                    "previously_imported_at": earlier.imported_at,
                })
            allocations = register.allocations(cycle)
            for check in checks:
                why = roster.assessor_problem(check.role, check.unit, check.assessor,
                                              allocations.get(check.unit.code), any_unlinked)
                if why:
                    problems.append(_problem(check.where, why))
            new, unchanged, late = _moderation_problems(register, cycle, candidates)
            problems.extend(late)
            if problems:
                raise _Rejected
            import_id = register.log_import(cycle, source, sha256, result.kind, len(new))
            register.record_many(new, import_id=import_id)
    except _Rejected:
        return result.model_copy(update={"status": "rejected",
                                         "problems": sorted(problems, key=_reading_order)})
    by_role = Counter(ev.role for ev in new)
    return result.model_copy(update={
        "status": "imported" if new else "unchanged",
        "recorded": len(new), "unchanged": unchanged,
        "by_role": {r: by_role[r] for r in ROLES if by_role[r]},
    })


# -- workbooks ---------------------------------------------------------------------------

_ASSESSMENT_COLUMNS = ("indicator_id", "linked_score", "linked_comment", "unlinked_score",
                       "unlinked_comment")


def _reader_problems(wb: ReturnedWorkbook, name: str) -> list[ImportProblem]:
    """What stops the DCFA Assessment sheet being read at all: the reader's findings that the
    file, its metadata or the sheet is missing, or no table on the sheet."""
    sheet = ASSESSMENT.sheet
    problems: list[ImportProblem] = []
    fatal = {UNREADABLE_FILE.code, NOT_ESPS_WORKBOOK.code}
    for f in wb.findings:
        if f.code in fatal or (f.code == MISSING_SHEET.code and f.sheet == sheet) or (
                f.code == UNREADABLE_CELL.code and f.sheet in (sheet, SHEET_META)):
            message = f.message.removeprefix(f"cannot read {wb.name}: ")
            problems.append(ImportProblem(file=name, sheet=f.sheet, cell=f.cell, code=f.code,
                                          message=message))
    if not problems and wb.assessment is None:
        problems.append(ImportProblem(
            file=name, sheet=sheet, code=SCORE_MISSING_COLUMN.code,
            message=f"the {sheet} sheet has no table headed {ASSESSMENT.headers[0]!r}"))
    return problems


def _missing_columns(wb: ReturnedWorkbook, name: str) -> list[ImportProblem]:
    table = wb.assessment
    assert table is not None
    return [
        ImportProblem(file=name, sheet=ASSESSMENT.sheet, cell=f"A{table.header_row}",
                      code=SCORE_MISSING_COLUMN.code,
                      message=f"column heading {ASSESSMENT.column(k).header!r} is missing from "
                              "the header row")
        for k in _ASSESSMENT_COLUMNS if k not in table.columns
    ]


def _workbook_unit(wb: ReturnedWorkbook, roster: Roster, whole: ImportProblem,
                   problems: list[ImportProblem]) -> Unit | None:
    """The unit the workbook is for, if it is for this cycle and on the units list."""
    wb_cycle = wb.meta.get("cycle", "")
    if wb_cycle != roster.cycle.id:
        problems.append(_at(whole, (
            f"the workbook is for cycle {wb_cycle or '(none)'}, not {roster.cycle.id} "
            f"(pass --cycle {wb_cycle} to import it into that cycle)" if wb_cycle else
            "the workbook's hidden metadata names no cycle"), SCORE_WRONG_CYCLE))
    try:
        return roster.unit(wb.meta.get("unit_code", ""))
    except ScoreProblem as exc:
        problems.append(_problem(whole, exc, "the workbook's "))
        return None


@dataclass
class _SheetScores:
    """The scores read from the DCFA Assessment table, before they are attributed."""

    candidates: list[_Candidate]
    warnings: list[ImportProblem]
    scored: set[str]  # the roles with at least one score


def _sheet_scores(wb: ReturnedWorkbook, roster: Roster, name: str, unit: Unit | None,
                  event: dict[str, Any], problems: list[ImportProblem]) -> _SheetScores:
    table = wb.assessment
    assert table is not None
    sheet = ASSESSMENT.sheet
    out = _SheetScores(candidates=[], warnings=[], scored=set())
    seen: dict[str, int] = {}
    for row in table.rows:
        values = row.values
        at = ImportProblem(file=name, sheet=sheet, cell=table.ref("indicator_id", row.row),
                           message="")
        try:
            ind_id = roster.indicator(cell_text(values["indicator_id"]))
        except ScoreProblem as exc:
            problems.append(_problem(at, exc))
            continue
        if ind_id in seen:
            problems.append(_at(at, f"indicator {ind_id} appears twice (first at row "
                                    f"{seen[ind_id]})", SCORE_DUPLICATE))
            continue
        seen[ind_id] = row.row
        for role in ("linked", "unlinked"):
            raw = values[f"{role}_score"]
            comment = cell_text(values[f"{role}_comment"])
            where = at.model_copy(update={"cell": table.ref(f"{role}_score", row.row)})
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                if comment:
                    out.warnings.append(_at(
                        at.model_copy(update={"cell": table.ref(f"{role}_comment", row.row)}),
                        f"{role} comment without a score is not recorded",
                        SCORE_COMMENT_WITHOUT_SCORE))
                continue
            try:
                value = parse_score(raw, roster.scale)
            except ScoreProblem as exc:
                problems.append(_problem(where, exc))
                continue
            out.scored.add(role)
            out.candidates.append(_Candidate(
                event=NewEvent(unit=unit.code if unit else "", indicator=ind_id, role=role,
                               assessor="", score=value, comment=comment, **event),
                where=where))
    return out


def _sheet_assessors(wb: ReturnedWorkbook, roster: Roster, name: str, unit: Unit | None,
                     scored: set[str], problems: list[ImportProblem],
                     checks: list[_AssessorCheck]) -> dict[str, str]:
    """Who gave the linked and the unlinked scores: the sheet's DCFA id fields."""
    sheet = ASSESSMENT.sheet
    fields = wb.assessment_fields
    assessors: dict[str, str] = {}
    for role, key in (("linked", "linked_dcfa"), ("unlinked", "unlinked_dcfa")):
        if role not in scored:
            continue
        label = next(f.label for f in ASSESSMENT_FIELDS if f.key == key)
        fv = fields.get(key)
        if fv is None:
            problems.append(ImportProblem(
                file=name, sheet=sheet, code=SCORE_ASSESSOR_UNNAMED.code,
                message=f"the field labelled {label!r} is missing, so the {role} scores "
                        "cannot be attributed"))
            continue
        where = ImportProblem(file=name, sheet=sheet, cell=fv.ref, message="")
        text = cell_text(fv.value)
        if not text:
            problems.append(_at(where, f"{label} is blank but {role} scores are present",
                                SCORE_ASSESSOR_UNNAMED))
            continue
        try:
            adv = roster.advisor(text)
        except ScoreProblem as exc:
            problems.append(_problem(where, exc))
            continue
        assessors[role] = adv
        if unit is not None:
            checks.append(_AssessorCheck(role=role, unit=unit, assessor=adv,  # type: ignore[arg-type]
                                         where=where))
    return assessors


def import_workbook(register: Register, roster: Roster, path: Path, *,
                    any_unlinked: bool = False) -> ImportResult:
    """Record the scores on a returned workbook's DCFA Assessment sheet.

    Never modifies the workbook. A bad cell rejects the whole file, with every problem listed.
    """
    name = str(path)
    result = ImportResult(file=name, kind="workbook", status="rejected")
    whole = ImportProblem(file=name, message="")
    try:
        data = path.read_bytes()
    except OSError as exc:
        return result.model_copy(update={"problems": [
            _at(whole, f"cannot read the file: {exc.strerror or exc}", SCORE_FILE_UNREADABLE)]})
    sha = _sha256(data)
    wb = read_workbook(path)
    problems = _reader_problems(wb, name)
    if problems:
        return result.model_copy(update={"problems": problems})
    unit = _workbook_unit(wb, roster, whole, problems)
    if unit is not None:
        result = result.model_copy(update={"unit": unit.code})
    missing = _missing_columns(wb, name)
    if missing:
        return result.model_copy(update={"problems": problems + missing})
    source = str(path.resolve())
    event = {"cycle": roster.cycle.id, "source": source, "source_sha256": sha}
    read = _sheet_scores(wb, roster, name, unit, event, problems)
    checks: list[_AssessorCheck] = []
    assessors = _sheet_assessors(wb, roster, name, unit, read.scored, problems, checks)
    for cand in read.candidates:
        cand.event = cand.event.model_copy(
            update={"assessor": assessors.get(cand.event.role, "")})
    result = result.model_copy(update={"warnings": read.warnings})
    return _commit(register, roster, result, source=source, sha256=sha,
                   candidates=read.candidates, checks=checks, problems=problems,
                   any_unlinked=any_unlinked)


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
             where: ImportProblem) -> _CsvRow:
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
        where = ImportProblem(file=name, row=rownum, message="")
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
                                     assessor=got.assessor, where=where))
        candidates.append(_Candidate(
            event=NewEvent(cycle=roster.cycle.id, unit=got.unit.code, indicator=got.indicator,
                           role=got.role, assessor=got.assessor, score=got.score,  # type: ignore[arg-type]
                           comment=got.comment, source=source, source_sha256=sha),
            where=where))
    return _commit(register, roster, result, source=source, sha256=sha,
                   candidates=candidates, checks=checks, problems=problems,
                   any_unlinked=any_unlinked)


# -- files and folders -------------------------------------------------------------------


def import_files(path: Path) -> list[Path]:
    """The files an import of path covers: the file itself, or a folder's workbooks."""
    if not path.exists():
        raise ConfigError(f"{path}: no such file or folder")
    if path.is_dir():
        files = sorted(
            p for p in path.iterdir()
            if p.is_file() and p.suffix.lower() in WORKBOOK_SUFFIXES
            and not p.name.startswith(("~$", "."))
        )
        if not files:
            raise ConfigError(f"{path}: no workbooks (.xlsx) in this folder")
        return files
    if path.suffix.lower() not in (*WORKBOOK_SUFFIXES, ".csv"):
        raise ConfigError(f"{path}: expected a workbook (.xlsx), a CSV of scores or a folder")
    return [path]


def import_path(register: Register, roster: Roster, path: Path, *,
                any_unlinked: bool = False) -> list[ImportResult]:
    """Import a workbook, a CSV or every workbook in a folder (each file its own transaction)."""
    results = []
    for file in import_files(path):
        if file.suffix.lower() == ".csv":
            results.append(import_csv(register, roster, file, any_unlinked=any_unlinked))
        else:
            results.append(import_workbook(register, roster, file, any_unlinked=any_unlinked))
    return results


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
