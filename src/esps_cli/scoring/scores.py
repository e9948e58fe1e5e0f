"""DCFA scoring rules: parsing a score, who may give which score, combining the linked and
unlinked scores, recording scores from the command line, importing them from workbooks and
CSV files, and agreement statistics between assessors.

Every write goes through the register (``register.py``) in one transaction; bad input is
refused with every problem listed and nothing recorded.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from esps_cli.domain.framework import CombinationRule, Cycle, Framework, Scale
from esps_cli.domain.units import Advisor, Unit
from esps_cli.errors import ConfigError, EspsError
from esps_cli.findings import MISSING_SHEET, NOT_ESPS_WORKBOOK, UNREADABLE_FILE
from esps_cli.scoring.register import (
    COMMAND_LINE_SOURCE,
    ROLES,
    NewEvent,
    Register,
    Role,
    ScoreEvent,
    ScorePair,
)
from esps_cli.workbook.layout import ASSESSMENT, ASSESSMENT_FIELDS
from esps_cli.workbook.reader import read_workbook

# Test hook: an import sleeps inside its transaction after recording this many events, so a
# test can kill the process mid-import deterministically. Never set it in normal use.
PAUSE_ENV = "ESPS_TEST_PAUSE_AFTER_ROWS"
PAUSE_MARKER = "ESPS_TEST_PAUSED"

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
Status = Literal[
    "agreed", "lower-stands", "mean-stands", "linked-stands", "needs-moderation", "moderated",
    "awaiting-linked", "awaiting-unlinked", "awaiting-both",
]


class ScoreError(EspsError):
    """A score that cannot be recorded; every problem is listed (exit code 2)."""

    exit_code = 2

    def __init__(self, problems: list[str]):
        self.problems = problems
        if len(problems) == 1:
            text = f"{problems[0]}; nothing recorded"
        else:
            lines = "\n".join(f"  - {p}" for p in problems)
            text = f"{len(problems)} problems; nothing recorded:\n{lines}"
        super().__init__(text)


class ScoreProblem(ValueError):
    """One problem with one value (collected by callers into a list)."""


# -- scores ------------------------------------------------------------------------------

_INT_TEXT = re.compile(r"^[+]?[0-9]+(?:\.0*)?$")


def scale_text(scale: Scale) -> str:
    return f"{scale.minimum}-{scale.maximum}"


def parse_score(value: Any, scale: Scale) -> int:
    """A score on the scale from a typed or stored value: 3, 3.0, "3" and "3.0" are 3.

    Raises ScoreProblem for anything else (blank, text, fractions, dates, off the scale).
    """
    if isinstance(value, bool):
        raise ScoreProblem(
            f"score {value!r} is not a whole number on the scale {scale_text(scale)}"
        )
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise ScoreProblem(
                f"score {value:g} is not a whole number on the scale {scale_text(scale)}"
            )
        number = int(value)
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            raise ScoreProblem("score is blank")
        if not _INT_TEXT.match(text):
            raise ScoreProblem(
                f"score {text!r} is not a whole number on the scale {scale_text(scale)}"
            )
        number = int(float(text))
    elif value is None:
        raise ScoreProblem("score is blank")
    else:
        shown = value.isoformat() if isinstance(value, date | datetime) else repr(value)
        raise ScoreProblem(f"score {shown} is not a whole number on the scale {scale_text(scale)}")
    if number not in scale.scores:
        raise ScoreProblem(f"score {number} is not on the scale {scale_text(scale)}")
    return number


def cell_text(value: Any) -> str:
    """A cell's value as stripped text (3.0 -> "3", dates ISO)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value).strip()


# -- combining ---------------------------------------------------------------------------


class CombinedScore(BaseModel):
    """The one score an indicator gets from its linked, unlinked and moderated scores."""

    model_config = ConfigDict(frozen=True)
    score: int | None
    status: Status
    reason: str


