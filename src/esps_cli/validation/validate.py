"""`esps validate`: check returned workbooks against the framework's evidence minimums.

`validate_workbook` checks one file and returns a `WorkbookReport`; `validate_paths` checks
files, folders and globs (in parallel for large batches) against an optional units list and
returns a `BatchReport`. Every problem is a `Finding` with a stable code from the catalogue
below, the file, sheet and cell, the indicator where there is one, and a hint. Nothing here
raises for a bad workbook, and nothing writes to the files it reads.

Which checks run depends on what could be read: a missing sheet skips the checks that need it,
and a workbook made for another framework (id or version) or an unknown cycle gets only the
identity and structure checks, since its indicators cannot be compared with this framework's.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable
from datetime import date
from operator import itemgetter
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlparse

from pydantic import BaseModel

from esps_cli.domain.framework import Cycle, EvidenceType, Framework, Indicator
from esps_cli.domain.normalise import (
    NA,
    Parsed,
    clean,
    is_blank,
    long_uk,
    parse_date,
    parse_rating,
    uk,
)
from esps_cli.domain.units import Unit
from esps_cli.findings import METADATA_UNHIDDEN, Code, Finding, finding
from esps_cli.findings.catalogue import (
    AMBIGUOUS_DATE,
    BATCH_CODES,
    CHECK_FAILED,
    COVER_INCOMPLETE,
    DATE_AS_TEXT,
    DATE_IN_FUTURE,
    DUPLICATE_EVIDENCE,
    DUPLICATE_RETURN,
    EVIDENCE_AFTER_SUBMISSION,
    EVIDENCE_INCOMPLETE,
    EVIDENCE_LOCATION_BROKEN,
    EVIDENCE_TOO_OLD,
    FOLDER_UNREADABLE,
    FRAMEWORK_CHANGED,
    IDENTITY_MISMATCH,
    INDICATOR_CHANGED,
    INDICATOR_DUPLICATED,
    INDICATOR_MISSING,
    INDICATOR_OUTDATED,
    INDICATOR_UNEXPECTED,
    INVALID_DATE,
    INVALID_RATING,
    METADATA_INCOMPLETE,
    METADATA_TAMPERED,
    MISSING_RATING,
    MISSING_SIGNOFF,
    NA_NOT_ALLOWED,
    NA_WITHOUT_REASON,
    NARRATIVE_TOO_SHORT,
    NUMBER_AS_TEXT,
    REQUIRED_TYPE_MISSING,
    TOO_FEW_EVIDENCE,
    UNIT_NOT_ON_LIST,
    UNIT_NOT_RETURNED,
    UNKNOWN_CYCLE,
    UNKNOWN_EVIDENCE_TYPE,
    UNKNOWN_FRAMEWORK,
    UNKNOWN_INDICATOR,
    UNSUPPORTED_LAYOUT,
    WRONG_CYCLE,
    WRONG_FRAMEWORK_VERSION,
)
from esps_cli.io.batch import Discovered, discover, parallel_map, resolve_jobs
from esps_cli.workbook.layout import (
    EVIDENCE,
    LAYOUT_VERSION,
    LOCKED_INDICATOR_KEYS,
    SHEET_COVER,
    SHEET_META,
    indicator_hash,
    indicator_locked_cells,
    workbook_fingerprint,
)
from esps_cli.workbook.reader import ReturnedWorkbook, Row, TableData, read_workbook

# -- report models ------------------------------------------------------------------------


class IndicatorStatus(BaseModel):
    """One indicator of one workbook: what was given and whether the minimum is met."""

    indicator_id: str
    rating: int | None = None
    na: bool = False
    narrative_chars: int = 0
    evidence_items: int = 0  # usable items: complete, known type, in date, not repeated
    minimum_met: bool = False


class WorkbookReport(BaseModel):
    """The result of validating one file."""

    file: str  # as findings name it: the file name, or its path below the folder validated
    path: str
    unit_code: str = ""
    unit_name: str = ""
    cycle: str = ""
    framework_id: str = ""
    framework_version: str = ""
    readable: bool = True
    valid: bool = False
    errors: int = 0
    warnings: int = 0
    findings: list[Finding] = []
    indicators: list[IndicatorStatus] = []
    indicators_met: int = 0
    indicators_total: int = 0
    evidence_completeness_pct: float = 0.0
    evidence_rows: int = 0
    submission_date: date | None = None


class SkippedFile(BaseModel):
    path: str
    kind: Literal["lock", "ignored", "unreadable"]
    reason: str


class UnitRef(BaseModel):
    """A unit from the units list (for the units that have not returned)."""

    code: str
    name: str
    business_group: str = ""


class BatchTotals(BaseModel):
    files: int = 0
    valid: int = 0
    invalid: int = 0
    unreadable: int = 0
    errors: int = 0  # workbook and batch findings
    warnings: int = 0
    lock_files: int = 0
    ignored: int = 0
    units_expected: int | None = None  # with a units list
    units_returned: int | None = None
    units_not_returned: int | None = None
    duplicate_returns: int = 0  # units with more than one return
    not_on_list: int = 0


class BatchReport(BaseModel):
    """The result of validating a batch: every workbook, batch findings and totals."""

    framework_id: str
    framework_version: str
    cycle: str | None = None  # the cycle every workbook was expected to be for, if given
    checked_on: date
    workbooks: list[WorkbookReport] = []
    findings: list[Finding] = []  # unit-not-returned, duplicate-return, unit-not-on-list
    skipped: list[SkippedFile] = []
    not_returned: list[UnitRef] = []  # with a units list: the units with no return
    totals: BatchTotals = BatchTotals()

    @property
    def ok(self) -> bool:
        """Every workbook valid and no batch-level errors."""
        return self.totals.invalid == 0 and not any(
            f.severity == "error" for f in self.findings
        )

    def all_findings(self) -> list[Finding]:
        """Workbook findings in file order, then the batch findings."""
        return [f for wb in self.workbooks for f in wb.findings] + list(self.findings)

    def returns_by_unit(self, cycle: str | None = None) -> dict[str, WorkbookReport]:
        """The one return per unit code (for a cycle, if given), by unit code; a unit with two
        or more returns is left out (duplicate-return: neither is chosen)."""
        by_code: dict[str, list[WorkbookReport]] = {}
        for wb in self.workbooks:
            if wb.unit_code and (cycle is None or wb.cycle == cycle):
                by_code.setdefault(wb.unit_code.casefold(), []).append(wb)
        return {reports[0].unit_code: reports[0] for reports in by_code.values()
                if len(reports) == 1}


# -- checking one workbook ----------------------------------------------------------------


def add_months(d: date, months: int) -> date:
    """d moved by a number of calendar months (negative: back), the day clamped to the month."""
    total = d.year * 12 + d.month - 1 + months
    year, month = divmod(total, 12)
    month += 1
    for day in (d.day, 30, 29, 28):
        try:
            return date(year, month, min(d.day, day))
        except ValueError:
            continue
    return date(year, month, 28)


_CYCLE_IN_TEXT = re.compile(r"\b(\d{4}-\d{2})\b")
_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")


def location_problem(location: str, base_dir: Path) -> str | None:
    """Why a local evidence location is broken, or None if it is fine or not checkable here.

    Only paths and file: URLs that point at this machine are checked, and only for existence
    and read permission (the file is never opened). Web links are never fetched; drive-letter
    and UNC paths are checked only on Windows; references that are not paths are left alone.
    """
    text = location.strip().strip('"').strip("'")
    if not text:
        return None
    parsed = urlparse(text)
    if parsed.scheme.lower() == "file":
        if parsed.netloc not in ("", "localhost"):
            return None  # a file on another machine (file://server/share)
        path = Path(unquote(parsed.path))
        if os.name == "nt" and re.match(r"^/[A-Za-z]:", parsed.path):
            path = Path(unquote(parsed.path[1:]))
    elif parsed.scheme and len(parsed.scheme) > 1:
        return None  # http:, https:, mailto:, sharepoint links...: never fetched
    elif text.startswith(("\\\\", "//")) or _WINDOWS_DRIVE.match(text):
        if os.name != "nt":
            return None  # a Windows share or drive: not reachable from this machine
        path = Path(text)
    elif text.startswith(("/", "~")):
        path = Path(text).expanduser()
    elif text.startswith(("./", "../", ".\\", "..\\")):
        path = base_dir / text
    else:
        return None  # a document reference, not a path
    try:
        if not path.exists():
            return f"{text!r} does not exist on this machine"
        if not os.access(path, os.R_OK):
            return f"{text!r} exists but cannot be read (permission denied)"
    except OSError as exc:
        return f"{text!r} cannot be checked: {exc.strerror or exc}"
    return None


class _Index:
    """What the checks look up in a framework for one cycle, computed once per process."""

    def __init__(self, framework: Framework, cycle: Cycle):
        self.indicators = framework.cycle_indicators(cycle)
        self.by_id = {ind.id: ind for ind in self.indicators}
        self.by_id_ci = {ind.id.casefold(): ind for ind in self.indicators}
        self.all_ids_ci = {i.casefold() for i in framework.indicator_ids}
        self.locked = {ind.id: indicator_locked_cells(framework, ind) for ind in self.indicators}
        self.locked_tuple = {i: tuple(cells[k] for k in LOCKED_INDICATOR_KEYS)
                             for i, cells in self.locked.items()}
        self.expected_hash = {i: indicator_hash(cells) for i, cells in self.locked.items()}
        types: dict[str, EvidenceType] = {t.id.casefold(): t for t in framework.evidence_types}
        types.update({clean(t.label).casefold(): t for t in framework.evidence_types})
        self.types_by_name = types
        self.types_exact = {t.label: t for t in framework.evidence_types}
        self.type_labels = ", ".join(t.label for t in framework.evidence_types)
        self.score_set = frozenset(framework.scale.scores)
        self.scores = framework.scale.scores


_INDEX_CACHE: dict[tuple[int, str], tuple[Framework, _Index]] = {}


def _index(framework: Framework, cycle: Cycle) -> _Index:
    key = (id(framework), cycle.id)
    hit = _INDEX_CACHE.get(key)
    if hit is None or hit[0] is not framework:
        if len(_INDEX_CACHE) > 16:
            _INDEX_CACHE.clear()
        hit = (framework, _Index(framework, cycle))
        _INDEX_CACHE[key] = hit
    return hit[1]


class _Check:
    """The checks of one workbook, collecting findings."""

    def __init__(
        self,
        rw: ReturnedWorkbook,
        framework: Framework,
        *,
        today: date,
        cycle: Cycle | None,
        check_evidence: bool,
    ):
        self.rw = rw
        self.fw = framework
        self.today = today
        self.expected_cycle = cycle
        self.check_evidence = check_evidence
        self.file = rw.name
        self.findings: list[Finding] = list(rw.findings)
        self.errors = sum(1 for f in self.findings if f.severity == "error")
        self.cycle: Cycle | None = None
        self.index: _Index | None = None
        self.indicators: list[Indicator] = []
        self.status: dict[str, dict[str, Any]] = {}
        self.rows_by_id: dict[str, Row] = {}
        self.submission_date: date | None = None
        self.evidence_rows = 0

    def add(self, code: Code, message: str, *, sheet: str = "", cell: str = "",
            indicator_id: str = "", hint: str | None = None) -> None:
        f = finding(code, self.file, message, sheet=sheet, cell=cell,
                    indicator_id=indicator_id, hint=hint)
        self.findings.append(f)
        if f.severity == "error":
            self.errors += 1

    # identity ---------------------------------------------------------------------------

    def identity(self) -> bool:
        """Check the hidden metadata; False when content checks cannot run."""
        rw, fw = self.rw, self.fw
        meta = rw.meta
        has_meta = bool(meta) and meta.get("esps_workbook") is not None
        cycle_id = ""
        content_ok = True
        if has_meta:
            for key in ("framework_id", "framework_version", "cycle", "unit_code", "fingerprint"):
                if is_blank(meta.get(key)):
                    self.add(METADATA_INCOMPLETE,
                             f"the hidden metadata has no {key} value",
                             sheet=SHEET_META, cell=rw.meta_refs.get(key, ""))
            fw_id = clean(meta.get("framework_id"))
            version = clean(meta.get("framework_version"))
            if fw_id and fw_id != fw.meta.id:
                self.add(UNKNOWN_FRAMEWORK,
                         f"the workbook was made from framework {fw_id!r}; the framework "
                         f"loaded is {fw.meta.id!r} (version {fw.meta.version})",
                         sheet=SHEET_META, cell=rw.meta_refs.get("framework_id", ""))
                content_ok = False
            elif version and version != fw.meta.version:
                self.add(WRONG_FRAMEWORK_VERSION,
                         f"the workbook was made from {fw.meta.id} version {version}; the "
                         f"framework loaded is version {fw.meta.version}",
                         sheet=SHEET_META, cell=rw.meta_refs.get("framework_version", ""))
                content_ok = False
            elif meta.get("framework_digest") and meta["framework_digest"] != fw.digest:
                self.add(FRAMEWORK_CHANGED,
                         f"the framework file's content differs from the one the workbook "
                         f"was made from, though both are {fw.meta.id} version "
                         f"{fw.meta.version}",
                         sheet=SHEET_META, cell=rw.meta_refs.get("framework_digest", ""))
            layout = clean(meta.get("layout_version"))
            if layout and layout != LAYOUT_VERSION:
                self.add(UNSUPPORTED_LAYOUT,
                         f"the workbook has layout version {layout}; this esps-cli reads "
                         f"layout version {LAYOUT_VERSION}",
                         sheet=SHEET_META, cell=rw.meta_refs.get("layout_version", ""))
            stored = clean(meta.get("fingerprint"))
            if stored and rw.meta_indicator_hashes and \
                    workbook_fingerprint(rw.meta_indicator_hashes) != stored:
                self.add(METADATA_TAMPERED,
                         "the fingerprint in the hidden metadata does not match the "
                         "indicator hashes stored with it: the hidden sheet was edited",
                         sheet=SHEET_META, cell=rw.meta_refs.get("fingerprint", ""))
            cycle_id = clean(meta.get("cycle"))
        # Without metadata (sheets copied into a new file) the Cover says the cycle.
        cover_cycle = rw.cover.get("cycle")
        cover_cycle_id = ""
        if cover_cycle is not None:
            m = _CYCLE_IN_TEXT.search(clean(cover_cycle.value))
            cover_cycle_id = m.group(1) if m else clean(cover_cycle.value)
        if not cycle_id:
            cycle_id = cover_cycle_id or (self.expected_cycle.id if self.expected_cycle else "")
        if has_meta:
            self._cover_matches_meta(cover_cycle_id, cycle_id)

        if cycle_id:
            self.cycle = next((c for c in fw.cycles if cycle_id in (c.id, c.name)), None)
            if self.cycle is None:
                known = ", ".join(c.id for c in fw.cycles)
                self.add(UNKNOWN_CYCLE,
                         f"the workbook is for cycle {cycle_id!r}, which the framework does not "
                         f"define (it defines {known})",
                         sheet=SHEET_META if has_meta else SHEET_COVER,
                         cell=rw.meta_refs.get("cycle", "") if has_meta
                         else (cover_cycle.ref if cover_cycle else ""))
                content_ok = False
            elif self.expected_cycle and self.cycle.id != self.expected_cycle.id:
                self.add(WRONG_CYCLE,
                         f"the workbook is for {self.cycle.name} ({self.cycle.id}); "
                         f"{self.expected_cycle.name} ({self.expected_cycle.id}) was expected",
                         sheet=SHEET_COVER if cover_cycle else SHEET_META,
                         cell=cover_cycle.ref if cover_cycle else rw.meta_refs.get("cycle", ""))
        if self.cycle is None:
            content_ok = False
        if content_ok and self.cycle is not None:
            self.index = _index(fw, self.cycle)
            self.indicators = self.index.indicators
        return content_ok

    def _cover_matches_meta(self, cover_cycle_id: str, meta_cycle_id: str) -> None:
        rw = self.rw
        code = rw.cover.get("unit_code")
        meta_code = clean(rw.meta.get("unit_code"))
        if code is not None and meta_code and clean(code.value) != meta_code:
            self.add(IDENTITY_MISMATCH,
                     f"the Cover says unit {clean(code.value)!r} but the hidden metadata says "
                     f"{meta_code!r}",
                     sheet=SHEET_COVER, cell=code.ref)
        cyc = rw.cover.get("cycle")
        if cyc is not None and meta_cycle_id and cover_cycle_id and \
                cover_cycle_id != meta_cycle_id:
            self.add(IDENTITY_MISMATCH,
                     f"the Cover says cycle {clean(cyc.value)!r} but the hidden metadata says "
                     f"{meta_cycle_id!r}",
                     sheet=SHEET_COVER, cell=cyc.ref)

    # indicator rows and their locked wording --------------------------------------------

    def indicator_rows(self) -> None:
        td = self.rw.indicators
        index = self.index
        if td is None or index is None:
            return
        meta_hashes = dict(self.rw.meta_indicator_hashes)
        can_hash = all(k in td.columns for k in LOCKED_INDICATOR_KEYS)
        locked_of = itemgetter(*LOCKED_INDICATOR_KEYS)
        sheet = td.table.sheet
        first_row: dict[str, Row] = {}
        for row in td.rows:
            values = row.values
            ind_id = clean(values.get("indicator_id"))
            if ind_id in first_row:
                self.add(INDICATOR_DUPLICATED,
                         f"indicator {ind_id} appears again on row {row.row} (first on row "
                         f"{first_row[ind_id].row})",
                         sheet=sheet, cell=td.ref("indicator_id", row.row), indicator_id=ind_id)
                continue
            first_row[ind_id] = row
            ind = index.by_id.get(ind_id)
            if ind is None:
                self.add(INDICATOR_UNEXPECTED,
                         f"row {row.row} has Indicator ID {ind_id!r}, which is not one of this "
                         "workbook's indicators",
                         sheet=sheet, cell=td.ref("indicator_id", row.row), indicator_id=ind_id)
                continue
            # Untouched rows hold exactly the text written; only others need hashing.
            if can_hash and locked_of(values) != index.locked_tuple[ind_id]:
                self._wording(td, row, ind, meta_hashes.get(ind_id))
        # Missing rows: say where each should be (after the indicator before it).
        prev_row = td.header_row
        for ind in self.indicators:
            if ind.id in first_row:
                prev_row = first_row[ind.id].row
                continue
            self.add(INDICATOR_MISSING,
                     f"the row for indicator {ind.id} is missing (it belongs after row "
                     f"{prev_row}): {_short(clean(ind.text), 80)}",
                     sheet=sheet, cell=td.ref("indicator_id", prev_row + 1), indicator_id=ind.id)
        self.rows_by_id = {k: v for k, v in first_row.items() if k in index.by_id}

    def _wording(self, td: TableData, row: Row, ind: Indicator, meta_hash: str | None) -> None:
        assert self.index is not None
        actual = indicator_hash(row.values)
        if actual == self.index.expected_hash[ind.id]:
            return  # only whitespace differs (an app re-wrapped the text)
        if meta_hash and actual == meta_hash:
            # The unit changed nothing; the framework's wording differs from the workbook's.
            self.add(INDICATOR_OUTDATED,
                     f"indicator {ind.id}'s wording in this workbook differs from the loaded "
                     "framework's; it is checked against the loaded framework's minimum",
                     sheet=td.table.sheet, cell=td.ref("indicator_id", row.row),
                     indicator_id=ind.id)
            return
        original = self.index.locked[ind.id]
        changed = [k for k in LOCKED_INDICATOR_KEYS
                   if clean(row.values.get(k)) != clean(original[k])]
        key = changed[0] if changed else "indicator_id"
        header = td.table.column(key).header
        also = ""
        if len(changed) > 1:
            also = f" (also changed: {', '.join(td.table.column(k).header for k in changed[1:])})"
        now, was = _difference(clean(row.values.get(key)), clean(original[key]))
        self.add(INDICATOR_CHANGED,
                 f"the locked {header!r} of indicator {ind.id} has been changed: it reads "
                 f"{now!r} where the original reads {was!r}{also}",
                 sheet=td.table.sheet, cell=td.ref(key, row.row), indicator_id=ind.id)

    # the Cover --------------------------------------------------------------------------

    def cover(self) -> None:
        cover = self.rw.cover
        if not cover:
            self.submission_date = self.today
            return
        for key, label in (("completed_by", "Completed by"), ("completed_role", "Rank or role")):
            fv = cover.get(key)
            if fv is not None and is_blank(fv.value):
                self.add(COVER_INCOMPLETE, f"the Cover's {label} is blank",
                         sheet=SHEET_COVER, cell=fv.ref)
        completed = self._cover_date("completed_date", "Date completed", COVER_INCOMPLETE)
        commander = cover.get("commander")
        if commander is not None and is_blank(commander.value):
            self.add(MISSING_SIGNOFF, "the Cover has no commander sign-off (name)",
                     sheet=SHEET_COVER, cell=commander.ref)
        signed = self._cover_date("signoff_date", "Sign-off date", MISSING_SIGNOFF)
        self.submission_date = completed or signed or self.today

    def _cover_date(self, key: str, label: str, blank_code: Code) -> date | None:
        fv = self.rw.cover.get(key)
        if fv is None:
            return None
        parsed = parse_date(fv.value)
        if parsed.status == "blank":
            self.add(blank_code, f"the Cover's {label} is blank", sheet=SHEET_COVER, cell=fv.ref)
            return None
        if not self._date_findings(parsed, f"the Cover's {label}", SHEET_COVER, fv.ref, ""):
            return None
        assert parsed.value is not None
        if parsed.value > self.today:
            self.add(DATE_IN_FUTURE,
                     f"the Cover's {label} is {long_uk(parsed.value)}, after today "
                     f"({long_uk(self.today)})",
                     sheet=SHEET_COVER, cell=fv.ref)
        return parsed.value

    def _date_findings(self, parsed: Parsed[date], what: str, sheet: str, cell: str,
                       indicator_id: str) -> bool:
        """Findings for how a date was read; True if a date was read."""
        if parsed.status == "invalid":
            self.add(INVALID_DATE, f"{what} cannot be read as a date: {parsed.note}",
                     sheet=sheet, cell=cell, indicator_id=indicator_id)
            return False
        if parsed.status == "text":
            self.add(DATE_AS_TEXT, f"{what} was typed as text: {parsed.note}",
                     sheet=sheet, cell=cell, indicator_id=indicator_id)
        elif parsed.status == "ambiguous":
            self.add(AMBIGUOUS_DATE, f"{what}: {parsed.note}",
                     sheet=sheet, cell=cell, indicator_id=indicator_id)
        return parsed.value is not None

    # evidence rows ----------------------------------------------------------------------

    def evidence(self) -> dict[str, list[str]] | None:
        """Check every evidence row; the usable items' type ids by indicator id."""
        td = self.rw.evidence
        index = self.index
        if td is None or index is None:
            return None
        sheet = td.table.sheet
        ref = td.ref
        usable: dict[str, list[str]] = {}
        seen: dict[tuple[object, ...], int] = {}
        base_dir = self.rw.path.parent
        required = [k for k in ("indicator_id", "title", "type", "location", "date")
                    if k in td.columns]
        has_date = "date" in td.columns
        check_location = self.check_evidence and "location" in td.columns
        submission = self.submission_date or self.today
        oldest_by_months: dict[int, date] = {}
        for row in td.rows:
            self.evidence_rows += 1
            v = row.values
            r = row.row
            ok = True
            raw_id = clean(v.get("indicator_id"))
            missing = [k for k in required if _blank(v.get(k))]
            if missing:
                names = ", ".join(EVIDENCE.column(k).header for k in missing)
                self.add(EVIDENCE_INCOMPLETE, f"evidence row {r} is missing: {names}",
                         sheet=sheet, cell=ref(missing[0], r), indicator_id=raw_id)
                ok = False
            ind = index.by_id.get(raw_id) or (index.by_id_ci.get(raw_id.casefold())
                                              if raw_id else None)
            ind_id = ind.id if ind else raw_id
            if raw_id and ind is None:
                where = ("is not in this cycle's workbook" if raw_id.casefold() in index.all_ids_ci
                         else "is not an indicator of the framework")
                self.add(UNKNOWN_INDICATOR,
                         f"evidence row {r} is for indicator {raw_id!r}, which {where}",
                         sheet=sheet, cell=ref("indicator_id", r), indicator_id=raw_id)
                ok = False
            raw_type = v.get("type")
            etype = index.types_exact.get(raw_type) if type(raw_type) is str else None
            type_text = etype.label if etype else clean(raw_type)
            if etype is None and type_text:
                etype = index.types_by_name.get(type_text.casefold())
            if type_text and etype is None:
                self.add(UNKNOWN_EVIDENCE_TYPE,
                         f"evidence row {r} has type {type_text!r}, which is not on the list "
                         f"({index.type_labels})",
                         sheet=sheet, cell=ref("type", r), indicator_id=ind_id)
                ok = False
            ev_date: date | None = None
            raw_date = v.get("date") if has_date else None
            if type(raw_date) is date:
                ev_date = raw_date  # the usual case: a real date in a date cell
            elif has_date and not is_blank(raw_date):
                parsed = parse_date(raw_date)
                if self._date_findings(parsed, f"the date of evidence row {r}", sheet,
                                       ref("date", r), ind_id):
                    ev_date = parsed.value
                else:
                    ok = False
            if ev_date is not None:
                if ev_date > submission:
                    self.add(EVIDENCE_AFTER_SUBMISSION,
                             f"evidence row {r} is dated {uk(ev_date)}, after the submission "
                             f"date {uk(submission)}",
                             sheet=sheet, cell=ref("date", r), indicator_id=ind_id)
                    ok = False
                elif ind is not None and ind.evidence.max_age_months:
                    months = ind.evidence.max_age_months
                    oldest = oldest_by_months.get(months)
                    if oldest is None:
                        oldest = oldest_by_months[months] = add_months(submission, -months)
                    if ev_date < oldest:
                        self.add(EVIDENCE_TOO_OLD,
                                 f"evidence row {r} is dated {uk(ev_date)}; evidence for "
                                 f"{ind.id} must be dated within {months} months of the "
                                 f"submission date {uk(submission)} (on or after {uk(oldest)})",
                                 sheet=sheet, cell=ref("date", r), indicator_id=ind_id)
                        ok = False
            key = (ind_id.casefold(), _key_text(v.get("title")),
                   etype.id if etype else type_text.casefold(),
                   _key_text(v.get("location")), ev_date or _key_text(v.get("date")))
            first = seen.get(key)
            if first is not None:
                self.add(DUPLICATE_EVIDENCE,
                         f"evidence row {r} repeats row {first} (same indicator, title, "
                         "type, location and date)",
                         sheet=sheet, cell=ref("indicator_id", r), indicator_id=ind_id)
                ok = False
            else:
                seen[key] = r
            if check_location:
                location = clean(v.get("location"))
                problem = location_problem(location, base_dir) if location else None
                if problem:
                    self.add(EVIDENCE_LOCATION_BROKEN, f"evidence row {r}: {problem}",
                             sheet=sheet, cell=ref("location", r), indicator_id=ind_id)
            if ok and ind is not None and etype is not None:
                usable.setdefault(ind.id, []).append(etype.id)
        return usable

    # per indicator ----------------------------------------------------------------------

    def indicator_minimums(self, usable: dict[str, list[str]] | None) -> None:
        td = self.rw.indicators
        index = self.index
        if index is None:
            return
        scores = index.scores
        has = set(td.columns) if td is not None else set()
        for ind in self.indicators:
            row = self.rows_by_id.get(ind.id)
            if td is None or row is None:
                self.status[ind.id] = {"indicator_id": ind.id, "rating": None, "na": False,
                                       "narrative_chars": 0, "evidence_items": 0,
                                       "minimum_met": False}
                continue
            mins = ind.evidence
            errors_before = self.errors
            sheet = td.table.sheet
            r = row.row
            values = row.values
            items = len(usable.get(ind.id, ())) if usable is not None else 0
            narrative = clean(values.get("narrative"))
            rating: int | None = None
            na = False
            if "rating" in has:
                raw = values.get("rating")
                if type(raw) is float and raw in index.score_set:
                    parsed = Parsed(int(raw), "ok")  # the usual case: a number from the list
                else:
                    parsed = parse_rating(raw, scores)
                cell = "" if parsed.status == "ok" and parsed.value != NA else td.ref("rating", r)
                if parsed.status == "blank":
                    if mins.rating_required:
                        self.add(MISSING_RATING, f"{ind.id} has no self-assessment rating",
                                 sheet=sheet, cell=cell, indicator_id=ind.id)
                elif parsed.status == "invalid":
                    options = ", ".join(str(s) for s in scores) + (
                        f" or {NA}" if mins.na_allowed else "")
                    self.add(INVALID_RATING,
                             f"{ind.id}'s rating {clean(raw)!r} is not on the scale "
                             f"(choose {options})",
                             sheet=sheet, cell=cell, indicator_id=ind.id)
                elif parsed.value == NA:
                    na = True
                    if not mins.na_allowed:
                        self.add(NA_NOT_ALLOWED,
                                 f"{ind.id} does not allow N/A; give a rating from "
                                 f"{scores[0]} to {scores[-1]}",
                                 sheet=sheet, cell=cell, indicator_id=ind.id)
                    elif is_blank(values.get("na_reason")) and not narrative:
                        self.add(NA_WITHOUT_REASON,
                                 f"{ind.id} is rated N/A but no reason is given",
                                 sheet=sheet,
                                 cell=td.ref("na_reason" if "na_reason" in has else "rating", r),
                                 indicator_id=ind.id)
                else:
                    rating = int(parsed.value)  # type: ignore[arg-type]
                    if parsed.status == "text":
                        self.add(NUMBER_AS_TEXT,
                                 f"{ind.id}'s rating was typed as text: {parsed.note}; it was "
                                 f"read as {rating}",
                                 sheet=sheet, cell=cell, indicator_id=ind.id)
            evidence_unknown = False
            if not (na and mins.na_allowed):
                if "narrative" in has and len(narrative) < mins.min_narrative_chars:
                    what = ("has no narrative" if not narrative else
                            f"has a narrative of {len(narrative)} characters")
                    self.add(NARRATIVE_TOO_SHORT,
                             f"{ind.id} {what}; the minimum is {mins.min_narrative_chars}",
                             sheet=sheet, cell=td.ref("narrative", r), indicator_id=ind.id)
                if usable is not None:
                    self._evidence_minimum(ind, usable.get(ind.id, []), sheet, td, r)
                elif mins.min_items:
                    # The Evidence sheet could not be read (already a finding): no minimum
                    # that needs evidence can be shown to be met.
                    evidence_unknown = True
            # Plain dicts: the report validates them all at once (much faster than one
            # model per indicator).
            self.status[ind.id] = {
                "indicator_id": ind.id, "rating": rating, "na": na,
                "narrative_chars": len(narrative), "evidence_items": items,
                "minimum_met": not evidence_unknown and self.errors == errors_before,
            }

    def _evidence_minimum(self, ind: Indicator, type_ids: list[str], sheet: str,
                          td: TableData, r: int) -> None:
        mins = ind.evidence
        if len(type_ids) >= mins.min_items and all(t in type_ids for t in mins.required_types):
            return
        cell = td.ref("indicator_id", r)
        if len(type_ids) < mins.min_items:
            listed = self._rows_for(ind.id)
            extra = ""
            if listed > len(type_ids):
                extra = (f" ({listed - len(type_ids)} more row(s) for {ind.id} on the Evidence "
                         "sheet have problems listed with them)")
            noun = "item" if mins.min_items == 1 else "items"
            self.add(TOO_FEW_EVIDENCE,
                     f"{ind.id} needs at least {mins.min_items} evidence {noun}; "
                     f"{len(type_ids)} usable {'is' if len(type_ids) == 1 else 'are'} listed"
                     + extra,
                     sheet=sheet, cell=cell, indicator_id=ind.id)
        missing = [t for t in mins.required_types if t not in type_ids]
        if missing:
            labels = ", ".join(self.fw.evidence_type_by_id[t].label for t in missing)
            self.add(REQUIRED_TYPE_MISSING,
                     f"{ind.id} needs evidence of type: {labels}",
                     sheet=sheet, cell=cell, indicator_id=ind.id)

    def _rows_for(self, ind_id: str) -> int:
        td = self.rw.evidence
        if td is None:
            return 0
        key = ind_id.casefold()
        return sum(1 for row in td.rows if clean(row.values.get("indicator_id")).casefold() == key)


