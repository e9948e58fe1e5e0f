"""Rendering validation reports: text for people, JSON and CSV for machines, and a report
workbook analysts can sort and filter.

JSON is exactly `BatchReport.model_dump(mode="json")`; CSV has one row per finding; the
workbook has a Summary sheet (one row per return, and one per unit that has not returned), a
Findings sheet (one row per finding), and Skipped and Totals sheets.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape

from esps_cli.findings import (
    DUPLICATE_RETURN,
    TOO_FEW_EVIDENCE,
    UNIT_NOT_ON_LIST,
    UNIT_NOT_RETURNED,
    Code,
    Finding,
    catalogue,
)
from esps_cli.findings.groups import FindingGroup, group_findings
from esps_cli.io.output import csv_text, save_workbook
from esps_cli.io.safety import shown_path
from esps_cli.reports.returns import change_lines, note_lines
from esps_cli.reports.text import (
    COLLAPSE_AT,
    Lines,
    Span,
    first_places,
    table,
)
from esps_cli.validation.report import BatchReport, WorkbookReport

if TYPE_CHECKING:  # a table only for --list-codes (start-up time)
    from rich.table import Table

    from esps_cli.reports.render import Destination

FINDING_COLUMNS = ("file", "unit_code", "severity", "code", "sheet", "cell", "indicator_id",
                   "message", "hint")
SEVERITY_STYLE = {"error": "bold red", "warning": "yellow"}


def workbook_status(wb: WorkbookReport, batch: BatchReport) -> str:
    """A one-word status, plus what the units list says about the file."""
    status = "unreadable" if not wb.readable else ("valid" if wb.valid else "invalid")
    if wb.superseded_by:
        status = f"superseded ({status})"
    elif wb.set_aside:
        status = f"set aside ({status})"
    flags = [label for code, label in ((DUPLICATE_RETURN.code, "duplicate return"),
                                       (UNIT_NOT_ON_LIST.code, "not on units list"))
             if any(f.code == code and f.file == wb.file for f in batch.findings)]
    return "; ".join([status, *flags])


def _where(f: Finding) -> str:
    if not f.sheet:
        return ""
    return f"{f.sheet}!{f.cell}" if f.cell else f.sheet


# -- text ---------------------------------------------------------------------------------

# The terminal's way to every finding of a gathered line.
NOT_STARTED_HINT = ("Fill in the indicator's rating, its narrative and its evidence rows "
                    "(esps validate --verbose lists every finding).")


def group_hint(group: FindingGroup) -> str:
    return NOT_STARTED_HINT if group.kind == "not-started" else group.hint


def print_text(batch: BatchReport, console: Console, *, errors_only: bool = False,
               verbose: bool = False) -> None:
    """Findings by file and, within a file, by indicator: one line for each indicator not
    started, the details of those partly done, findings alike on many rows gathered into one
    line (verbose: every finding on its own line). Then how to fix each kind of finding,
    the table of returns, the units list's view and the totals."""
    out = Lines()
    by_file: dict[str, list[Finding]] = {}
    for f in batch.findings:
        if f.file:
            by_file.setdefault(f.file, []).append(f)
    hints: dict[str, str] = {}
    for wb in batch.workbooks:
        findings = [f for f in [*wb.findings, *by_file.get(wb.file, [])]
                    if not (errors_only and f.severity == "warning")]
        _workbook_lines(out, wb, batch, findings, hints, verbose=verbose)
    _hint_lines(out, hints)
    if len(batch.workbooks) > 1:
        _table_lines(out, batch)
    _unit_lines(out, batch, verbose=verbose)
    _skipped_lines(out, batch)
    note_lines(out, batch)
    _totals_lines(out, batch)
    out.write(console)


