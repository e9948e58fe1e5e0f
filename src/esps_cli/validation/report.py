"""What validation reports: one `WorkbookReport` per file and a `BatchReport` for a batch."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from esps_cli.findings import IDENTITY_FAILURES, Finding, assembled, make_finding
from esps_cli.validation.answers import Resubmission


class _Model(BaseModel):
    # A model's validator is built when it is first used, not at import: a nested model
    # (validated as part of another) never builds its own (start-up time).
    model_config = ConfigDict(defer_build=True)


class IndicatorStatus(_Model):
    """One indicator of one workbook: what was given and whether the minimum is met."""

    indicator_id: str
    rating: int | None = None
    na: bool = False
    narrative_chars: int = 0
    evidence_items: int = 0  # usable items: complete, known type, in date, not repeated
    minimum_met: bool = False


class WorkbookReport(_Model):
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
    pack_id: str = ""  # the random id esps generate gave the workbook (sealed identity)
    sha256: str = ""  # of the file's bytes
    # The answers read (for comparing resubmissions; kept out of the JSON report).
    answers: dict[str, Any] | None = Field(default=None, exclude=True)
    # With a register: when this return was first received, how it differs from the unit's
    # return before it, and (for an older file of a unit still in the folder) the file that
    # replaced it: a superseded file does not count as the unit's return.
    received_at: datetime | None = None
    resubmission: Resubmission | None = None
    superseded_by: str = ""
    # Why this file does not count as its unit's return though no later return replaced it:
    # the same bytes as another file of the unit, or a failed identity beside a return that
    # passes (validation.returns.supersede). "" when it may count.
    set_aside: str = ""
    # With a register: the path these same bytes were first received as, when not this one.
    received_as: str = ""

    @property
    def counts(self) -> bool:
        """Whether this file may be its unit's return (not replaced, not set aside)."""
        return not self.superseded_by and not self.set_aside

    def for_summary(self, statuses: StatusPool | None = None) -> WorkbookReport:
        """This report as a summary reads it: its counts, statuses and indicators, and of its
        findings only those the batch's rules look at (a failed identity sets a file aside);
        a blank return's hundreds of others are left out. statuses: indicator statuses seen
        in other reports, shared with this one where equal (a folder of blank returns then
        holds one copy of each indicator's status; a report's statuses never change once it
        is made)."""
        update: dict[str, Any] = {}
        kept = [f for f in self.findings if f.code in IDENTITY_FAILURES]
        if len(kept) < len(self.findings):
            update["findings"] = kept
        if statuses is not None:
            update["indicators"] = [statuses.setdefault(tuple(vars(s).values()), s)
                                    for s in self.indicators]
        return self.model_copy(update=update) if update else self


# Indicator statuses by their values, shared between reports (WorkbookReport.for_summary).
StatusPool = dict[tuple[Any, ...], IndicatorStatus]


class SkippedFile(_Model):
    path: str
    kind: Literal["lock", "ignored", "unreadable"]
    reason: str


class UnitRef(_Model):
    """A unit from the units list (for the units that have not returned)."""

    code: str
    name: str
    business_group: str = ""


class BatchTotals(_Model):
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
    superseded: int = 0  # files replaced by a later return of their unit (with a register)
    set_aside: int = 0  # files that do not count: a copy, or a failed identity
    cached: int | None = None  # with a validation cache: files whose report it already held


class BatchReport(_Model):
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
    # Checks not run for the whole batch, and why (one line each, e.g. no register).
    notes: list[str] = []
    # Without --recursive: subfolders holding workbooks that were not read (path, how many).
    unread_folders: list[tuple[str, int]] = []

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
        or more returns is left out (duplicate-return: neither is chosen). A file superseded by
        a later return of its unit (known from the register) does not count."""
        by_code: dict[str, list[WorkbookReport]] = {}
        for wb in self.workbooks:
            if wb.unit_code and wb.counts and (cycle is None or wb.cycle == cycle):
                by_code.setdefault(wb.unit_code.casefold(), []).append(wb)
        return {reports[0].unit_code: reports[0] for reports in by_code.values()
                if len(reports) == 1}


# -- the compact form a worker process sends a report in ------------------------------------
# Plain tuples of the fields in their declared order: pickled and sent, they cost a fraction
# of the models (whose nested findings each carry a dict and a set), and are rebuilt into the
# same models (same values, same JSON). Findings are rebuilt by make_finding (no validation
# again) and statuses through their validating constructor: in this pydantic, model_construct
# is slower than either (0.92 against 0.64 ms for a blank pack's 205 findings and 54 statuses
# through the constructors).

_LISTS = ("findings", "indicators", "answers")
_SCALARS = tuple(n for n in WorkbookReport.model_fields if n not in _LISTS)
_FINDING = tuple(Finding.model_fields)
_STATUS = tuple(IndicatorStatus.model_fields)
WireReport = tuple[tuple[Any, ...], tuple[tuple[Any, ...], ...], tuple[tuple[Any, ...], ...],
                   dict[str, Any] | None]


def to_wire(wb: WorkbookReport) -> WireReport:
    """A report as plain tuples (to_wire and from_wire round-trip it exactly)."""
    return (tuple(getattr(wb, n) for n in _SCALARS),
            tuple(tuple(getattr(f, n) for n in _FINDING) for f in wb.findings),
            tuple(tuple(getattr(s, n) for n in _STATUS) for s in wb.indicators),
            wb.answers)


def light_wire(wb: WorkbookReport) -> tuple[Any, ...]:
    """A report's fields other than its findings, indicator statuses and answers (what a
    batch's findings, totals and notes read)."""
    return tuple(getattr(wb, n) for n in _SCALARS)


_FIELDS = tuple(WorkbookReport.model_fields)
_LIGHT_SET = set(_SCALARS)  # shared: pydantic copies a fields-set before changing it


def from_light(scalars: tuple[Any, ...]) -> WorkbookReport:
    """The report light_wire gave: no findings, no indicator statuses, no answers. What
    WorkbookReport.model_construct(**those fields) gives, field for field, made without its
    per-field work (the parent makes one for every file of a folder as the workers send
    them)."""
    values = dict.fromkeys(_FIELDS)  # in the fields' order; answers stays None
    values.update(zip(_SCALARS, scalars, strict=True))
    values["findings"], values["indicators"] = [], []
    return assembled(WorkbookReport, values, _LIGHT_SET)


def from_wire(wire: WireReport) -> WorkbookReport:
    """The report to_wire gave."""
    scalars, findings, statuses, answers = wire
    fields = dict(zip(_SCALARS, scalars, strict=True))
    # A finding's wire tuple is in make_finding's order (Finding's fields, tested).
    fields["findings"] = [make_finding(*f) for f in findings]
    fields["indicators"] = [IndicatorStatus(**dict(zip(_STATUS, s, strict=True)))
                            for s in statuses]
    fields["answers"] = answers
    return WorkbookReport.model_construct(**fields)
