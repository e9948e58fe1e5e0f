"""Which validations a register's cache already holds, and storing the new ones.

A report is found again only when everything it depends on is the same: the file's bytes
(sha256), its place and the name findings give it, the framework (id, version, content digest),
this esps-cli (its version and a fingerprint of the code that validates) and the options that
change findings (the expected cycle, the workbooks issued). The date checks run as of matters
only to a return with no Cover date before it (its submission date is then that date) or a
Cover date after it; such a report is kept for that date alone, any other for every date.
Each entry keeps beside the report the report as a summary reads it (without the findings a
summary does not look at): `esps summary` reads that, `esps validate` the whole report.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from esps_cli import __version__
from esps_cli.domain.framework import Framework
from esps_cli.findings import CHECK_FAILED, DATE_IN_FUTURE
from esps_cli.validation.context import IssuedPacks
from esps_cli.validation.report import StatusPool, WorkbookReport

if TYPE_CHECKING:
    from esps_cli.register import Register

# (file sha256, key for any date, key for the date checked as of), or None when unreadable
Keys = tuple[str, str, str] | None
_CODE = ("domain", "findings", "io", "validation", "workbook")


@cache
def code_fingerprint() -> str:
    """The validating code's files (name, size, modification time): an edited checkout (whose
    version number stays the same) does not find the reports of the code before."""
    root = Path(__file__).resolve().parent.parent
    parts = [__version__]
    for package in _CODE:
        for path in sorted((root / package).rglob("*.py")):
            stat = path.stat()
            parts.append(f"{path.relative_to(root)}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _sha256(path: str) -> str | None:
    try:
        with open(path, "rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except OSError:
        return None


def framework_label(framework: Framework) -> str:
    return f"{framework.meta.id} {framework.meta.version} {framework.digest}"


def cache_keys(work: list[tuple[str, str]], framework: Framework,
               options: dict[str, Any]) -> list[Keys]:
    """The keys of each (path, name) job, in order."""
    cycle = options.get("cycle")
    today: date = options["today"]
    common = [framework_label(framework), code_fingerprint(), cycle.id if cycle else None,
              _issued_digest(options.get("issued"))]
    out: list[Keys] = []
    for path, name in work:
        sha = _sha256(path)
        if sha is None:
            out.append(None)  # validation says why it cannot be read
            continue
        base = json.dumps([sha, path, name, *common])
        out.append((sha, _digest(base, ""), _digest(base, today.isoformat())))
    return out


def _issued_digest(issued: IssuedPacks | None) -> str | None:
    """The workbooks issued (the sealed identity check's data): a pack issued since misses."""
    if issued is None:
        return None
    return hashlib.sha256(json.dumps(sorted(issued.by_pack.items())).encode()).hexdigest()


def _digest(base: str, as_of: str) -> str:
    return hashlib.sha256(f"{base}|{as_of}".encode()).hexdigest()


class Found:
    """What the cache gave: reports by the job's position, and the files whose entry was not
    used because it did not match what was stored or what the audit chain recorded."""

    def __init__(self) -> None:
        self.known: dict[int, WorkbookReport] = {}
        self.statuses: StatusPool = {}  # with summary: indicator statuses shared between reports
        self.changed: list[str] = []  # the entry was edited since it was stored
        # The entry disagrees with the return on record: not used, and not reported (a return
        # recorded by validate with other options, or on another day, may rightly differ).
        self.unmatched: list[str] = []


def lookup(register: Register, keys: list[Keys], work: list[tuple[str, str]], *,
           summary: bool = False) -> Found:
    """The reports the cache holds that can be trusted, by the job's position (see Found).
    summary: as a summary reads them (WorkbookReport.for_summary), from the entry kept for it."""
    from esps_cli.register.cache import cached_reports

    texts, changed = cached_reports(register, [k for ks in keys if ks for k in ks[1:]],
                                    summary=summary)
    recorded = _recorded(register, {ks[0] for ks in keys if ks})
    out = Found()
    for i, ks in enumerate(keys):
        if not ks:
            continue
        if changed & {ks[1], ks[2]}:
            out.changed.append(work[i][1])
            continue
        text = texts.get(ks[1]) or texts.get(ks[2])
        if not text:
            continue
        try:
            report = WorkbookReport.model_validate_json(text)
        except ValueError:  # a damaged entry is a miss (pydantic's errors too)
            continue
        on_record = recorded.get(ks[0])
        if report.sha256 != ks[0] or (on_record and (
                report.readable, report.errors, report.warnings) not in on_record):
            out.unmatched.append(work[i][1])
            continue
        out.known[i] = report.for_summary(out.statuses) if summary else report
    return out


def _recorded(register: Register, hashes: set[str]) -> dict[str, set[tuple[bool, int, int]]]:
    """What the audit chain's returns say of files with these hashes: (readable, errors,
    warnings) as recorded, by file sha256."""
    from esps_cli.register.cache import recorded_outcomes

    return recorded_outcomes(register, hashes)


def cache_notes(found: Found) -> list[str]:
    """The batch's lines on cache entries not used (never shown as results)."""
    notes = []
    if found.changed:
        notes.append(f"Validation cache: the stored result of {_listed(found.changed)} was "
                     "changed in the register after it was stored, so it was not used (the "
                     "file was checked again); run `esps register check` and `esps log "
                     "--verify`.")
    return notes


def _listed(files: list[str]) -> str:
    return ", ".join(files[:3]) + (f" and {len(files) - 3} more" if len(files) > 3 else "")


def merge(known: dict[int, WorkbookReport], fresh: list[WorkbookReport]
          ) -> list[WorkbookReport]:
    """The cached and the freshly validated reports back in the jobs' order."""
    rest = iter(fresh)
    return [known[i] if i in known else next(rest) for i in range(len(known) + len(fresh))]


def depends_on_date(report: WorkbookReport, today: date) -> bool:
    """Whether the date checks ran as of could change this report: its submission date is
    that date (no earlier Cover date) or a Cover date is after it."""
    if not report.readable:
        return False  # the reader uses no date
    if report.submission_date is None or report.submission_date >= today:
        return True
    return any(f.code == DATE_IN_FUTURE.code for f in report.findings)


def remember(register: Register, framework: Framework, keys: list[Keys],
             known: dict[int, WorkbookReport], fresh: list[WorkbookReport],
             today: date) -> None:
    """Store the freshly validated reports (not those whose checking failed: that may pass
    another time)."""
    from esps_cli.register.cache import store_reports

    missed = [ks for i, ks in enumerate(keys) if i not in known]
    store_reports(register, _rows(framework, zip(missed, fresh, strict=True), today))


def _rows(framework: Framework, keyed: Iterable[tuple[Keys, WorkbookReport]], today: date
          ) -> list[tuple[str, str, str, str, str, str]]:
    rows = []
    for ks, report in keyed:
        if ks is None or any(f.code == CHECK_FAILED.code for f in report.findings):
            continue
        key = ks[2] if depends_on_date(report, today) else ks[1]
        rows.append((key, ks[0], framework_label(framework), __version__,
                     report.model_dump_json(), report.for_summary().model_dump_json()))
    return rows


def summarised(register: Register | None, framework: Framework, missed: list[Keys],
               fresh: Iterable[WorkbookReport], today: date, statuses: StatusPool, *,
               chunk: int = 100) -> list[WorkbookReport]:
    """The freshly validated reports as a summary reads them (WorkbookReport.for_summary),
    each stored whole in the cache (register, if any; missed: their keys) a chunk at a time as
    they come: a first summary of 1,000 blank returns never holds 200,000 findings at once."""
    from esps_cli.register.cache import store_reports

    out: list[WorkbookReport] = []
    pending: list[WorkbookReport] = []

    def flush() -> None:
        if register is not None:
            done = len(out)
            store_reports(register, _rows(
                framework, zip(missed[done:done + len(pending)], pending, strict=True), today))
        out.extend(r.for_summary(statuses) for r in pending)
        pending.clear()

    for report in fresh:
        pending.append(report)
        if len(pending) == chunk:
            flush()
    flush()
    return out