def _difference(now: str, was: str, context: int = 25, limit: int = 70) -> tuple[str, str]:
    """The part of two texts that differs, with a little context either side."""
    start = 0
    while start < min(len(now), len(was)) and now[start] == was[start]:
        start += 1
    end = 0
    while end < min(len(now), len(was)) - start and now[-1 - end] == was[-1 - end]:
        end += 1
    lo = max(0, start - context)

    def cut(text: str) -> str:
        hi = min(len(text), len(text) - end + context)
        part = text[lo:hi]
        if len(part) > limit:
            part = part[:limit - 1] + "…"
        return ("…" if lo else "") + part + ("…" if hi < len(text) else "")

    return cut(now), cut(was)


def _blank(value: object) -> bool:
    return value is None or value == "" or (type(value) is str and not value.strip())


def _key_text(value: object) -> str:
    """Text compared for repeated evidence rows: case and outer or repeated spaces ignored."""
    if value is None:
        return ""
    text = value if type(value) is str else str(value)
    return clean(text).casefold()


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _count(findings: list[Finding]) -> tuple[int, int]:
    errors = sum(1 for f in findings if f.severity == "error")
    return errors, len(findings) - errors


def _fold_unhidden_metadata(findings: list[Finding]) -> None:
    """An unhidden metadata sheet that was also edited is one problem, not two: keep the
    error that says what was edited and say there that the sheet was unhidden."""
    unhidden = [f for f in findings if f.code == METADATA_UNHIDDEN.code]
    edits = [i for i, f in enumerate(findings)
             if f.sheet == SHEET_META and f.severity == "error"]
    if not unhidden or not edits:
        return
    for i in edits:
        f = findings[i]
        findings[i] = f.model_copy(update={
            "message": f"{f.message} (the hidden {SHEET_META} sheet was unhidden and edited)",
        })
    for f in unhidden:
        findings.remove(f)