def combine(pair: ScorePair, rule: CombinationRule) -> CombinedScore:
    """Combine per the framework's rule.

    A moderated score overrides. Otherwise both scores are needed; a difference of
    ``moderation_threshold`` or more needs moderation (no score yet); equal scores are agreed;
    else the method decides: ``lower`` (the lower stands), ``mean_round_down`` or ``linked``.
    """
    linked = pair.linked.score if pair.linked else None
    unlinked = pair.unlinked.score if pair.unlinked else None
    if pair.moderated is not None:
        m = pair.moderated
        both = f"linked {linked if linked is not None else '-'}, unlinked " \
               f"{unlinked if unlinked is not None else '-'}"
        return CombinedScore(score=m.score, status="moderated",
                             reason=f"moderated score {m.score} by {m.assessor} overrides {both}")
    if linked is None and unlinked is None:
        return CombinedScore(score=None, status="awaiting-both",
                             reason="no linked or unlinked score yet")
    if linked is None:
        return CombinedScore(score=None, status="awaiting-linked",
                             reason=f"unlinked score {unlinked}; waiting for the linked DCFA")
    if unlinked is None:
        return CombinedScore(score=None, status="awaiting-unlinked",
                             reason=f"linked score {linked}; waiting for the unlinked DCFA")
    diff = abs(linked - unlinked)
    if diff >= rule.moderation_threshold:
        return CombinedScore(
            score=None, status="needs-moderation",
            reason=f"linked {linked} and unlinked {unlinked} differ by {diff} (moderation "
                   f"needed at {rule.moderation_threshold} or more)",
        )
    if diff == 0:
        return CombinedScore(score=linked, status="agreed",
                             reason=f"linked and unlinked both {linked}")
    if rule.method == "lower":
        return CombinedScore(score=min(linked, unlinked), status="lower-stands",
                             reason=f"linked {linked}, unlinked {unlinked}: the lower stands")
    if rule.method == "mean_round_down":
        mean = (linked + unlinked) // 2
        return CombinedScore(
            score=mean, status="mean-stands",
            reason=f"linked {linked}, unlinked {unlinked}: the mean rounded down ({mean}) stands",
        )
    return CombinedScore(score=linked, status="linked-stands",
                         reason=f"linked {linked}, unlinked {unlinked}: the linked score stands")


# -- who may score what ------------------------------------------------------------------


