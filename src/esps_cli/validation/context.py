"""What the checks of one workbook share: the workbook read, the framework looked up for its
cycle, what earlier checks established, and the findings collected so far.

A check is a function of a `WorkbookCheck`; it adds findings with `add` and may record what
later checks need (the cycle, the indicator rows, the usable evidence).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from esps_cli.domain.framework import Cycle, EvidenceType, Framework, Indicator
from esps_cli.domain.normalise import clean
from esps_cli.findings import Code, Finding, make_finding
from esps_cli.workbook.layout import LOCKED_INDICATOR_KEYS, indicator_hash, indicator_locked_cells
from esps_cli.workbook.reader import ReturnedWorkbook, Row, TableData


class FrameworkIndex:
    """What the checks look up in a framework for one cycle, computed once per process."""

    def __init__(self, framework: Framework, cycle: Cycle):
        self.indicators = framework.cycle_indicators(cycle)
        self.by_id = {ind.id: ind for ind in self.indicators}
        self.by_id_ci = {ind.id.casefold(): ind for ind in self.indicators}
        self.all_ids_ci = {i.casefold() for i in framework.indicator_ids}
        self.locked = {ind.id: indicator_locked_cells(framework, ind) for ind in self.indicators}
        self.locked_tuple = {i: tuple(cells[k] for k in LOCKED_INDICATOR_KEYS)
                             for i, cells in self.locked.items()}
        self.expected_hash = {i: indicator_hash(dict(cells)) for i, cells in self.locked.items()}
        types: dict[str, EvidenceType] = {t.id.casefold(): t for t in framework.evidence_types}
        types.update({clean(t.label).casefold(): t for t in framework.evidence_types})
        self.types_by_name = types
        self.types_exact = {t.label: t for t in framework.evidence_types}
        self.type_labels = ", ".join(t.label for t in framework.evidence_types)
        self.score_set = frozenset(framework.scale.scores)
        self.scores = framework.scale.scores


_INDEX_CACHE: dict[tuple[int, str], tuple[Framework, FrameworkIndex]] = {}


def framework_index(framework: Framework, cycle: Cycle) -> FrameworkIndex:
    key = (id(framework), cycle.id)
    hit = _INDEX_CACHE.get(key)
    if hit is None or hit[0] is not framework:
        if len(_INDEX_CACHE) > 16:
            _INDEX_CACHE.clear()
        hit = (framework, FrameworkIndex(framework, cycle))
        _INDEX_CACHE[key] = hit
    return hit[1]


@dataclass(frozen=True)
class IssuedPacks:
    """The workbooks the register says were issued, read once per batch and handed to every
    check (and pool worker) as data: pack id -> (unit code, cycle), and the (unit code
    casefolded, cycle) pairs that were issued at least one workbook."""

    by_pack: dict[str, tuple[str, str]]
    units: frozenset[tuple[str, str]]

    @classmethod
    def of(cls, issues: list[tuple[str, str, str]]) -> IssuedPacks:
        """From (pack id, unit, cycle) triples."""
        return cls({p: (u, c) for p, u, c in issues},
                   frozenset((u.casefold(), c) for _p, u, c in issues))


class UndeclaredCode(RuntimeError):
    """A check emitted a code it does not declare (a bug in the check, caught by the tests)."""


@dataclass
class WorkbookCheck:
    """One workbook being checked: its inputs, what the checks found out, and the findings."""

    rw: ReturnedWorkbook
    fw: Framework
    today: date
    expected_cycle: Cycle | None
    check_evidence: bool
    findings: list[Finding] = field(default_factory=list)
    errors: int = 0  # error findings the checks add (compared before and after, never shown)
    # Set by the identity checks: False when the workbook's indicators cannot be compared
    # with this framework's (another framework or version, an unknown cycle).
    content_ok: bool = True
    cycle: Cycle | None = None
    index: FrameworkIndex | None = None
    indicators: list[Indicator] = field(default_factory=list)
    # Set by the later checks, in order.
    rows_by_id: dict[str, Row] = field(default_factory=dict)
    submission_date: date | None = None
    evidence_rows: int = 0
    usable: dict[str, list[str]] | None = None  # usable evidence type ids by indicator id
    # Evidence rows by the indicator id typed (casefolded), usable or not; counted once, when
    # first needed.
    listed: Counter[str] | None = None
    # Evidence type labels as a sentence lists them, by the type ids (evidence_counts).
    type_labels: dict[tuple[str, ...], str] = field(default_factory=dict)
    status: dict[str, dict[str, Any]] = field(default_factory=dict)
    # The codes the check running now declares (None: any code, outside a check).
    allowed: frozenset[str] | None = None
    # The workbooks issued, from the register (None: no register, the seal is not checked).
    issued: IssuedPacks | None = None
    file: str = field(init=False, default="")

    def __post_init__(self) -> None:
        self.findings = list(self.rw.findings)
        self.file = self.rw.name  # how findings name the file (asked for each finding)

    def add(self, code: Code, message: str | None = None, *, sheet: str = "", cell: str = "",
            indicator_id: str = "", hint: str | None = None, **values: Any) -> None:
        """A finding of the code: its message the code's template filled with the values."""
        if self.allowed is not None and code.code not in self.allowed:
            raise UndeclaredCode(f"{code.code} is not among the codes the check declares")
        if message is None:
            message = code.says(file=self.file, sheet=sheet, cell=cell,
                                indicator_id=indicator_id, **values)
        self.findings.append(make_finding(code.code, code.severity, self.file, sheet, cell,
                                          indicator_id, message,
                                          code.hint if hint is None else hint))
        if code.severity == "error":
            self.errors += 1