def validate_workbook(
    path: Path,
    framework: Framework,
    *,
    today: date | None = None,
    check_evidence: bool = False,
    cycle: Cycle | None = None,
    name: str | None = None,
) -> WorkbookReport:
    """Check one returned workbook; never raises for a bad file.

    today: the date checks run as of (default: today); the submission date used for evidence
    dates is the Cover's Date completed, else its Sign-off date, else today.
    check_evidence: check evidence locations that are paths on this machine.
    cycle: the cycle the workbook must be for (wrong-cycle otherwise); None accepts any.
    name: how findings name the file (default: its file name).
    """
    path = Path(path)
    today = today or date.today()
    rw = read_workbook(path, name=name)
    if not rw.readable:
        errors, warnings = _count(rw.findings)
        return WorkbookReport(file=rw.name, path=str(path), readable=False, errors=errors,
                              warnings=warnings, findings=rw.findings)
    check = _Check(rw, framework, today=today, cycle=cycle, check_evidence=check_evidence)
    content = check.identity()
    if content:
        check.indicator_rows()
    check.cover()
    usable = check.evidence() if content else None
    if content:
        check.indicator_minimums(usable)

    _fold_unhidden_metadata(check.findings)
    meta = rw.meta
    cover_code = rw.cover.get("unit_code")
    cover_name = rw.cover.get("unit_name")
    statuses = [check.status[ind.id] for ind in check.indicators if ind.id in check.status]
    met = sum(1 for st in statuses if st["minimum_met"])
    total = len(check.indicators)
    errors, warnings = _count(check.findings)
    return WorkbookReport(
        file=rw.name,
        path=str(path),
        unit_code=clean(meta.get("unit_code")) or (clean(cover_code.value) if cover_code else ""),
        unit_name=clean(meta.get("unit_name")) or (clean(cover_name.value) if cover_name else ""),
        cycle=check.cycle.id if check.cycle else clean(meta.get("cycle")),
        framework_id=clean(meta.get("framework_id")),
        framework_version=clean(meta.get("framework_version")),
        readable=True,
        valid=errors == 0,
        errors=errors,
        warnings=warnings,
        findings=check.findings,
        indicators=statuses,  # type: ignore[arg-type]  # validated into IndicatorStatus
        indicators_met=met,
        indicators_total=total,
        evidence_completeness_pct=round(100.0 * met / total, 1) if total else 0.0,
        evidence_rows=check.evidence_rows,
        submission_date=check.submission_date,
    )


