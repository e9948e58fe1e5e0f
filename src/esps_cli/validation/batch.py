"""Validating a batch: files, folders and globs, in parallel for large batches, with the
batch findings a units list makes possible (units not returned, duplicate returns, returns for
units not on the list) and the totals.

One file never stops a batch: a file whose check fails, or whose worker process dies, is a
`check-failed` finding for that file and the others are still validated.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from esps_cli.domain.framework import Cycle, Framework
from esps_cli.domain.units import Unit
from esps_cli.findings import (
    DUPLICATE_RETURN,
    FOLDER_UNREADABLE,
    UNIT_NOT_ON_LIST,
    UNIT_NOT_RETURNED,
    Finding,
    finding,
)
from esps_cli.io.batch import Discovered, discover, parallel_imap, resolve_jobs
from esps_cli.io.output import list_item_json
from esps_cli.validation.attribution import attribute_unreadable
from esps_cli.validation.cache import (
    Found,
    cache_keys,
    cache_notes,
    lookup,
    merge,
    remember,
    summarised,
)
from esps_cli.validation.context import IssuedPacks
from esps_cli.validation.report import (
    BatchReport,
    BatchTotals,
    SkippedFile,
    UnitRef,
    WireReport,
    WorkbookReport,
    from_light,
    from_wire,
    light_wire,
    to_wire,
)
from esps_cli.validation.returns import seal_notes
from esps_cli.validation.validate import failed_report, validate_workbook

if TYPE_CHECKING:  # the register is opened only by commands that have one
    from esps_cli.register import Register

# Worker state: the framework and options are sent to each process once.
_WORKER: dict[str, Any] = {}


def _init_worker(framework: Framework, options: dict[str, Any],
                 units: list[Unit] | None = None, cycle_id: str | None = None) -> None:
    _WORKER["framework"] = framework
    _WORKER["options"] = options
    _WORKER["units"] = units
    _WORKER["cycle_id"] = cycle_id


def _check(job: tuple[str, str]) -> WorkbookReport:
    path, name = job
    return validate_workbook(Path(path), _WORKER["framework"], name=name, **_WORKER["options"])


def _validate_job(job: tuple[str, str]) -> WireReport:
    """One file checked in a worker, sent back as plain tuples (report.to_wire)."""
    return to_wire(_check(job))


def _failed_wire(job: tuple[str, str], error: str) -> WireReport:
    return to_wire(failed_job(job, error))


def failed_job(job: tuple[str, str], error: str) -> WorkbookReport:
    """A job whose check raised or whose worker process died: one check-failed finding."""
    path, name = job
    return failed_report(path, name, error)


# What a file streamed to the JSON output sends back: its fields other than findings and
# indicator statuses (report.light_wire), and its JSON as the report's list item.
Streamed = tuple[tuple[Any, ...], bytes]


def _streamed(report: WorkbookReport, units: list[Unit] | None,
              cycle_id: str | None) -> Streamed:
    (report,) = attribute_unreadable([report], units, cycle_id)
    return light_wire(report), list_item_json(report)


def _stream_job(job: tuple[str, str]) -> Streamed:
    return _streamed(_check(job), _WORKER["units"], _WORKER["cycle_id"])


class WorkbookSink(Protocol):
    """Where a streamed batch writes each workbook's JSON as it is checked (in file order):
    `start` with the batch's fields known before any workbook, `item` for each workbook."""

    def start(self, model: BatchReport) -> None: ...

    def item(self, piece: bytes) -> None: ...


