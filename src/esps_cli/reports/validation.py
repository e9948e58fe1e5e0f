"""Rendering validation reports: text for people, JSON and CSV for machines, and a report
workbook analysts can sort and filter.

JSON is exactly `BatchReport.model_dump(mode="json")`; CSV has one row per finding; the
workbook has a Summary sheet (one row per return, and one per unit that has not returned), a
Findings sheet (one row per finding), and Skipped and Totals sheets.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from esps_cli.findings import (
    DUPLICATE_RETURN,
    UNIT_NOT_ON_LIST,
    UNIT_NOT_RETURNED,
    Code,
    Finding,
    catalogue,
)
from esps_cli.io.output import csv_text, save_workbook
from esps_cli.validation.report import BatchReport, WorkbookReport

FINDING_COLUMNS = ("file", "unit_code", "severity", "code", "sheet", "cell", "indicator_id",
                   "message", "hint")
SEVERITY_STYLE = {"error": "bold red", "warning": "yellow"}


def workbook_status(wb: WorkbookReport, batch: BatchReport) -> str:
    """A one-word status, plus what the units list says about the file."""
    status = "unreadable" if not wb.readable else ("valid" if wb.valid else "invalid")
    flags = [label for code, label in ((DUPLICATE_RETURN.code, "duplicate return"),
                                       (UNIT_NOT_ON_LIST.code, "not on units list"))
             if any(f.code == code and f.file == wb.file for f in batch.findings)]
    return "; ".join([status, *flags])


def _where(f: Finding) -> str:
    if not f.sheet:
        return ""
    return f"{f.sheet}!{f.cell}" if f.cell else f.sheet


# -- text ---------------------------------------------------------------------------------


def print_text(batch: BatchReport, console: Console, *, errors_only: bool = False) -> None:
    """Findings grouped by file, with how to fix them; then the batch summary and totals."""
    by_file: dict[str, list[Finding]] = {}
    for f in batch.findings:
        if f.file:
            by_file.setdefault(f.file, []).append(f)
    for wb in batch.workbooks:
        _print_workbook(wb, batch, by_file.get(wb.file, []), console, errors_only)
    if len(batch.workbooks) > 1:
        _print_table(batch, console)
    _print_units(batch, console)
    _print_skipped(batch, console)
    _print_totals(batch, console)


def _print_workbook(wb: WorkbookReport, batch: BatchReport, extra: list[Finding],
                    console: Console, errors_only: bool) -> None:
    status = workbook_status(wb, batch)
    style = "green" if status == "valid" else "bold red"
    unit = f"{wb.unit_code} {wb.unit_name}".strip() or "unknown unit"
    counts = f"{wb.errors} error(s), {wb.warnings} warning(s)"
    minimum = ""
    if wb.indicators_total:
        minimum = (f"; {wb.indicators_met}/{wb.indicators_total} indicators meet the minimum "
                   f"(evidence completeness {wb.evidence_completeness_pct:g}%)")
    console.print(f"[bold]{escape(wb.file)}[/bold] ({escape(unit)}"
                  f"{', ' + escape(wb.cycle) if wb.cycle else ''}): "
                  f"[{style}]{escape(status.upper())}[/{style}], {counts}{minimum}",
                  soft_wrap=True)
    findings = [f for f in [*wb.findings, *extra]
                if not (errors_only and f.severity == "warning")]
    hints: dict[str, str] = {}
    for f in findings:
        sev = SEVERITY_STYLE[f.severity]
        where = _where(f)
        ind = f"{f.indicator_id}: " if f.indicator_id and f.indicator_id not in f.message else ""
        console.print(
            f"  [{sev}]{f.severity:<7}[/{sev}] {escape(where):<16} {escape(ind)}"
            f"{escape(f.message)} [dim]\\[{f.code}][/dim]",
            soft_wrap=True,
        )
        if f.hint:
            hints.setdefault(f.hint, f.code)
    if hints:
        console.print("  [bold]How to fix:[/bold]")
        for hint, code in hints.items():
            console.print(f"    [dim]{code}:[/dim] {escape(hint)}", soft_wrap=True)
    console.print()


def _print_table(batch: BatchReport, console: Console) -> None:
    table = Table(title="Returns", box=box.SIMPLE_HEAD, pad_edge=False,
                  caption="met: indicators meeting their minimum; evid %: evidence completeness")
    table.add_column("file", overflow="fold")
    table.add_column("unit", no_wrap=True)
    table.add_column("status", overflow="fold")
    for header in ("errors", "warn", "met", "evid %"):
        table.add_column(header, justify="right", no_wrap=True)
    for wb in batch.workbooks:
        status = workbook_status(wb, batch).replace("duplicate return", "duplicate").replace(
            "not on units list", "not listed")
        style = "green" if status == "valid" else "red"
        table.add_row(
            escape(wb.file), escape(wb.unit_code),
            f"[{style}]{escape(status)}[/{style}]", str(wb.errors), str(wb.warnings),
            f"{wb.indicators_met}/{wb.indicators_total}" if wb.indicators_total else "",
            f"{wb.evidence_completeness_pct:g}" if wb.indicators_total else "",
        )
    console.print(table)


def _print_units(batch: BatchReport, console: Console) -> None:
    if batch.not_returned:
        console.print(f"[bold red]Not returned ({len(batch.not_returned)}):[/bold red]")
        for unit in batch.not_returned:
            console.print(f"  {escape(unit.code)} {escape(unit.name)} "
                          f"[dim]({escape(unit.business_group)})[/dim]", soft_wrap=True)
    duplicates: dict[tuple[str, str], list[WorkbookReport]] = {}
    flagged = {f.file for f in batch.findings if f.code == DUPLICATE_RETURN.code}
    for wb in batch.workbooks:
        if wb.file in flagged:
            duplicates.setdefault((wb.unit_code, wb.cycle), []).append(wb)
    if duplicates:
        console.print(f"[bold red]Duplicate returns, none chosen ({len(duplicates)} "
                      "unit(s)):[/bold red]")
        for (code, cyc), reports in duplicates.items():
            console.print(f"  {escape(code)} {escape(reports[0].unit_name)} ({escape(cyc)}): "
                          f"{escape(', '.join(r.file for r in reports))}", soft_wrap=True)
    not_listed = [f for f in batch.findings if f.code == UNIT_NOT_ON_LIST.code]
    if not_listed:
        console.print(f"[bold red]Returns for units not on the units list "
                      f"({len(not_listed)}):[/bold red]")
        for f in not_listed:
            console.print(f"  {escape(f.message)}", soft_wrap=True)


def _print_skipped(batch: BatchReport, console: Console) -> None:
    unreadable = [s for s in batch.skipped if s.kind == "unreadable"]
    if unreadable:
        console.print(f"[bold red]Folders that could not be read ({len(unreadable)}):[/bold red]")
        for s in unreadable:
            console.print(f"  {escape(s.path)}: {escape(s.reason)} [folder-unreadable]",
                          soft_wrap=True)
    for kind, title in (("lock", "Skipped lock files"), ("ignored", "Not checked")):
        items = [s for s in batch.skipped if s.kind == kind]
        if items:
            console.print(f"[dim]{title} ({len(items)}):[/dim]")
            for s in items:
                console.print(f"[dim]  {escape(s.path)}: {escape(s.reason)}[/dim]",
                              soft_wrap=True)


def totals_line(batch: BatchReport) -> str:
    t = batch.totals
    parts = [f"{t.files} workbook(s): {t.valid} valid, {t.invalid} invalid"
             + (f" ({t.unreadable} unreadable)" if t.unreadable else "")]
    if t.units_expected is not None:
        parts.append(f"{t.units_returned} of {t.units_expected} units returned, "
                     f"{t.units_not_returned} not returned")
    if t.duplicate_returns:
        parts.append(f"{t.duplicate_returns} unit(s) with duplicate returns")
    if t.not_on_list:
        parts.append(f"{t.not_on_list} return(s) for units not on the list")
    parts.append(f"{t.errors} error(s), {t.warnings} warning(s)")
    if t.lock_files or t.ignored:
        parts.append(f"{t.lock_files} lock file(s) skipped, {t.ignored} file(s) ignored")
    return "; ".join(parts) + "."


def _print_totals(batch: BatchReport, console: Console) -> None:
    style = "green" if batch.ok else "bold red"
    console.print(f"[{style}]{'OK' if batch.ok else 'PROBLEMS FOUND'}[/{style}]: "
                  f"{escape(totals_line(batch))}", soft_wrap=True)


# -- CSV ----------------------------------------------------------------------------------


def finding_rows(batch: BatchReport, *, errors_only: bool = False) -> Iterable[list[Any]]:
    codes = {wb.file: wb.unit_code for wb in batch.workbooks}
    for f in batch.all_findings():
        if errors_only and f.severity == "warning":
            continue
        yield [f.file, codes.get(f.file, ""), f.severity, f.code, f.sheet, f.cell,
               f.indicator_id, f.message, f.hint]


def findings_csv(batch: BatchReport, *, errors_only: bool = False) -> str:
    return csv_text(FINDING_COLUMNS, finding_rows(batch, errors_only=errors_only))


# -- the report workbook ------------------------------------------------------------------

SUMMARY_COLUMNS = ("file", "unit_code", "unit_name", "cycle", "status", "errors", "warnings",
                   "indicators_met", "indicators", "evidence_completeness_pct",
                   "evidence_rows", "submission_date", "first_error", "path")


def summary_rows(batch: BatchReport) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for wb in batch.workbooks:
        first = next((f for f in wb.findings if f.severity == "error"), None)
        rows.append([
            wb.file, wb.unit_code, wb.unit_name, wb.cycle, workbook_status(wb, batch),
            wb.errors, wb.warnings, wb.indicators_met, wb.indicators_total,
            wb.evidence_completeness_pct, wb.evidence_rows, wb.submission_date,
            f"{first.code}: {first.message}" if first else "", wb.path,
        ])
    for unit in batch.not_returned:
        rows.append(["", unit.code, unit.name, batch.cycle or "", "not returned", 1, 0, None,
                     None, None, None, None, f"{UNIT_NOT_RETURNED.code}: no return", ""])
    return rows


def write_report_xlsx(batch: BatchReport, path: Path, *, force: bool = False,
                      classification: str | None = None) -> None:
    """The report workbook: Summary, Findings, Skipped (if any) and Totals sheets, each set
    up to print on A4 (reports.printing)."""
    # here, not at the top: a one-file validate never needs openpyxl
    from openpyxl import Workbook

    from esps_cli.reports.printing import (
        DATE_FORMAT,
        DEFAULT_CLASSIFICATION,
        PrintInfo,
        human_heading,
        table_sheet,
    )

    info = PrintInfo(title="ESPS validation report",
                     classification=classification or DEFAULT_CLASSIFICATION,
                     framework=f"{batch.framework_id} {batch.framework_version}",
                     cycle=batch.cycle or "")
    wb = Workbook()
    table_sheet(wb, "Summary", SUMMARY_COLUMNS, summary_rows(batch), info,
                widths={"first_error": 40, "path": 30}, formats={"submission_date": DATE_FORMAT},
                empty="No workbooks found.")
    table_sheet(wb, "Findings", FINDING_COLUMNS, finding_rows(batch), info,
                widths={"message": 50, "hint": 44}, empty="No findings.")
    if batch.skipped:
        table_sheet(wb, "Skipped", ("path", "kind", "reason"),
                    [[s.path, s.kind, s.reason] for s in batch.skipped], info)
    totals = batch.totals.model_dump()
    table_sheet(
        wb, "Totals", ("Measure", "Value"),
        [["Framework", f"{batch.framework_id} {batch.framework_version}"],
         ["Cycle", batch.cycle or "(any)"],
         ["Checked on", batch.checked_on],
         *([human_heading(k), v] for k, v in totals.items() if v is not None)],
        info, widths={"Measure": 26, "Value": 24},
    )
    save_workbook(wb, path, force=force)


# -- the code catalogue -------------------------------------------------------------------


def codes_table(codes: list[Code] | None = None) -> Table:
    table = Table(title="Finding codes")
    for header in ("code", "severity", "meaning", "how to fix"):
        table.add_column(header, overflow="fold")
    for c in codes or catalogue():
        sev = SEVERITY_STYLE[c.severity]
        table.add_row(c.code, f"[{sev}]{c.severity}[/{sev}]", escape(c.title), escape(c.hint))
    return table


CODE_COLUMNS = ("code", "severity", "title", "hint")


def code_rows(codes: list[Code] | None = None) -> list[list[str]]:
    """The catalogue as CSV rows (`esps validate --list-codes --format csv`)."""
    return [[c.code, c.severity, c.title, c.hint] for c in codes or catalogue()]


def codes_markdown(codes: list[Code] | None = None) -> str:
    """The catalogue as the README's Markdown table."""
    lines = ["| code | severity | meaning |", "|---|---|---|"]
    for c in codes or catalogue():
        lines.append(f"| `{c.code}` | {c.severity} | {c.title} |")
    return "\n".join(lines)