# -- batches ------------------------------------------------------------------------------

# Worker state: the framework and options are sent to each process once.
_WORKER: dict[str, Any] = {}


def _init_worker(framework: Framework, options: dict[str, Any]) -> None:
    _WORKER["framework"] = framework
    _WORKER["options"] = options


def _validate_job(job: tuple[str, str]) -> WorkbookReport:
    path, name = job
    return validate_workbook(Path(path), _WORKER["framework"], name=name, **_WORKER["options"])


def _failed_job(job: tuple[str, str], error: str) -> WorkbookReport:
    path, name = job
    f = finding(CHECK_FAILED, name, f"checking {name} failed: {error}")
    return WorkbookReport(file=name, path=path, readable=False, errors=1, findings=[f])


ProgressCallback = Callable[[int, int], None]


def validate_paths(
    paths: list[Path],
    framework: Framework,
    *,
    units: list[Unit] | None = None,
    recursive: bool = False,
    jobs: int | None = None,
    check_evidence: bool = False,
    on_progress: ProgressCallback | None = None,
    today: date | None = None,
    cycle: Cycle | None = None,
    exclude: list[Path] | None = None,
    discovered: Discovered | None = None,
) -> BatchReport:
    """Validate files, folders (recursive: and their subfolders) and globs.

    Lock files are skipped and non-spreadsheet files ignored (both listed in `skipped`); every
    other file gets a WorkbookReport, in sorted order, whatever is wrong with it. With a units
    list, units with no return, two or more returns, and returns for units not on the list are
    batch findings. on_progress(done, total) is called as workbooks are checked.
    exclude: files never to validate (e.g. the report being written into the same folder).
    discovered: files already found by `batch.discover` (then paths and recursive are unused).
    """
    today = today or date.today()
    found = discovered or discover(paths, recursive=recursive, exclude=exclude)
    jobs_n = resolve_jobs(jobs)
    options = {"today": today, "check_evidence": check_evidence, "cycle": cycle}
    work = [(str(f.path), f.name) for f in found.files]
    reports = parallel_map(
        _validate_job, work, jobs=jobs_n, initializer=_init_worker,
        initargs=(framework, options), on_progress=on_progress, on_error=_failed_job,
    )
    # A file that cannot be read is still its unit's return when its name says whose it is.
    from esps_cli.validation.attribution import attribute_unreadable

    reports = attribute_unreadable(reports, units, cycle.id if cycle else None)
    batch = BatchReport(
        framework_id=framework.meta.id,
        framework_version=framework.meta.version,
        cycle=cycle.id if cycle else None,
        checked_on=today,
        workbooks=reports,
        skipped=[SkippedFile(path=str(s.path), kind=s.kind, reason=s.reason)
                 for s in found.skipped],
    )
    batch.findings = _against_units(reports, units) + [
        finding(FOLDER_UNREADABLE, str(s.path), f"{s.path}: {s.reason}")
        for s in found.skipped if s.kind == "unreadable"
    ]
    if units is not None:
        returned = {wb.unit_code.casefold() for wb in reports if wb.unit_code}
        batch.not_returned = [UnitRef(code=u.code, name=u.name, business_group=u.business_group)
                              for u in units if u.code.casefold() not in returned]
    batch.totals = _totals(batch, units)
    return batch


