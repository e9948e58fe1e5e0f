"""Validation with a register: sealed identity, returns remembered, resubmissions compared.

- `issued_packs` reads the workbooks the register says were issued, once per batch; the seal
  check gets them as data (pool workers never open the register).
- `ReturnHistory` is the batch's hook once every file is checked: with `record`, each return
  read is recorded (the first time it is seen: unit, cycle, file, sha256, findings, answers)
  and compared with the unit's return before it (what changed; an identical resubmission is a
  warning). Without `record` (summary, a reading command) it only looks the returns up.
- The latest return of a unit counts. When several files of one unit and cycle are in the
  batch, the one first received last (a file not recorded yet counts as received now) is the
  unit's return; the older ones are marked superseded and do not count. Files received at the
  same moment (two new files in one run) stay a duplicate-return error: nobody can tell which
  is the later.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from esps_cli.domain.units import Unit
from esps_cli.findings import IDENTICAL_RESUBMISSION, finding
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


class ReturnHistory:
    """The batch hook: look up (and with record=True, record) each return in the register."""

    def __init__(self, reg: Register, *, record: bool, cycle: str | None = None,
                 units: Sequence[Unit] | None = None):
        self.reg, self.record, self.cycle = reg, record, cycle
        self.codes = {u.code.casefold(): u.code for u in units or ()}

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
        from esps_cli.register.review import receive_returns, returns_of

        out = list(reports)
        if self.record:
            received = receive_returns(
                self.reg, [self._record_of(wb, c) for _i, wb, c in subjects])
            for (i, wb, _c), got in zip(subjects, received, strict=True):
                out[i] = _with_history(wb, got)
        else:
            recorded: dict[tuple[str, str, str, str], datetime] = {}
            for cycle in {c for _i, _wb, c in subjects}:
                for rec in returns_of(self.reg, cycle):
                    recorded.setdefault((cycle, rec.unit, rec.sha256, rec.file), rec.received_at)
            for i, wb, c in subjects:
                at = recorded.get((c, self._unit(wb), wb.sha256, wb.file))
                out[i] = wb.model_copy(update={"received_at": at})
        return supersede(out, self.cycle)


def _with_history(wb: WorkbookReport, got: Received) -> WorkbookReport:
    update: dict[str, object] = {"received_at": got.record.received_at}
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
    """Mark the older files of a unit superseded by its latest return (see the module)."""
    groups: dict[tuple[str, str], list[int]] = {}
    for i, wb in enumerate(reports):
        if wb.unit_code:
            groups.setdefault((wb.unit_code.casefold(), wb.cycle or cycle or ""), []).append(i)
    out = list(reports)
    far_future = datetime.max.replace(tzinfo=UTC)
    for members in groups.values():
        if len(members) < 2:
            continue
        when = {i: reports[i].received_at or far_future for i in members}
        latest = max(when.values())
        newest = [i for i in members if when[i] == latest]
        if len(newest) > 1:
            continue  # received together: still a duplicate return
        keep = reports[newest[0]].file
        for i in members:
            if i != newest[0]:
                out[i] = out[i].model_copy(update={"superseded_by": keep})
    return out


@dataclass
class ReviewLoop:
    """What a batch gets from the register: the workbooks issued and the return history
    (both None without a register)."""

    issued: IssuedPacks | None = None
    history: ReturnHistory | None = None


@contextmanager
def review_loop(location: RegisterLocation | None, *, record: bool, cycle: str | None = None,
                units: Sequence[Unit] | None = None) -> Iterator[ReviewLoop]:
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
                         ReturnHistory(reg, record=record, cycle=cycle, units=units))