@dataclass
class Roster:
    """What scores are checked against: the framework, the cycle, the units and advisors."""

    framework: Framework
    cycle: Cycle
    units: list[Unit]
    advisors: list[Advisor]
    _units: dict[str, Unit] = field(init=False, repr=False)
    _advisors: dict[str, Advisor] = field(init=False, repr=False)
    _in_scope: dict[str, str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._units = {u.code.casefold(): u for u in self.units}
        self._advisors = {a.id.casefold(): a for a in self.advisors}
        self._in_scope = {i.casefold(): i for i in self.indicator_list}

    @property
    def scale(self) -> Scale:
        return self.framework.scale

    @property
    def rule(self) -> CombinationRule:
        return self.framework.rules.combination

    @property
    def indicator_list(self) -> list[str]:
        return [i.id for i in self.framework.cycle_indicators(self.cycle)]

    def unit(self, code: str) -> Unit:
        unit = self._units.get(str(code).strip().casefold())
        if unit is None:
            raise ScoreProblem(f"unknown unit {str(code).strip()!r} (not in the units list)")
        return unit

    def indicator(self, indicator_id: str) -> str:
        text = str(indicator_id).strip()
        found = self._in_scope.get(text.casefold())
        if found:
            return found
        known = {i.id.casefold(): i for i in self.framework.indicators}
        if text.casefold() in known:
            ind = known[text.casefold()]
            raise ScoreProblem(
                f"indicator {ind.id} ({ind.stage}) is not assessed in cycle {self.cycle.id}"
            )
        raise ScoreProblem(
            f"unknown indicator {text!r} (not in framework {self.framework.meta.id})"
        )

    def advisor(self, advisor_id: str) -> str:
        text = str(advisor_id).strip()
        adv = self._advisors.get(text.casefold())
        if adv is None:
            raise ScoreProblem(f"unknown assessor {text!r} (not in the advisors list)")
        return adv.id

    def unit_or_error(self, code: str) -> Unit:
        try:
            return self.unit(code)
        except ScoreProblem as exc:
            raise ConfigError(str(exc)) from None

    def indicator_or_error(self, indicator_id: str) -> str:
        try:
            return self.indicator(indicator_id)
        except ScoreProblem as exc:
            raise ConfigError(str(exc)) from None

    def assessor_problem(self, role: Role, unit: Unit, assessor: str, allocated: str | None,
                         any_unlinked: bool) -> str | None:
        """Why this assessor may not give this unit a score in this role (None if they may)."""
        if role == "linked" and assessor != unit.linked_dcfa:
            return (f"{assessor} is not the linked DCFA of {unit.code} ({unit.linked_dcfa} per "
                    "the units list); linked scores come only from the unit's linked DCFA")
        if role == "unlinked":
            if assessor == unit.linked_dcfa:
                return (f"{assessor} is the linked DCFA of {unit.code}, so cannot give its "
                        "unlinked score")
            if not any_unlinked:
                if allocated is None:
                    return (f"no unlinked DCFA is allocated to {unit.code} for {self.cycle.id}: "
                            "run esps allocate, or pass --any-unlinked")
                if assessor != allocated:
                    return (f"{assessor} is not the unlinked DCFA allocated to {unit.code} "
                            f"({allocated}); pass --any-unlinked to accept another")
        return None


# -- recording one score -----------------------------------------------------------------


class RecordResult(BaseModel):
    event: ScoreEvent | NewEvent
    recorded: bool  # False: the same score, comment and assessor were already current
    combined: CombinedScore


def record_score(
    register: Register,
    roster: Roster,
    *,
    unit: str,
    indicator: str,
    role: Role,
    score: Any,
    assessor: str,
    comment: str = "",
    any_unlinked: bool = False,
) -> RecordResult:
    """Record one score from the command line, or raise ScoreError listing every problem."""
    problems: list[str] = []
    the_unit: Unit | None = None
    ind_id = adv_id = ""
    value = 0
    for check in ("unit", "indicator", "assessor", "score"):
        try:
            if check == "unit":
                the_unit = roster.unit(unit)
            elif check == "indicator":
                ind_id = roster.indicator(indicator)
            elif check == "assessor":
                adv_id = roster.advisor(assessor)
            else:
                value = parse_score(score, roster.scale)
        except ScoreProblem as exc:
            problems.append(str(exc))
    if role not in ROLES:
        problems.append(f"unknown role {role!r} (use linked, unlinked or moderated)")
    comment = (comment or "").strip()
    if role == "moderated" and not comment:
        problems.append("a moderated score needs a --comment saying how it was agreed")
    cycle = roster.cycle.id
    with register.transaction():
        pair = ScorePair()
        if the_unit is not None and ind_id:
            pair = register.current(cycle, the_unit.code, ind_id)
        if the_unit is not None and adv_id and role in ROLES:
            allocated = register.allocations(cycle).get(the_unit.code)
            why = roster.assessor_problem(role, the_unit, adv_id, allocated, any_unlinked)
            if why:
                problems.append(why)
            if role == "moderated" and ind_id and (pair.linked is None or pair.unlinked is None):
                problems.append(f"nothing to moderate yet: {the_unit.code} {ind_id} needs both "
                                "a linked and an unlinked score first")
        if problems or the_unit is None:
            raise ScoreError(problems)
        new = NewEvent(cycle=cycle, unit=the_unit.code, indicator=ind_id, role=role,
                       assessor=adv_id, score=value, comment=comment,
                       source=COMMAND_LINE_SOURCE)
        current = pair.get(role)
        if new.same_as(current):
            assert current is not None
            return RecordResult(event=current, recorded=False, combined=combine(pair, roster.rule))
        event = register.record(new)
        after = ScorePair(**{**{r: pair.get(r) for r in ROLES}, role: event})
        return RecordResult(event=event, recorded=True, combined=combine(after, roster.rule))


# -- importing ---------------------------------------------------------------------------


class ImportProblem(BaseModel):
    model_config = ConfigDict(frozen=True)
    file: str
    sheet: str = ""
    cell: str = ""
    row: int | None = None
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
    warnings: list[str] = []
    previously_imported_at: datetime | None = None

    @property
    def rejected(self) -> bool:
        return self.status == "rejected"


@dataclass
class _Candidate:
    event: NewEvent
    where: ImportProblem  # the location, with an empty message


@dataclass
class _Check:
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


def _pause_for_tests(inserted: int) -> None:
    wanted = os.environ.get(PAUSE_ENV)
    if wanted and wanted.isdigit() and inserted == int(wanted):
        print(PAUSE_MARKER, file=sys.stderr, flush=True)
        time.sleep(120)


def _at(where: ImportProblem, message: str) -> ImportProblem:
    return where.model_copy(update={"message": message})


def _commit(
    register: Register,
    roster: Roster,
    result: ImportResult,
    *,
    source: str,
    sha256: str,
    candidates: list[_Candidate],
    checks: list[_Check],
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
                    problems.append(_at(check.where, why))
            new: list[NewEvent] = []
            unchanged = 0
            pending: dict[tuple[str, str], set[str]] = {}
            for cand in candidates:
                ev = cand.event
                pair = register.current(cycle, ev.unit, ev.indicator)
                have = pending.setdefault((ev.unit, ev.indicator), set())
                if ev.role == "moderated":
                    missing = [r for r in ("linked", "unlinked")
                               if pair.get(r) is None and r not in have]
                    if missing:
                        problems.append(_at(cand.where, (
                            f"nothing to moderate yet: {ev.unit} {ev.indicator} has no "
                            f"{' or '.join(missing)} score")))
                have.add(ev.role)
                if ev.same_as(pair.get(ev.role)):
                    unchanged += 1
                else:
                    new.append(ev)
            if problems:
                raise _Rejected
            import_id = register.log_import(cycle, source, sha256, result.kind, len(new))
            for n, ev in enumerate(new, start=1):
                register.record(ev, import_id=import_id)
                _pause_for_tests(n)
    except _Rejected:
        return result.model_copy(update={"status": "rejected",
                                         "problems": sorted(problems, key=_reading_order)})
    by_role = Counter(ev.role for ev in new)
    return result.model_copy(update={
        "status": "imported" if new else "unchanged",
        "recorded": len(new), "unchanged": unchanged,
        "by_role": {r: by_role[r] for r in ROLES if by_role[r]},
    })


def import_workbook(register: Register, roster: Roster, path: Path, *,
                    any_unlinked: bool = False) -> ImportResult:
    """Record the scores on a returned workbook's DCFA Assessment sheet.

    Never modifies the workbook. A bad cell rejects the whole file, with every problem listed.
    """
    name = str(path)
    sheet = ASSESSMENT.sheet
    result = ImportResult(file=name, kind="workbook", status="rejected")
    whole = ImportProblem(file=name, message="")
    try:
        data = path.read_bytes()
    except OSError as exc:
        return result.model_copy(update={"problems": [
            _at(whole, f"cannot read the file: {exc.strerror or exc}")]})
    sha = _sha256(data)
    wb = read_workbook(path)
    problems: list[ImportProblem] = []
    fatal = {UNREADABLE_FILE.code, NOT_ESPS_WORKBOOK.code}
    for f in wb.findings:
        if f.code in fatal or (f.code == MISSING_SHEET.code and f.sheet == sheet):
            message = f.message.removeprefix(f"cannot read {wb.name}: ")
            problems.append(ImportProblem(file=name, sheet=f.sheet, cell=f.cell,
                                          message=message))
    table = wb.assessment
    if problems or table is None:
        if table is None and not problems:
            problems.append(ImportProblem(
                file=name, sheet=sheet,
                message=f"the {sheet} sheet has no table headed {ASSESSMENT.headers[0]!r}"))
        return result.model_copy(update={"problems": problems})

    unit: Unit | None = None
    wb_cycle = wb.meta.get("cycle", "")
    if wb_cycle != roster.cycle.id:
        problems.append(_at(whole, (
            f"the workbook is for cycle {wb_cycle or '(none)'}, not {roster.cycle.id} "
            f"(pass --cycle {wb_cycle} to import it into that cycle)" if wb_cycle else
            "the workbook's hidden metadata names no cycle")))
    try:
        unit = roster.unit(wb.meta.get("unit_code", ""))
        result = result.model_copy(update={"unit": unit.code})
    except ScoreProblem as exc:
        problems.append(_at(whole, f"the workbook's {exc}"))

    needed = ("indicator_id", "linked_score", "linked_comment", "unlinked_score",
              "unlinked_comment")
    missing_cols = [ASSESSMENT.column(k).header for k in needed if k not in table.columns]
    for header in missing_cols:
        problems.append(ImportProblem(
            file=name, sheet=sheet, cell=f"A{table.header_row}",
            message=f"column heading {header!r} is missing from the header row"))
    if missing_cols:
        return result.model_copy(update={"problems": problems})

    fields = wb.assessment_fields
    candidates: list[_Candidate] = []
    warnings: list[str] = []
    seen: dict[str, int] = {}
    scored = {"linked": False, "unlinked": False}
    for row in table.rows:
        values = row.values
        ref = table.ref
        try:
            ind_id = roster.indicator(cell_text(values["indicator_id"]))
        except ScoreProblem as exc:
            problems.append(ImportProblem(file=name, sheet=sheet,
                                          cell=ref("indicator_id", row.row), message=str(exc)))
            continue
        if ind_id in seen:
            problems.append(ImportProblem(
                file=name, sheet=sheet, cell=ref("indicator_id", row.row),
                message=f"indicator {ind_id} appears twice (first at row {seen[ind_id]})"))
            continue
        seen[ind_id] = row.row
        for role in ("linked", "unlinked"):
            raw = values[f"{role}_score"]
            comment = cell_text(values[f"{role}_comment"])
            score_ref = ref(f"{role}_score", row.row)
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                if comment:
                    warnings.append(f"{name} {sheet}!{ref(f'{role}_comment', row.row)}: "
                                    f"{role} comment without a score is not recorded")
                continue
            try:
                value = parse_score(raw, roster.scale)
            except ScoreProblem as exc:
                problems.append(ImportProblem(file=name, sheet=sheet, cell=score_ref,
                                              message=str(exc)))
                continue
            scored[role] = True
            where = ImportProblem(file=name, sheet=sheet, cell=score_ref, message="")
            candidates.append(_Candidate(
                event=NewEvent(cycle=roster.cycle.id, unit=unit.code if unit else "",
                               indicator=ind_id, role=role, assessor="", score=value,
                               comment=comment, source=str(path.resolve()),
                               source_sha256=sha),
                where=where))

    checks: list[_Check] = []
    assessors: dict[str, str] = {}
    for role, key in (("linked", "linked_dcfa"), ("unlinked", "unlinked_dcfa")):
        if not scored[role]:
            continue
        label = next(f.label for f in ASSESSMENT_FIELDS if f.key == key)
        fv = fields.get(key)
        if fv is None:
            problems.append(ImportProblem(
                file=name, sheet=sheet,
                message=f"the field labelled {label!r} is missing, so the {role} scores "
                        "cannot be attributed"))
            continue
        where = ImportProblem(file=name, sheet=sheet, cell=fv.ref, message="")
        text = cell_text(fv.value)
        if not text:
            problems.append(_at(where, f"{label} is blank but {role} scores are present"))
            continue
        try:
            adv = roster.advisor(text)
        except ScoreProblem as exc:
            problems.append(_at(where, str(exc)))
            continue
        assessors[role] = adv
        if unit is not None:
            checks.append(_Check(role=role, unit=unit, assessor=adv, where=where))
    for cand in candidates:
        cand.event = cand.event.model_copy(
            update={"assessor": assessors.get(cand.event.role, "")})
    result = result.model_copy(update={"warnings": warnings})
    return _commit(register, roster, result, source=str(path.resolve()), sha256=sha,
                   candidates=candidates, checks=checks, problems=problems,
                   any_unlinked=any_unlinked)


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


def _csv_rows(data: bytes) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    return list(csv.reader(io.StringIO(text, newline="")))


def import_csv(register: Register, roster: Roster, path: Path, *,
               any_unlinked: bool = False) -> ImportResult:
    """Record scores from a CSV: unit,indicator,role,assessor,score[,comment][,cycle].

    The header row is required (row 1). A bad row rejects the whole file, every problem listed.
    """
    name = str(path)
    result = ImportResult(file=name, kind="csv", status="rejected")
    try:
        data = path.read_bytes()
        rows = _csv_rows(data)
    except (OSError, csv.Error) as exc:
        return result.model_copy(update={"problems": [
            ImportProblem(file=name, message=f"cannot read the file: {exc}")]})
    if not rows or not any(c.strip() for c in rows[0]):
        return result.model_copy(update={"problems": [ImportProblem(
            file=name, row=1,
            message="no header row: expected unit,indicator,role,assessor,score,comment")]})
    header = [h.strip().casefold() for h in rows[0]]
    cols: dict[str, int] = {}
    for key, aliases in CSV_COLUMNS.items():
        for alias in aliases:
            if alias in header:
                cols[key] = header.index(alias)
                break
    missing = [k for k in CSV_REQUIRED if k not in cols]
    if missing:
        return result.model_copy(update={"problems": [ImportProblem(
            file=name, row=1,
            message=f"missing column(s) {', '.join(missing)}: the header must be "
                    "unit,indicator,role,assessor,score,comment")]})

    sha = _sha256(data)
    problems: list[ImportProblem] = []
    candidates: list[_Candidate] = []
    checks: list[_Check] = []
    seen: dict[tuple[str, str, str], int] = {}
    for rownum, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue

        def get(key: str, row: list[str] = row) -> str:
            i = cols.get(key)
            return row[i].strip() if i is not None and i < len(row) else ""

        where = ImportProblem(file=name, row=rownum, message="")
        row_problems: list[str] = []
        unit: Unit | None = None
        ind_id = adv = ""
        value = 0
        if "cycle" in cols and get("cycle") and get("cycle") != roster.cycle.id:
            row_problems.append(f"cycle {get('cycle')} is not {roster.cycle.id}")
        try:
            unit = roster.unit(get("unit"))
        except ScoreProblem as exc:
            row_problems.append(str(exc))
        try:
            ind_id = roster.indicator(get("indicator"))
        except ScoreProblem as exc:
            row_problems.append(str(exc))
        role = get("role").casefold()
        if role not in ROLES:
            row_problems.append(f"unknown role {get('role')!r} (use linked, unlinked or "
                                "moderated)")
        try:
            adv = roster.advisor(get("assessor"))
        except ScoreProblem as exc:
            row_problems.append(str(exc))
        try:
            value = parse_score(get("score"), roster.scale)
        except ScoreProblem as exc:
            row_problems.append(str(exc))
        comment = get("comment")
        if role == "moderated" and not comment:
            row_problems.append("a moderated score needs a comment saying how it was agreed")
        if unit is not None and ind_id and role in ROLES:
            key = (unit.code, ind_id, role)
            if key in seen:
                row_problems.append(f"{unit.code} {ind_id} {role} appears twice "
                                    f"(first at row {seen[key]})")
            else:
                seen[key] = rownum
        problems.extend(_at(where, p) for p in row_problems)
        if row_problems or unit is None:
            continue
        checks.append(_Check(role=role, unit=unit, assessor=adv, where=where))  # type: ignore[arg-type]
        candidates.append(_Candidate(
            event=NewEvent(cycle=roster.cycle.id, unit=unit.code, indicator=ind_id,
                           role=role, assessor=adv, score=value, comment=comment,  # type: ignore[arg-type]
                           source=str(path.resolve()), source_sha256=sha),
            where=where))
    return _commit(register, roster, result, source=str(path.resolve()), sha256=sha,
                   candidates=candidates, checks=checks, problems=problems,
                   any_unlinked=any_unlinked)


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


# -- current scores as rows --------------------------------------------------------------


class ScoreRow(BaseModel):
    """One (unit, indicator): its current linked, unlinked and moderated scores, combined."""

    cycle: str
    unit: str
    unit_name: str
    indicator: str
    linked_score: int | None
    linked_assessor: str | None
    linked_comment: str
    unlinked_score: int | None
    unlinked_assessor: str | None
    unlinked_comment: str
    moderated_score: int | None
    moderator: str | None
    moderation_comment: str
    combined_score: int | None
    status: Status
    reason: str


def score_row(roster: Roster, unit: str, indicator: str, pair: ScorePair) -> ScoreRow:
    combined = combine(pair, roster.rule)
    names = {u.code: u.name for u in roster.units}

    def part(ev: ScoreEvent | None) -> tuple[int | None, str | None, str]:
        return (ev.score, ev.assessor, ev.comment) if ev else (None, None, "")

    ls, la, lc = part(pair.linked)
    us, ua, uc = part(pair.unlinked)
    ms, ma, mc = part(pair.moderated)
    return ScoreRow(
        cycle=roster.cycle.id, unit=unit, unit_name=names.get(unit, ""), indicator=indicator,
        linked_score=ls, linked_assessor=la, linked_comment=lc,
        unlinked_score=us, unlinked_assessor=ua, unlinked_comment=uc,
        moderated_score=ms, moderator=ma, moderation_comment=mc,
        combined_score=combined.score, status=combined.status, reason=combined.reason,
    )


def score_rows(
    roster: Roster,
    current: dict[tuple[str, str], ScorePair],
    *,
    units: Sequence[str] | None = None,
    include_unscored: bool = False,
) -> list[ScoreRow]:
    """Rows in units-list then framework order; units no longer in the list come last."""
    unit_order = [u.code for u in roster.units]
    ind_order = {ind: i for i, ind in enumerate(roster.framework.indicator_ids)}
    keys = set(current)
    if include_unscored:
        keys |= {(u, i) for u in unit_order for i in roster.indicator_list}
    if units is not None:
        wanted = set(units)
        keys = {k for k in keys if k[0] in wanted}
    pos = {u: i for i, u in enumerate(unit_order)}
    ordered = sorted(keys, key=lambda k: (pos.get(k[0], len(pos)), k[0],
                                          ind_order.get(k[1], len(ind_order)), k[1]))
    return [score_row(roster, u, i, current.get((u, i), ScorePair())) for u, i in ordered]


# -- agreement ---------------------------------------------------------------------------


def quadratic_weighted_kappa(a: Sequence[int], b: Sequence[int],
                             categories: Sequence[int]) -> float | None:
    """Cohen's kappa with quadratic weights for two raters' paired scores.

    kappa = 1 - sum(w * observed) / sum(w * expected), w_ij = (i - j)^2 / (k - 1)^2, expected
    from the two raters' marginal totals. None when undefined: no pairs, or every score from
    both raters in one category (no disagreement is possible by chance).
    """
    if len(a) != len(b):
        raise ValueError("the two raters must score the same items")
    n = len(a)
    k = len(categories)
    if n == 0 or k < 2:
        return None
    index = {c: i for i, c in enumerate(categories)}
    observed = [[0.0] * k for _ in range(k)]
    for x, y in zip(a, b, strict=True):
        observed[index[x]][index[y]] += 1
    rows = [sum(r) for r in observed]
    cols = [sum(observed[i][j] for i in range(k)) for j in range(k)]
    num = den = 0.0
    for i in range(k):
        for j in range(k):
            w = (i - j) ** 2 / (k - 1) ** 2
            num += w * observed[i][j]
            den += w * rows[i] * cols[j] / n
    if den == 0:
        return None
    return 1 - num / den


class AgreementStats(BaseModel):
    linked_assessor: str | None  # None for the overall figures
    unlinked_assessor: str | None
    n: int
    exact: int
    within_one: int
    exact_pct: float | None
    within_one_pct: float | None
    kappa: float | None
    kappa_note: str = ""


class ModerationItem(BaseModel):
    unit: str
    indicator: str
    linked_score: int
    unlinked_score: int
    difference: int
    linked_assessor: str
    unlinked_assessor: str


class AgreementReport(BaseModel):
    cycle: str
    pairs: list[AgreementStats]
    overall: AgreementStats
    moderation_queue: list[ModerationItem]
    moderated: int


def agreement_stats(pairs: Iterable[tuple[int, int]], categories: Sequence[int], *,
                    linked: str | None = None, unlinked: str | None = None) -> AgreementStats:
    items = list(pairs)
    n = len(items)
    exact = sum(1 for x, y in items if x == y)
    within = sum(1 for x, y in items if abs(x - y) <= 1)
    kappa = quadratic_weighted_kappa([x for x, _ in items], [y for _, y in items], categories)
    note = ""
    if n == 0:
        note = "no indicator has both a linked and an unlinked score"
    elif kappa is None:
        note = ("undefined: every score from both assessors is the same, so chance agreement "
                "is total")
    return AgreementStats(
        linked_assessor=linked, unlinked_assessor=unlinked, n=n, exact=exact, within_one=within,
        exact_pct=round(100 * exact / n, 1) if n else None,
        within_one_pct=round(100 * within / n, 1) if n else None,
        kappa=None if kappa is None else round(kappa, 3), kappa_note=note,
    )


def agreement(roster: Roster, current: dict[tuple[str, str], ScorePair]) -> AgreementReport:
    """Agreement between linked and unlinked scores, per assessor pair and overall."""
    categories = roster.scale.scores
    by_pair: dict[tuple[str, str], list[tuple[int, int]]] = {}
    queue: list[ModerationItem] = []
    moderated = 0
    for row in score_rows(roster, current):
        pair = current[(row.unit, row.indicator)]
        if pair.moderated is not None:
            moderated += 1
        if pair.linked is None or pair.unlinked is None:
            continue
        by_pair.setdefault((pair.linked.assessor, pair.unlinked.assessor), []).append(
            (pair.linked.score, pair.unlinked.score))
        if row.status == "needs-moderation":
            queue.append(ModerationItem(
                unit=row.unit, indicator=row.indicator, linked_score=pair.linked.score,
                unlinked_score=pair.unlinked.score,
                difference=abs(pair.linked.score - pair.unlinked.score),
                linked_assessor=pair.linked.assessor, unlinked_assessor=pair.unlinked.assessor,
            ))
    pairs = [agreement_stats(items, categories, linked=la, unlinked=ua)
             for (la, ua), items in sorted(by_pair.items())]
    overall = agreement_stats([i for items in by_pair.values() for i in items], categories)
    return AgreementReport(cycle=roster.cycle.id, pairs=pairs, overall=overall,
                           moderation_queue=queue, moderated=moderated)