def _workbook_lines(out: Lines, wb: WorkbookReport, batch: BatchReport, findings: list[Finding],
                    hints: dict[str, str], *, verbose: bool) -> None:
    status = workbook_status(wb, batch)
    minimum = ""
    if wb.indicators_total:
        minimum = (f"; {wb.indicators_met}/{wb.indicators_total} indicators meet the minimum "
                   f"(evidence completeness {wb.evidence_completeness_pct:g}%)")
    unit = f"{wb.unit_code} {wb.unit_name}".strip() or "unknown unit"
    out.add((wb.file, "bold"), f" ({unit}{', ' + wb.cycle if wb.cycle else ''}): ",
            (status.upper(), "green" if status == "valid" else "bold red"),
            f", {wb.errors} error(s), {wb.warnings} warning(s){minimum}")
    if verbose:
        for f in findings:
            _finding_line(out, f, hints)
        change_lines(out, wb)
        out.blank()
        return
    of = len(wb.indicators)
    for group in group_findings(findings, wb.indicators):
        if group.kind in ("not-started", "no-evidence"):
            hints.setdefault("not started" if group.kind == "not-started"
                             else TOO_FEW_EVIDENCE.code, group_hint(group))
            sheet = f"{group.first.sheet:<16}" if len(group.indicators) >= COLLAPSE_AT \
                else f"{_where(group.first):<16}"
            out.add("  ", ("error  ", SEVERITY_STYLE["error"]), f" {sheet} ", group.says(of=of))
            continue
        _finding_line(out, group.first, hints)
        more = group.findings[1:]
        if more:
            places = [m.cell or _where(m) for m in more]
            out.add(" " * 27, (f"… and {len(more)} more like it: {first_places(places)}", "dim"))
    change_lines(out, wb)
    out.blank()


def _finding_line(out: Lines, f: Finding, hints: dict[str, str]) -> None:
    if f.hint:
        hints.setdefault(f.code, f.hint)
    ind = f"{f.indicator_id}: " if f.indicator_id and f.indicator_id not in f.message else ""
    out.add("  ", (f"{f.severity:<7}", SEVERITY_STYLE[f.severity]), f" {_where(f):<16} ",
            f"{ind}{f.message} ", (f"[{f.code}]", "dim"))


def _hint_lines(out: Lines, hints: dict[str, str]) -> None:
    if not hints:
        return
    out.add(("How to fix:", "bold"))
    for code, hint in hints.items():
        out.add("  ", (f"{code}:", "dim"), f" {hint}")
    out.blank()


def _table_lines(out: Lines, batch: BatchReport) -> None:
    rows: list[list[str | Span]] = []
    for wb in batch.workbooks:
        status = workbook_status(wb, batch).replace("duplicate return", "duplicate").replace(
            "not on units list", "not listed")
        rows.append([
            wb.file, wb.unit_code, (status, "green" if status == "valid" else "red"),
            str(wb.errors), str(wb.warnings),
            f"{wb.indicators_met}/{wb.indicators_total}" if wb.indicators_total else "",
            f"{wb.evidence_completeness_pct:g}" if wb.indicators_total else "",
        ])
    out.add(("Returns", "bold"))
    for line in table(("file", "unit", "status", "errors", "warn", "met", "evid %"), rows,
                      right=("errors", "warn", "met", "evid %")):
        out.add(*line)
    out.add(("met: indicators meeting their minimum; evid %: evidence completeness", "dim"))
    out.blank()


def _unit_lines(out: Lines, batch: BatchReport, *, verbose: bool) -> None:
    if batch.not_returned:
        out.add((f"Not returned ({len(batch.not_returned)}):", "bold red"))
        if verbose:
            for unit in batch.not_returned:
                out.add(f"  {unit.code} {unit.name} ", (f"({unit.business_group})", "dim"))
        else:  # one line per business group, the codes only (--verbose: a line per unit)
            groups: dict[str, list[str]] = {}
            for unit in batch.not_returned:
                groups.setdefault(unit.business_group, []).append(unit.code)
            for group, codes in groups.items():
                out.add("  ", (f"{group or '(no group)'} ({len(codes)}):", "dim"),
                        f" {', '.join(codes)}")
    duplicates: dict[tuple[str, str], list[WorkbookReport]] = {}
    flagged = {f.file for f in batch.findings if f.code == DUPLICATE_RETURN.code}
    for wb in batch.workbooks:
        if wb.file in flagged:
            duplicates.setdefault((wb.unit_code, wb.cycle), []).append(wb)
    if duplicates:
        out.add((f"Duplicate returns, none chosen ({len(duplicates)} unit(s)):", "bold red"))
        for (code, cyc), reports in duplicates.items():
            out.add(f"  {code} {reports[0].unit_name} ({cyc}): "
                    f"{', '.join(r.file for r in reports)}")
    not_listed = [f for f in batch.findings if f.code == UNIT_NOT_ON_LIST.code]
    if not_listed:
        out.add((f"Returns for units not on the units list ({len(not_listed)}):", "bold red"))
        for f in not_listed:
            out.add(f"  {f.message}")