# -- what the checks read from the workbook ------------------------------------------------

_CYCLE_IN_TEXT = re.compile(r"\b(\d{4}-\d{2})\b")


def has_metadata(rw: ReturnedWorkbook) -> bool:
    """Whether the workbook has the hidden metadata sheet's values (else the Cover is used)."""
    return bool(rw.meta) and rw.meta.get("esps_workbook") is not None


def cover_cycle_id(rw: ReturnedWorkbook) -> str:
    """The cycle id the Cover shows ("FY2010/11 (2010-11)" -> "2010-11"), or ""."""
    cover_cycle = rw.cover.get("cycle")
    if cover_cycle is None:
        return ""
    m = _CYCLE_IN_TEXT.search(clean(cover_cycle.value))
    return m.group(1) if m else clean(cover_cycle.value)


# -- the subjects of row-by-row checks ------------------------------------------------------


@dataclass
class EvidenceSheet:
    """The Evidence table being checked, and what its rows' checks share."""

    table: TableData
    submission: date  # evidence may not be dated after this
    required: list[str]  # the columns every row must fill in
    usable: dict[str, list[str]] = field(default_factory=dict)
    seen: dict[tuple[object, ...], int] = field(default_factory=dict)  # row key -> first row
    oldest_by_months: dict[int, date] = field(default_factory=dict)


@dataclass
class EvidenceRow:
    """One Evidence row as its checks read it; each check may mark it unusable (ok=False)."""

    sheet: EvidenceSheet
    row: Row
    raw_id: str
    indicator: Indicator | None = None
    indicator_id: str = ""  # the framework's id if recognised, else as typed
    etype: EvidenceType | None = None
    type_text: str = ""
    dated: date | None = None  # the evidence date, when one was read
    ok: bool = True

    def __str__(self) -> str:
        return f"evidence row {self.row.row}"

    @property
    def values(self) -> dict[str, Any]:
        return self.row.values

    def ref(self, key: str) -> str:
        return self.sheet.table.ref(key, self.row.row)


@dataclass
class IndicatorRow:
    """One indicator's row on the Indicators sheet, as the per-indicator checks read it."""

    indicator: Indicator
    table: TableData
    row: Row
    narrative: str
    sheet: str  # the table's sheet (asked for each finding)
    rating: int | None = None
    na: bool = False
    evidence_unknown: bool = False  # the Evidence sheet could not be read

    def __str__(self) -> str:
        return f"indicator {self.indicator.id}"

    @property
    def answered_na(self) -> bool:
        """Rated N/A where N/A is allowed: the narrative and evidence minimums do not apply."""
        return self.na and self.indicator.evidence.na_allowed

    def ref(self, key: str) -> str:
        return self.table.ref(key, self.row.row)