def _return_key(wb: WorkbookReport) -> tuple[str, str]:
    return (wb.unit_code.casefold(), wb.cycle)


def _against_units(reports: list[WorkbookReport], units: list[Unit] | None) -> list[Finding]:
    findings: list[Finding] = []
    by_key: dict[tuple[str, str], list[WorkbookReport]] = {}
    for wb in reports:
        if wb.unit_code:
            by_key.setdefault(_return_key(wb), []).append(wb)
    for reports_for in by_key.values():
        if len(reports_for) > 1:
            files = ", ".join(r.file for r in reports_for)
            for r in reports_for:
                findings.append(finding(
                    DUPLICATE_RETURN, r.file,
                    f"{len(reports_for)} returns are for unit {r.unit_code} ({r.unit_name}), "
                    f"cycle {r.cycle or '?'}: {files}; none is chosen",
                ))
    if units is None:
        return findings
    listed = {u.code.casefold(): u for u in units}
    returned = {code for code, _cycle in by_key}
    for wb in reports:
        if wb.unit_code and wb.unit_code.casefold() not in listed:
            findings.append(finding(
                UNIT_NOT_ON_LIST, wb.file,
                f"{wb.file} is for unit {wb.unit_code} ({wb.unit_name}), which is not on the "
                "units list",
            ))
    for unit in units:
        if unit.code.casefold() not in returned:
            findings.append(finding(
                UNIT_NOT_RETURNED, "",
                f"no return from {unit.code} {unit.name} ({unit.business_group})",
            ))
    return findings


