"""The review loop in text and tables: what changed in a resubmission, the batch's notes, and
units' review states (esps review show)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from rich.markup import escape

from esps_cli.io.safety import shown_path
from esps_cli.reports.text import FittedTable, Lines, Span
from esps_cli.validation.report import BatchReport, WorkbookReport

if TYPE_CHECKING:  # annotations only: validate's report does not load the register's models
    from esps_cli.register.models import ReviewChange
    from esps_cli.reports.render import Destination
    from esps_cli.workbook.upgrade import UpgradeReport

MAX_LISTED = 12  # changed indicators / findings listed per return before "and N more"


def _more(n: int) -> str:
    return f"    ... and {n - MAX_LISTED} more" if n > MAX_LISTED else ""


def change_lines(out: Lines, wb: WorkbookReport) -> None:
    """Under a return: which return of the unit it follows and what changed since."""
    if wb.superseded_by:
        out.add((f"  superseded by {wb.superseded_by}, a later return of the unit: this file "
                 "does not count", "dim"))
    if wb.set_aside:
        out.add((f"  set aside: {wb.set_aside}", "yellow"))
    if wb.received_as and wb.received_at is not None:
        out.add((f"  already received on {wb.received_at:%d/%m/%Y} as {wb.received_as}", "dim"))
    r = wb.resubmission
    if r is None:
        return
    when = f"{r.previous_received_at:%d/%m/%Y %H:%M} UTC"
    if r.identical:
        out.add((f"  Resubmission, identical to {r.previous_file} (received {when}): nothing "
                 "changed", "yellow"))
        return
    out.add("  ", (f"Changes since {r.previous_file}", "bold"),
            f" (received {when}): {len(r.indicators_changed)} indicator(s) changed, "
            f"{len(r.findings_fixed)} finding(s) fixed, {len(r.findings_new)} new")
    for change in r.indicators_changed[:MAX_LISTED]:
        out.add(f"    {change.indicator_id}: {', '.join(change.changed)}")
    if more := _more(len(r.indicators_changed)):
        out.add(more)
    for label, items in (("fixed", r.findings_fixed), ("new", r.findings_new)):
        for f in items[:MAX_LISTED]:
            where = f" {f.where}" if f.where else ""
            out.add(f"    {label:<5} ", (f"[{f.code}]", "dim"), f"{where}: {f.message}")
        if more := _more(len(items)):
            out.add(more)


def note_lines(out: Lines, batch: BatchReport) -> None:
    for note in [*batch.notes, *unread_notes(batch)]:
        out.add((note, "dim"))


def unread_notes(batch: BatchReport) -> list[str]:
    """A line for each subfolder holding workbooks that were not read (no --recursive)."""
    return [f"{shown_path(folder)} holds {held} workbook(s) that were not read: add "
            "--recursive to read subfolders too" for folder, held in batch.unread_folders]


# -- review states --------------------------------------------------------------------------

REVIEW_COLUMNS = ("cycle", "unit", "state", "set_by", "reason", "set_at", "return_file")


def review_rows(changes: Iterable[ReviewChange], files: dict[int, str]) -> list[list[Any]]:
    return [[c.cycle, c.unit, c.state, c.set_by, c.reason,
             c.set_at.isoformat(timespec="seconds"), files.get(c.return_id or 0, "")]
            for c in changes]


STATE_STYLE = {"approved": "green", "has-issues": "yellow", "rejected": "bold red",
               "resubmitted": "cyan", "received": ""}


def review_table(title: str, changes: list[ReviewChange], files: dict[int, str]
                 ) -> FittedTable:
    """The review states as a table that fits the console's width, names never cut mid-word.
    A reason that only repeats the return's file name is not said twice."""
    rows: list[list[Span]] = []
    for c in changes:
        file = files.get(c.return_id or 0, "")
        reason = "first return" if file and c.reason == f"first return: {file}" else c.reason
        rows.append([(c.unit, ""), (c.state, STATE_STYLE.get(c.state, "")), (c.set_by, ""),
                     (f"{c.set_at:%d/%m/%Y %H:%M}", ""), (file, ""), (reason, "")])
    return FittedTable(title, ("unit", "state", "by", "when (UTC)", "return", "reason"), rows)


# -- writers (the renderer table, reports/render.py) ----------------------------------------


def review_json(changes: list[ReviewChange], dest: Destination, *, files: dict[int, str],
                **_: Any) -> None:
    dest.write_json([{**c.model_dump(mode="json"), "return_file": files.get(c.return_id or 0, "")}
                     for c in changes])


def review_csv(changes: list[ReviewChange], dest: Destination, *, files: dict[int, str],
               **_: Any) -> None:
    dest.write_csv(REVIEW_COLUMNS, review_rows(changes, files))


def review_text(changes: list[ReviewChange], dest: Destination, *, files: dict[int, str],
                unit: str | None, cycle: str, **_: Any) -> None:
    """Each unit's current state, or (unit given) that unit's whole history."""
    if not changes:
        dest.console.print(f"No review states recorded for {unit or 'any unit'} in {cycle}.")
        return
    title = (f"Review history of {unit} ({cycle})" if unit
             else f"Review states ({cycle}): the latest of each unit")
    dest.console.print(review_table(title, changes, files))


def upgrades_text(reports: list[UpgradeReport], dest: Destination, **_: Any) -> None:
    """Each upgraded return: what was carried, and what needs the unit's attention."""
    from pathlib import Path

    console = dest.console
    for r in reports:
        carried = sum(1 for o in r.indicators if o.status in ("carried", "changed"))
        total = sum(1 for o in r.indicators if o.status != "removed")
        console.print(
            f"[green]{escape(Path(r.target).name)}[/green]: {escape(r.unit_code)} "
            f"{escape(r.unit_name)}, {r.from_cycle} ({r.from_version}) -> {r.to_cycle} "
            f"({r.to_version}): answers carried for {carried} of {total} indicators, "
            f"{r.evidence_carried} evidence row(s); shaded blue to re-confirm.")
        for o in r.attention:
            lost = f" Not carried: {', '.join(o.not_carried)}." if o.not_carried else ""
            console.print(f"  {o.indicator_id:<8} {o.status:<9} {escape(o.note)}."
                          f"{escape(lost)}")
        for line in r.evidence_not_carried:
            console.print(f"  not carried: {escape(line)}")