ProgressCallback = Callable[[int, int], None]
# What runs on the checked reports before the batch findings (the register's return history).
ReportsHook = Callable[[list[WorkbookReport]], list[WorkbookReport]]


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
    issued: IssuedPacks | None = None,
    history: ReportsHook | None = None,
    cache: Register | None = None,
    answers: bool | None = None,
    sink: WorkbookSink | None = None,
    for_summary: bool = False,
) -> BatchReport:
    """Validate files, folders (recursive: and their subfolders) and globs.

    Lock files are skipped and non-spreadsheet files ignored (both listed in `skipped`); every
    other file gets a WorkbookReport, in sorted order, whatever is wrong with it. With a units
    list, units with no return, two or more returns, and returns for units not on the list are
    batch findings. on_progress(done, total) is called as workbooks are checked.
    exclude: files never to validate (e.g. the report being written into the same folder).
    discovered: files already found by `batch.discover` (then paths and recursive are unused).
    issued: the workbooks issued (from the register), for the sealed identity check.
    history: run on the reports before the batch findings (validation.returns.ReturnHistory:
    records returns, compares resubmissions, marks superseded files).
    cache: a register whose validation cache gives the report of a file checked before with
    the same bytes, place, framework, esps and options (`validation.cache`); the others are
    validated and stored in it. Not used with check_evidence (that looks at other files).
    answers: whether each report carries the answers read (WorkbookReport.answers, which the
    history hook compares); default: when the history hook needs them (its `needs_answers`,
    else whenever there is one).
    sink: write each workbook's JSON to it as it is checked, in file order
    (io.output.JsonListStream), and keep only light reports (report.from_light: no findings,
    indicator statuses or answers) in the batch returned, so that memory does not grow with
    the findings; not with history or cache.
    for_summary: the reports as a summary reads them (WorkbookReport.for_summary: counts,
    statuses and indicators, not the findings it does not look at); cached ones are read from
    the entry the cache keeps for a summary, so memory and time do not grow with findings.
    """
    today = today or date.today()
    found = discovered or discover(paths, recursive=recursive, exclude=exclude)
    jobs_n = resolve_jobs(jobs)
    if answers is None:
        answers = history is not None and getattr(history, "needs_answers", True)
    options = {"today": today, "check_evidence": check_evidence, "cycle": cycle,
               "issued": issued, "answers": answers}
    work = [(str(f.path), f.name) for f in found.files]
    cycle_id = cycle.id if cycle else None
    use_cache = cache is not None and not check_evidence  # evidence checks look at other files
    found_cached = Found()
    if sink is not None:
        if history is not None or cache is not None:
            raise ValueError("a streamed batch has no register history or cache")
        sink.start(BatchReport(framework_id=framework.meta.id,
                               framework_version=framework.meta.version, cycle=cycle_id,
                               checked_on=today))
        reports = _stream(work, framework, options, jobs_n, on_progress, sink, units, cycle_id)
    else:
        keys = cache_keys(work, framework, options) if use_cache else []
        found_cached = lookup(cache, keys, work, summary=for_summary) \
            if cache is not None and use_cache else Found()
        known = found_cached.known
        fresh = (from_wire(w) for w in parallel_imap(
            _validate_job, [job for i, job in enumerate(work) if i not in known],
            jobs=jobs_n, initializer=_init_worker, initargs=(framework, options),
            on_progress=on_progress, on_error=_failed_wire))
        cache_to = cache if use_cache else None
        if for_summary:  # stored as they come, kept as a summary reads them
            reports = summarised(cache_to, framework, [ks for i, ks in enumerate(keys)
                                                       if i not in known],
                                 fresh, today, found_cached.statuses)
        else:
            reports = list(fresh)
            if cache_to is not None:
                remember(cache_to, framework, keys, known, reports, today)
        reports = merge(known, reports)
        # A file that cannot be read is still its unit's return when its name says whose it
        # is.
        reports = attribute_unreadable(reports, units, cycle_id)
        if history is not None:
            reports = history(reports)
    batch = _batch(framework, cycle_id, today, reports, found, units)
    batch.notes = seal_notes(reports, issued) + cache_notes(found_cached)
    if use_cache:
        batch.totals.cached = len(found_cached.known)
    return batch


def _stream(work: list[tuple[str, str]], framework: Framework, options: dict[str, Any],
            jobs: int, on_progress: ProgressCallback | None, sink: WorkbookSink,
            units: list[Unit] | None, cycle_id: str | None) -> list[WorkbookReport]:
    """Check the files, each one's JSON to the sink as it comes (in file order); the reports
    kept are light (report.from_light): the parent's memory does not grow with the findings."""

    def failed(job: tuple[str, str], error: str) -> Streamed:
        return _streamed(failed_job(job, error), units, cycle_id)

    light = []
    for scalars, piece in parallel_imap(
            _stream_job, work, jobs=jobs, initializer=_init_worker,
            initargs=(framework, options, units, cycle_id), on_progress=on_progress,
            on_error=failed):
        sink.item(piece)
        light.append(from_light(scalars))
    return light


def _batch(framework: Framework, cycle_id: str | None, today: date,
           reports: list[WorkbookReport], found: Discovered,
           units: list[Unit] | None) -> BatchReport:
    """The batch report of the checked reports: batch findings, units not returned, totals."""
    batch = BatchReport(
        framework_id=framework.meta.id,
        framework_version=framework.meta.version,
        cycle=cycle_id,
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
    batch.unread_folders = [(str(folder), held) for folder, held in found.unread]
    return batch


def _return_key(wb: WorkbookReport) -> tuple[str, str]:
    return (wb.unit_code.casefold(), wb.cycle)


def _against_units(reports: list[WorkbookReport], units: list[Unit] | None) -> list[Finding]:
    findings: list[Finding] = []
    by_key: dict[tuple[str, str], list[WorkbookReport]] = {}
    for wb in reports:
        if wb.unit_code and wb.counts:
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
        if wb.superseded_by:  # replaced by a later return of its unit: does not count
            t.superseded += 1
            continue
        if wb.set_aside:  # a copy of another file, or failed its identity: does not count
            t.set_aside += 1
            continue
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
    keys = Counter(_return_key(wb) for wb in batch.workbooks if wb.unit_code and wb.counts)
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