def _totals(batch: BatchReport, units: list[Unit] | None) -> BatchTotals:
    t = BatchTotals(files=len(batch.workbooks))
    for wb in batch.workbooks:
        t.errors += wb.errors
        t.warnings += wb.warnings
        if wb.valid:
            t.valid += 1
        else:
            t.invalid += 1
        if not wb.readable:
            t.unreadable += 1
    for f in batch.findings:
        if f.severity == "error":
            t.errors += 1
        else:
            t.warnings += 1
    t.lock_files = sum(1 for s in batch.skipped if s.kind == "lock")
    t.ignored = sum(1 for s in batch.skipped if s.kind == "ignored")
    keys = Counter(_return_key(wb) for wb in batch.workbooks if wb.unit_code)
    codes = {code for code, _cycle in keys}
    t.duplicate_returns = sum(1 for n in keys.values() if n > 1)
    t.not_on_list = sum(1 for f in batch.findings if f.code == UNIT_NOT_ON_LIST.code)
    if units is not None:
        listed = {u.code.casefold() for u in units}
        returned = listed & codes
        t.units_expected = len(listed)
        t.units_returned = len(returned)
        t.units_not_returned = len(listed) - len(returned)
    return t


__all__ = [
    "BATCH_CODES",
    "BatchReport",
    "BatchTotals",
    "IndicatorStatus",
    "SkippedFile",
    "UnitRef",
    "WorkbookReport",
    "add_months",
    "location_problem",
    "validate_paths",
    "validate_workbook",
]
