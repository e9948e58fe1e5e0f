"""Validation with a register: sealed identity, returns remembered, resubmissions compared.

- `issued_packs` reads the workbooks the register says were issued, once per batch; the seal
  check gets them as data (pool workers never open the register).
- `ReturnHistory` is the batch's hook once every file is checked: with `record`, each return
  read is recorded (the first time it is seen: unit, cycle, file, sha256, findings, answers)
  and compared with the unit's return before it (what changed; an identical resubmission is a
  warning). Without `record` (summary, a reading command) it only looks the returns up.
- A return is its bytes: the same file under another path or name is the same return (not
  recorded again, no audit entry, no marked-up copy; "already received on DATE as PATH"). In a
  batch, a second file with the same bytes as another of its unit is set aside.
- The latest return of a unit counts. When several files of one unit and cycle are in the
  batch, the one first received last (a file not recorded yet counts as received now) is the
  unit's return; the older ones are marked superseded and do not count. Files received at the
  same moment (two new files in one run) stay a duplicate-return error: nobody can tell which
  is the later.
- A file that fails its identity (unreadable, identity-forged, pack-not-issued,
  identity-mismatch) never displaces one that passes: beside a return of its unit that passes,
  it is set aside (reported, not counted), however late it came. In the register it is
  recorded as what it is and changes no review state.
- Only returns of units on the units list are recorded (when there is one), and with
  `recordable` only the files it accepts (validate: those in the returns folder, unless
  --record).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from esps_cli.domain.units import Unit
from esps_cli.findings import IDENTICAL_RESUBMISSION, IDENTITY_FAILURES, finding
from esps_cli.validation.answers import (
    Resubmission,
    changed_indicators,
    compact_findings,
    finding_changes,
)
from esps_cli.validation.context import IssuedPacks
from esps_cli.validation.report import WorkbookReport

if TYPE_CHECKING:  # the register is imported only when one is configured (start-up time)
    from esps_cli.register import Register, RegisterLocation
    from esps_cli.register.models import ReturnRecord
    from esps_cli.register.review import Received

NO_REGISTER_NOTE = (
    "Sealed identity not checked and returns not recorded: no register is configured "
    "(--register, ESPS_REGISTER or `register` in esps.toml)."
)


def issued_packs(reg: Register) -> IssuedPacks:
    """Every workbook the register says was issued (all cycles: a copy of last cycle's
    workbook relabelled is caught too)."""
    from esps_cli.register.review import issued_workbooks

    return IssuedPacks.of([(w.pack_id, w.unit, w.cycle) for w in issued_workbooks(reg)])


def seal_notes(reports: Sequence[WorkbookReport], issued: IssuedPacks | None) -> list[str]:
    """The batch's one line on sealed identity, if any: not checked at all (no register), or
    not checked for the returns whose unit the register records no workbook issued to in
    their cycle (made without it)."""
    if issued is None:
        return [NO_REGISTER_NOTE]
    unsealed = [wb.file for wb in reports if wb.readable and wb.unit_code and wb.cycle
                and (wb.unit_code.casefold(), wb.cycle) not in issued.units]
    if not unsealed:
        return []
    shown = ", ".join(unsealed[:3]) + (f" and {len(unsealed) - 3} more" if len(unsealed) > 3
                                       else "")
    return [f"Sealed identity not checked for {len(unsealed)} return(s) whose unit the "
            f"register records no workbook issued to in that cycle (made without the "
            f"register): {shown}."]


def fails_identity(wb: WorkbookReport) -> bool:
    return not wb.readable or any(f.code in IDENTITY_FAILURES for f in wb.findings)


class ReturnHistory:
    """The batch hook: look up (and with record=True, record) each return in the register.
    recordable: which files may be recorded (by path); the others are only looked up."""

    def __init__(self, reg: Register, *, record: bool, cycle: str | None = None,
                 units: Sequence[Unit] | None = None,
                 recordable: Callable[[str], bool] | None = None):
        self.reg, self.record, self.cycle = reg, record, cycle
        self.codes = {u.code.casefold(): u.code for u in units or ()}
        self.recordable = recordable
        # Files read but not recorded, with record=True: outside what recordable accepts, and
        # of a unit not on the units list.
        self.outside: list[str] = []
        self.off_list: list[str] = []

    def _off_list(self, wb: WorkbookReport) -> bool:
        return bool(self.codes) and wb.unit_code.casefold() not in self.codes

    def _records(self, wb: WorkbookReport) -> bool:
        if not self.record or self._off_list(wb):
            return False  # a unit not on the list is never recorded as a return
        return self.recordable is None or self.recordable(wb.path)

    @property
    def needs_answers(self) -> bool:
        """Whether the reports must carry the answers read: only to record returns (and
        compare one with the one before); looking returns up needs none."""
        return self.record

    def _unit(self, wb: WorkbookReport) -> str:
        return self.codes.get(wb.unit_code.casefold(), wb.unit_code)

    def _record_of(self, wb: WorkbookReport, cycle: str) -> ReturnRecord:
        from esps_cli.register.models import ReturnRecord, now_utc
        from esps_cli.register.review import answers_digest

        answers = wb.answers or {}
        return ReturnRecord(
            cycle=cycle, unit=self._unit(wb), file=wb.file, sha256=wb.sha256,
            pack_id=wb.pack_id, received_at=now_utc(), readable=wb.readable,
            errors=wb.errors, warnings=wb.warnings, findings=compact_findings(wb.findings),
            answers=answers, answers_sha256=answers_digest(answers) if wb.readable else "")

    def __call__(self, reports: list[WorkbookReport]) -> list[WorkbookReport]:
        subjects = [(i, wb, wb.cycle or self.cycle or "") for i, wb in enumerate(reports)
                    if wb.unit_code and wb.sha256]
        subjects = [(i, wb, c) for i, wb, c in subjects if c]
        from esps_cli.register.review import first_received, receive_returns

        out = list(reports)
        recording = [s for s in subjects if self._records(s[1])]
        looking = [s for s in subjects if not self._records(s[1])]
        if self.record:
            self.off_list = [wb.file for _i, wb, _c in looking if self._off_list(wb)]
            self.outside = [wb.file for _i, wb, _c in looking if not self._off_list(wb)]
        if recording:
            received = receive_returns(
                self.reg, [self._record_of(wb, c) for _i, wb, c in recording])
            for (i, wb, _c), got in zip(recording, received, strict=True):
                out[i] = _with_history(wb, got)
        first = {c: first_received(self.reg, c) for c in {c for _i, _wb, c in looking}}
        for i, wb, c in looking:
            file, at = first[c].get((self._unit(wb), wb.sha256), ("", None))
            out[i] = wb.model_copy(update={
                "received_at": at, "received_as": file if file and file != wb.file else ""})
        return supersede(out, self.cycle)


def _with_history(wb: WorkbookReport, got: Received) -> WorkbookReport:
    update: dict[str, object] = {"received_at": got.record.received_at}
    if got.record.file != wb.file:  # these bytes were received before, under another path
        update["received_as"] = got.record.file
    prev = got.previous
    if prev is not None:
        identical = ("file" if prev.sha256 == wb.sha256 else
                     "answers" if wb.readable and prev.readable
                     and prev.answers_sha256 == got.record.answers_sha256 else "")
        fixed, new = finding_changes(prev.findings, compact_findings(wb.findings))
        update["resubmission"] = Resubmission(
            previous_file=prev.file, previous_received_at=prev.received_at,
            identical=identical,
            indicators_changed=changed_indicators(prev.answers, wb.answers or {}),
            findings_fixed=fixed, findings_new=new)
        if identical:
            what = "the same file contents" if identical == "file" else \
                "the same answers, although the file differs"
            warning = finding(
                IDENTICAL_RESUBMISSION, wb.file,
                f"this return of {wb.unit_code} is identical to its previous return "
                f"{prev.file} (received {prev.received_at:%d/%m/%Y %H:%M} UTC): {what}")
            update["findings"] = [*wb.findings, warning]
            update["warnings"] = wb.warnings + 1
    return wb.model_copy(update=update)


def supersede(reports: list[WorkbookReport], cycle: str | None = None) -> list[WorkbookReport]:
    """Set aside copies and failed identities, and mark the older files of a unit superseded
    by its latest return (see the module)."""
    groups: dict[tuple[str, str], list[int]] = {}
    for i, wb in enumerate(reports):
        if wb.unit_code:
            groups.setdefault((wb.unit_code.casefold(), wb.cycle or cycle or ""), []).append(i)
    out = list(reports)
    for members in groups.values():
        if len(members) < 2:
            continue
        members = _set_aside_copies(out, members)
        members = _set_aside_failed_identities(out, members)
        _supersede_older(out, members)
    return out


def _set_aside_copies(out: list[WorkbookReport], members: list[int]) -> list[int]:
    """The same bytes twice are one return: the file received under its own path (else the
    first) stays, the others are set aside. Returns the members left."""
    by_sha: dict[str, list[int]] = {}
    for i in members:
        by_sha.setdefault(out[i].sha256 or f"#{i}", []).append(i)
    left = []
    for same in by_sha.values():
        keep = next((i for i in same if out[i].received_at and not out[i].received_as), same[0])
        left.append(keep)
        for i in same:
            if i != keep:
                out[i] = out[i].model_copy(update={"set_aside": (
                    f"the same file as {out[keep].file} (the same bytes): one return, counted "
                    "once")})
    return sorted(left)


def _set_aside_failed_identities(out: list[WorkbookReport], members: list[int]) -> list[int]:
    """Beside a file of the unit that passes its identity, those that fail are set aside."""
    passing = [i for i in members if not fails_identity(out[i])]
    if not passing or len(passing) == len(members):
        return members
    names = ", ".join(out[i].file for i in passing)
    for i in members:
        if i not in passing:
            why = "cannot be read" if not out[i].readable else "fails its identity check"
            out[i] = out[i].model_copy(update={"set_aside": (
                f"this file {why}, so it does not replace the unit's return ({names}), "
                "however late it came")})
    return passing


def _supersede_older(out: list[WorkbookReport], members: list[int]) -> None:
    if len(members) < 2:
        return
    far_future = datetime.max.replace(tzinfo=UTC)
    when = {i: out[i].received_at or far_future for i in members}
    latest = max(when.values())
    newest = [i for i in members if when[i] == latest]
    if len(newest) > 1:
        return  # received together: still a duplicate return
    keep = out[newest[0]].file
    for i in members:
        if i != newest[0]:
            out[i] = out[i].model_copy(update={"superseded_by": keep})


def inside_folder(folder: Path) -> Callable[[str], bool]:
    """Whether a path lies in folder (or its subfolders), links resolved."""
    root = folder.resolve()

    def inside(path: str) -> bool:
        return Path(path).resolve().is_relative_to(root)

    return inside


def not_recorded_notes(history: ReturnHistory | None, folder: Path | None) -> list[str]:
    """One line per reason files were read but not recorded as returns."""
    if history is None:
        return []
    notes = []
    if history.outside:
        notes.append(f"Not recorded as returns: {_listed(history.outside)}: outside the returns "
                     f"folder {folder}; add --record to record them.")
    if history.off_list:
        notes.append(f"Not recorded as returns: {_listed(history.off_list)}: their unit is not "
                     "on the units list.")
    return notes


def _listed(files: list[str]) -> str:
    return ", ".join(files[:3]) + (f" and {len(files) - 3} more" if len(files) > 3 else "")


@dataclass
class ReviewLoop:
    """What a batch gets from the register: the workbooks issued and the return history
    (both None without a register)."""

    issued: IssuedPacks | None = None
    history: ReturnHistory | None = None


@contextmanager
def review_loop(location: RegisterLocation | None, *, record: bool, cycle: str | None = None,
                units: Sequence[Unit] | None = None,
                recordable: Callable[[str], bool] | None = None) -> Iterator[ReviewLoop]:
    """Open the register for a batch (record=True: validate records returns in it; False: a
    reading command, and a register that does not exist yet is as good as none)."""
    if location is None:
        yield ReviewLoop()
        return
    from esps_cli.register import Register, RegisterNotFound

    try:
        reg = Register.open(location, create=record, creates=record)
    except RegisterNotFound:
        yield ReviewLoop()
        return
    with reg:
        yield ReviewLoop(issued_packs(reg),
                         ReturnHistory(reg, record=record, cycle=cycle, units=units,
                                       recordable=recordable))