def _skipped_lines(out: Lines, batch: BatchReport) -> None:
    unreadable = [s for s in batch.skipped if s.kind == "unreadable"]
    if unreadable:
        out.add((f"Folders that could not be read ({len(unreadable)}):", "bold red"))
        for s in unreadable:
            out.add(f"  {s.path}: {s.reason} [folder-unreadable]")
    for kind, title in (("lock", "Skipped lock files"), ("ignored", "Not checked")):
        items = [s for s in batch.skipped if s.kind == kind]
        if items:
            out.add((f"{title} ({len(items)}):", "dim"))
            for s in items:
                out.add((f"  {s.path}: {s.reason}", "dim"))


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
    if t.superseded:
        parts.append(f"{t.superseded} superseded by a later return")
    parts.append(f"{t.errors} error(s), {t.warnings} warning(s)")
    if t.lock_files or t.ignored:
        parts.append(f"{t.lock_files} lock file(s) skipped, {t.ignored} file(s) ignored")
    return "; ".join(parts) + "."


def _totals_lines(out: Lines, batch: BatchReport) -> None:
    out.add(("OK" if batch.ok else "PROBLEMS FOUND", "green" if batch.ok else "bold red"),
            f": {totals_line(batch)}")


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


def summary_rows(batch: BatchReport, folder: Path | None = None) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for wb in batch.workbooks:
        first = next((f for f in wb.findings if f.severity == "error"), None)
        rows.append([
            wb.file, wb.unit_code, wb.unit_name, wb.cycle, workbook_status(wb, batch),
            wb.errors, wb.warnings, wb.indicators_met, wb.indicators_total,
            wb.evidence_completeness_pct, wb.evidence_rows, wb.submission_date,
            f"{first.code}: {first.message}" if first else "", shown_path(wb.path, folder),
        ])
    for unit in batch.not_returned:
        rows.append(["", unit.code, unit.name, batch.cycle or "", "not returned", 1, 0, None,
                     None, None, None, None, f"{UNIT_NOT_RETURNED.code}: no return", ""])
    return rows


def write_report_xlsx(batch: BatchReport, path: Path, *, force: bool = False,
                      classification: str | None = None, folder: Path | None = None) -> None:
    """The report workbook: Summary, Findings, Skipped (if any) and Totals sheets, each set
    up to print on A4 (reports.printing); paths relative to `folder` (the working folder;
    default the current one)."""
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
    table_sheet(wb, "Summary", SUMMARY_COLUMNS, summary_rows(batch, folder), info,
                widths={"first_error": 40, "path": 30}, formats={"submission_date": DATE_FORMAT},
                empty="No workbooks found.")
    table_sheet(wb, "Findings", FINDING_COLUMNS, finding_rows(batch), info,
                widths={"message": 50, "hint": 44}, empty="No findings.")
    if batch.skipped:
        table_sheet(wb, "Skipped", ("path", "kind", "reason"),
                    [[shown_path(s.path, folder), s.kind, s.reason] for s in batch.skipped],
                    info)
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
    from rich.table import Table

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


# -- writers (the renderer table, reports/render.py) ----------------------------------------


def validation_text(batch: BatchReport, dest: Destination, *, errors_only: bool = False,
                    verbose: bool = False, **_: Any) -> None:
    print_text(batch, dest.console, errors_only=errors_only, verbose=verbose)


def validation_csv(batch: BatchReport, dest: Destination, *, errors_only: bool = False,
                   **_: Any) -> None:
    dest.write_text(findings_csv(batch, errors_only=errors_only))


def validation_xlsx(batch: BatchReport, dest: Destination, *,
                    classification: str | None = None, folder: Path | None = None,
                    **_: Any) -> None:
    write_report_xlsx(batch, dest.file, force=dest.force, classification=classification,
                      folder=folder)


def codes_text(codes: list[Code], dest: Destination, **_: Any) -> None:
    dest.console.print(codes_table(codes))


def codes_csv(codes: list[Code], dest: Destination, **_: Any) -> None:
    dest.write_csv(CODE_COLUMNS, code_rows(codes))
