"""Marked-up copies: a unit's own returned workbook with its findings written onto it.

For each return with findings, `mark_up_returns` writes a copy of the unit's workbook (the
original is only read) whose first sheet, `Findings`, lists every finding with a link to its
cell, what is wrong and how to fix it; every finding that names a cell on a visible sheet puts
a comment (the message and the hint) and a visible fill on that cell. Everything else in the
workbook is kept as it was: the answers, sheet and workbook protection, drop-downs (data
validations), defined names and the very hidden metadata sheet, so the copy validates to the
same findings as the original and the unit can fix it and send it back.

The copy is made with openpyxl, which does not carry everything an .xlsx can hold. What it
would lose is reported with the copy (`MarkedUpCopy.notes`, also printed on the Findings
sheet): charts, pictures, pivot tables and drop-downs kept in an extension list. Formulas are
replaced by the values they showed (openpyxl writes formulas without their results, so a
reader that does not recalculate, like the validator, would see blank cells).
"""

from __future__ import annotations

import io
import re
import warnings
import zipfile
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.styles.cell_style import StyleArray
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.properties import Outline
from openpyxl.worksheet.worksheet import Worksheet
from pydantic import BaseModel

from esps_cli.errors import ConfigError, EspsError, OutputExistsError
from esps_cli.findings import Finding
from esps_cli.findings.groups import FindingGroup, IndicatorState, group_findings
from esps_cli.findings.unit_words import for_units
from esps_cli.io.batch import parallel_map
from esps_cli.io.safety import StagedOutputs, atomic_write, clean_text, ensure_folder, inside
from esps_cli.io.xlsx import XlsxReadError, load_for_edit
from esps_cli.workbook.generate import table_print_setup
from esps_cli.workbook.layout import EVIDENCE, INDICATORS, column_letter
from esps_cli.workbook.pages import (
    DEFAULT_CLASSIFICATION,
    fit_row_height,
    grow_rows_to_text,
    header_text,
    held_cells,
    page_furniture,
    print_info,
    print_setup,
)
from esps_cli.workbook.styles import (
    BOLD,
    BOX,
    HEADER_FILL,
    HEADER_FONT,
    SUBTITLE,
    TITLE,
    WRAP_TOP,
    set_style,
    style_of,
)

FINDINGS_SHEET = "Findings"
FALLBACK_SHEET = "ESPS findings"  # if the unit has a sheet of its own called Findings
FINDINGS_TITLE = "Findings: what to fix in this return"
COMMENT_AUTHOR = "DCFD check"  # unit-facing: no tool names
OUR_AUTHORS = (COMMENT_AUTHOR, "esps-cli")  # and as earlier copies signed their comments
MARKED_UP_SUFFIX = "_marked-up"
MARK_FILLS = {
    "error": PatternFill("solid", fgColor="FFC7CE"),  # light red
    "warning": PatternFill("solid", fgColor="FFEB9C"),  # amber
}
LINK_FONT = Font(color="0563C1", underline="single")
HEADER_ROW = 6
_A1 = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d{1,7})$")
# Parts of an .xlsx that openpyxl does not carry over, and how to say so.
_LOST_PARTS = {
    "xl/charts/": "charts",
    "xl/pivotTables/": "pivot tables",
    "xl/slicers/": "slicers",
    "xl/media/": "pictures",
}
FINDINGS_COLUMNS = (  # header, width
    ("#", 5), ("Severity", 10), ("Cell", 16), ("Indicator", 11),
    ("What is wrong", 70), ("How to fix it", 60), ("Code", 24),
)


class MarkUpError(EspsError):
    """A marked-up copy could not be written (nothing was written for that return)."""


class CheckedReturn(Protocol):
    """What a marked-up copy needs to know about a checked return (a WorkbookReport)."""

    file: str
    path: str
    unit_code: str
    unit_name: str
    cycle: str
    readable: bool
    errors: int
    warnings: int
    findings: list[Finding]
    set_aside: str  # a copy of another file of the unit, or a failed identity: no copy
    received_as: str  # these bytes were received before under that path: no copy again

    @property
    def indicators(self) -> Sequence[IndicatorState]: ...


class MarkedUpCopy(BaseModel):
    source: str
    target: str
    findings: int
    marked_cells: int  # cells given a comment and a fill
    notes: list[str] = []  # what the copy could not keep or changed (formulas to values)


class NotMarkedUp(BaseModel):
    file: str
    reason: str
    unreadable: bool = False  # the return itself cannot be read (else copying it failed)


class MarkUpResult(BaseModel):
    written: list[MarkedUpCopy] = []
    not_written: list[NotMarkedUp] = []


def marked_up_name(file: str) -> str:
    """The copy's file name: the return's name (its folders joined by '_') + _marked-up."""
    p = Path(file.replace("\\", "/"))
    stem = "_".join([*p.parent.parts, p.stem]) if p.parent.parts else p.stem
    stem = stem.lstrip("/").replace("/", "_").lstrip(".") or "return"
    suffix = p.suffix.lower() if p.suffix.lower() in (".xlsx", ".xlsm") else ".xlsx"
    return f"{stem}{MARKED_UP_SUFFIX}{suffix}"


def marked_up_path(out_dir: Path, file: str) -> Path:
    return inside(out_dir, marked_up_name(file))


def needs_copy(ret: CheckedReturn) -> bool:
    """A return with findings that is not the same return as one already sent back."""
    return bool(ret.findings) and not ret.set_aside and not ret.received_as


# -- one workbook -------------------------------------------------------------------------


def _scan(source: Path) -> tuple[bool, list[str]]:
    """(whether any sheet holds a formula, what openpyxl would drop) from the zip's parts."""
    has_formulas = False
    lost: set[str] = set()
    with zipfile.ZipFile(source) as z:
        for name in z.namelist():
            for prefix, what in _LOST_PARTS.items():
                if name.startswith(prefix):
                    lost.add(what)
            if name.startswith("xl/worksheets/sheet") and name.endswith(".xml"):
                data = z.read(name)
                if b"<f>" in data or b"<f " in data:
                    has_formulas = True
    return has_formulas, sorted(lost)


def _load(source: Path) -> tuple[Workbook, list[str]]:
    """The workbook as openpyxl holds it, and notes on what it could not keep."""
    try:
        has_formulas, lost = _scan(source)
        keep_vba = source.suffix.lower() == ".xlsm"
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            wb = load_for_edit(source, keep_vba=keep_vba)
        notes = [f"{what.capitalize()} in the original are not in this copy." for what in lost]
        for w in caught:
            text = str(w.message)
            if "extension is not supported" in text:
                notes.append(f"Not kept in this copy: {text.split(' is not supported')[0]} "
                             "(an Excel extension openpyxl cannot write).")
        if has_formulas:
            notes.extend(_formulas_to_values(wb, source))
    except XlsxReadError as exc:
        raise MarkUpError(f"cannot copy {source.name}: {str(exc).removeprefix(f'{source}: ')}"
                          + (f" {exc.fix}" if exc.fix else "")) from None
    except (OSError, zipfile.BadZipFile, KeyError, ValueError, TypeError) as exc:
        raise MarkUpError(f"cannot open {source.name} to copy it: {exc}") from None
    return wb, sorted(set(notes), key=notes.index)


def _formulas_to_values(wb: Workbook, source: Path) -> list[str]:
    """Replace every formula by the value it last showed (its cached result)."""
    values = load_for_edit(source, data_only=True)
    replaced: list[str] = []
    for ws in wb.worksheets:
        cached = values[ws.title]
        for cell in held_cells(ws):
            if cell.data_type == "f" or isinstance(cell.value, (ArrayFormula, DataTableFormula)):
                shown = cached._cells.get((cell.row, cell.column))
                cell.value = shown.value if shown is not None else None
                replaced.append(f"{ws.title}!{cell.coordinate}")
    if not replaced:
        return []
    shown = ", ".join(replaced[:5]) + (f" and {len(replaced) - 5} more" if len(replaced) > 5
                                       else "")
    return [f"Formulas were replaced by the values they showed ({shown})."]


def _target_cell(ws: Worksheet, ref: str) -> Cell | None:
    """The cell a finding names (the top-left cell of a merged area), or None."""
    m = _A1.match(ref.strip())
    if not m:
        return None
    coord = f"{m.group(1).upper()}{m.group(2)}"
    cell: Cell | MergedCell = ws[coord]  # one cell: coord is a single A1 reference
    if isinstance(cell, MergedCell):
        for rng in ws.merged_cells.ranges:
            if coord in rng:
                top_left = ws.cell(row=rng.min_row, column=rng.min_col)
                return top_left if isinstance(top_left, Cell) else None
        return None
    return cell


def _located(wb: Workbook, f: Finding) -> tuple[Worksheet, Cell] | None:
    if not f.sheet or not f.cell or f.sheet not in wb.sheetnames:
        return None
    ws = wb[f.sheet]
    if ws.sheet_state != "visible":
        return None  # nobody can see a mark on a hidden sheet
    cell = _target_cell(ws, f.cell)
    return (ws, cell) if cell is not None else None


def _comment_text(found: list[Finding], checked_on: date) -> str:
    parts = [f"DCFD check of {checked_on:%d/%m/%Y}:"]
    for f in found:
        parts.append(f"{f.severity.upper()}: {for_units(f.message)}")
        if f.hint:
            parts.append(f"How to fix: {for_units(f.hint)}")
    return clean_text("\n".join(parts))


def _clear_earlier_comments(wb: Workbook) -> None:
    """Remove the comments an earlier mark-up left (a copy marked up again)."""
    for ws in wb.worksheets:
        for cell in held_cells(ws):
            if cell.comment is not None and cell.comment.author in OUR_AUTHORS:
                cell.comment = None



def _mark_cells(wb: Workbook, findings: list[Finding], checked_on: date) -> int:
    """Comment and fill each located finding's cell; returns the number of cells marked."""
    _clear_earlier_comments(wb)
    by_cell: dict[tuple[str, str], list[Finding]] = {}
    cells: dict[tuple[str, str], Cell] = {}
    for f in findings:
        hit = _located(wb, f)
        if hit is None:
            continue
        ws, cell = hit
        key = (ws.title, cell.coordinate)
        by_cell.setdefault(key, []).append(f)
        cells[key] = cell
    for key, found in by_cell.items():
        cell = cells[key]
        text = _comment_text(found, checked_on)
        earlier = cell.comment
        if earlier is not None and earlier.author not in OUR_AUTHORS:
            text += f"\n\nEarlier comment ({earlier.author or 'no author'}):\n{earlier.text}"
        lines = sum(1 + len(line) // 60 for line in text.splitlines())
        cell.comment = Comment(clean_text(text), COMMENT_AUTHOR, width=420,
                               height=min(600, 16 * lines + 20))
        severe = any(f.severity == "error" for f in found)
        cell.fill = MARK_FILLS["error" if severe else "warning"]
    return len(by_cell)


def _set_text(cell: Cell, value: str | int | None) -> None:
    """A value shown as text, never run as a formula."""
    cell.value = clean_text(value) if isinstance(value, str) else value
    if cell.data_type == "f":
        cell.data_type = "s"


def _findings_sheet(wb: Workbook) -> Worksheet:
    """A new first sheet for the findings, replacing one an earlier mark-up added."""
    name = FINDINGS_SHEET
    if name in wb.sheetnames:
        old = wb[name]
        if old["A1"].value == FINDINGS_TITLE:
            wb.remove(old)
        else:
            name = FALLBACK_SHEET
            if name in wb.sheetnames:
                wb.remove(wb[name])
    ws: Worksheet = wb.create_sheet(name, 0)  # Any in the stub (a write-only sheet or not)
    for other in wb.worksheets:
        other.sheet_view.tabSelected = other is ws
    wb.active = 0
    return ws


def _heading(ret: CheckedReturn, checked_on: date) -> str:
    who = " ".join(x for x in (ret.unit_code, ret.unit_name) if x) or "unknown unit"
    cycle = f", cycle {ret.cycle}" if ret.cycle else ""
    return (f"{who}{cycle}: {ret.errors} error(s) and {ret.warnings} warning(s) found in "
            f"{ret.file} when DCFD checked it on {checked_on:%d/%m/%Y}.")


def _write_findings(ws: Worksheet, ret: CheckedReturn, findings: list[Finding],
                    checked_on: date, notes: list[str], wb: Workbook) -> None:
    _set_text(ws["A1"], FINDINGS_TITLE)
    ws["A1"].font = TITLE
    _set_text(ws["A2"], _heading(ret, checked_on))
    ws["A2"].font = BOLD
    _set_text(ws["A3"], (
        "Errors must be fixed before the return is accepted; warnings are worth checking. "
        "Each problem's cell is shaded (red: error, amber: warning) and carries a comment "
        "saying what to fix: click a reference in the Cell column to go there. A line that "
        "stands for several findings has a + in the margin: click it to list each one, with "
        "its link. Fix the "
        "problems in this copy or in your own workbook and return it to DCFD. The shading "
        "stays after a fix; the next check says what is left."))
    _set_text(ws["A4"], " ".join(notes))
    for r in (3, 4):
        ws[f"A{r}"].font = SUBTITLE
        ws[f"A{r}"].alignment = WRAP_TOP
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=len(FINDINGS_COLUMNS))
    ws.row_dimensions[3].height = 58
    ws.sheet_properties.outlinePr = Outline(summaryBelow=False)  # + on a group's line
    ws.row_dimensions[4].height = 30 if notes else 6
    for col, (header, width) in enumerate(FINDINGS_COLUMNS, start=1):
        c = ws.cell(row=HEADER_ROW, column=col, value=header)
        c.font, c.fill, c.border = HEADER_FONT, HEADER_FILL, BOX
        c.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[column_letter(col)].width = width
    ws.row_dimensions[HEADER_ROW].height = 20
    styles = _row_styles(ws, HEADER_ROW + 1)
    row = HEADER_ROW + 1
    of = len(ret.indicators)
    for i, group in enumerate(group_findings(findings, ret.indicators), start=1):
        row = _group_rows(ws, row, i, group, of, wb, styles)
    last = max(HEADER_ROW + 1, row - 1)
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=1).coordinate
    ws.auto_filter.ref = f"A{HEADER_ROW}:{column_letter(len(FINDINGS_COLUMNS))}{last}"



def _set_up_pages(wb: Workbook, findings: Worksheet, ret: CheckedReturn,
                  classification: str) -> None:
    """Every page of the copy carries the marking, the unit and "Page x of y"; the unit's
    tables print at a readable size with every row as tall as its text."""
    who = " ".join(x for x in (ret.unit_code, ret.unit_name) if x) or ret.file
    info = print_info(f"Marked-up copy: {who}", cycle=ret.cycle,
                      classification=classification)
    print_setup(findings, info, landscape=True, title_rows=f"{HEADER_ROW}:{HEADER_ROW}")
    for table in (INDICATORS, EVIDENCE):
        if table.sheet in wb.sheetnames:
            unit_sheet = wb[table.sheet]
            table_print_setup(unit_sheet, table, info)
            grow_rows_to_text(unit_sheet, table.first_data_row)
    for sheet in wb.worksheets:
        if sheet is not findings and sheet.sheet_state == "visible":
            page_furniture(sheet, info, title=header_text(info.title))


def _group_rows(ws: Worksheet, row: int, number: int, group: FindingGroup, of: int,
                wb: Workbook, styles: dict[str, StyleArray]) -> int:
    """A group's line (linked to its first finding's cell) and, when it stands for several
    findings, a row for each below it, folded away (the outline's + shows them, each with
    its link); returns the next free row."""
    first = group.first
    if len(group.findings) == 1:
        _finding_row(ws, row, number, first, wb, styles)
        return row + 1
    cells = [f.cell or f.sheet for f in group.findings if f.cell or f.sheet]
    says = group.says(of=of)
    if group.kind == "alike":
        says += f" (and {len(group.findings) - 1} more like it: {', '.join(cells[1:])})"
    # the line names them all; the column only how many (a long list makes a tall row)
    indicators = (f"{len(group.indicators)} indicators" if len(group.indicators) > 1
                  else ", ".join(group.indicators) or first.indicator_id)
    _finding_row(ws, row, number, first, wb, styles,
                 shown=(group.severity, indicators, says, group.hint, group.code))
    ws.row_dimensions[row].outlineLevel = 0
    for j, f in enumerate(group.findings, start=1):
        _finding_row(ws, row + j, f"{number}.{j}", f, wb, styles)
        ws.row_dimensions[row + j].outlineLevel = 1
        ws.row_dimensions[row + j].hidden = True
    return row + len(group.findings) + 1


def _finding_row(ws: Worksheet, row: int, number: int | str, f: Finding, wb: Workbook,
                 styles: dict[str, StyleArray],
                 shown: tuple[str, str, str, str, str] | None = None) -> None:
    """One row: a finding, or (`shown`: severity, indicators, what, how, code) a group's
    line, linked to its first finding's cell."""
    where = f"{f.sheet}!{f.cell}" if f.sheet and f.cell else (f.sheet or "the whole file")
    severity, indicator, message, hint, code = shown or (
        f.severity, f.indicator_id, f.message, f.hint, f.code)
    values: list[str | int | None] = [number, severity, where, indicator, for_units(message),
                                      for_units(hint), code]
    hit = _located(wb, f)
    location = ""
    if hit is not None:
        location = f"'{hit[0].title}'!{hit[1].coordinate}"
    elif f.sheet in wb.sheetnames and wb[f.sheet].sheet_state == "visible":
        location = f"'{f.sheet}'!A1"
    for col, value in enumerate(values, start=1):
        c = ws.cell(row=row, column=col)
        assert isinstance(c, Cell)  # only rows 3 and 4, above the table, are merged
        _set_text(c, value)
        # Copying a ready style is much faster than setting fill, font and border per cell.
        key = severity if col == 2 else ("link" if col == 3 and location else "plain")
        set_style(c, styles[key])
    if location:
        link = ws.cell(row=row, column=3)
        link.hyperlink = Hyperlink(ref=link.coordinate, location=location)
    fit_row_height(ws, row, [w for _h, w in FINDINGS_COLUMNS])


def _row_styles(ws: Worksheet, row: int) -> dict[str, StyleArray]:
    """The styles of a findings row, made once on a scratch cell (then cleared)."""
    cell = ws.cell(row=row, column=1)
    cell.alignment, cell.border = WRAP_TOP, BOX
    styles = {"plain": style_of(cell)}
    for severity, fill in MARK_FILLS.items():
        cell.fill = fill
        styles[severity] = style_of(cell)
    cell.fill = PatternFill()
    cell.font = LINK_FONT
    styles["link"] = style_of(cell)
    cell.font = Font()
    return styles


def mark_up_workbook(
    ret: CheckedReturn,
    target: Path,
    *,
    checked_on: date,
    extra_findings: Sequence[Finding] = (),
    force: bool = False,
    classification: str = DEFAULT_CLASSIFICATION,
) -> MarkedUpCopy:
    """Write the marked-up copy of one checked return to target (atomically).

    extra_findings: findings about the file from the batch (a duplicate return). Raises
    MarkUpError when the return cannot be read or copied, OutputExistsError when target
    exists and not force; nothing is written then.
    """
    source = Path(ret.path)
    if not ret.readable:
        raise MarkUpError(f"{ret.file} cannot be read, so nothing was written for it")
    if target.resolve() == source.resolve():
        raise MarkUpError(f"refusing to write the marked-up copy of {ret.file} over the return")
    findings = [*ret.findings, *extra_findings]
    wb, notes = _load(source)
    marked = _mark_cells(wb, findings, checked_on)
    ws = _findings_sheet(wb)
    _write_findings(ws, ret, findings, checked_on, notes, wb)
    _set_up_pages(wb, ws, ret, classification)
    buf = io.BytesIO()
    wb.save(buf)
    atomic_write(ensure_folder(target.parent) / target.name,
                 lambda fh: fh.write(buf.getvalue()), force=force)
    return MarkedUpCopy(source=str(source), target=str(target), findings=len(findings),
                        marked_cells=marked, notes=notes)


# -- a batch ------------------------------------------------------------------------------

_Job = tuple[Any, str, date, list[Finding], bool, str]


def _mark_up_job(job: _Job) -> MarkedUpCopy | NotMarkedUp:
    ret, target, checked_on, extra, force, classification = job
    try:
        return mark_up_workbook(ret, Path(target), checked_on=checked_on,
                                extra_findings=extra, force=force,
                                classification=classification)
    except EspsError as exc:
        return NotMarkedUp(file=ret.file, reason=str(exc))


def check_mark_up_folder(out_dir: Path, inputs: Sequence[Path], files: Sequence[str],
                         *, force: bool = False) -> None:
    """Refuse, before anything is checked or written, a folder the copies must not go to:
    a folder being validated (its copies would be read as returns next time), or one where
    copies of these files already exist (unless force)."""
    if out_dir.exists() and not out_dir.is_dir():
        raise ConfigError(f"--annotate {out_dir}: not a folder")
    here = out_dir.resolve()
    for item in inputs:
        if Path(item).is_dir() and Path(item).resolve() == here:
            raise ConfigError(
                f"--annotate {out_dir}: that is a folder being validated, so the marked-up "
                "copies would be read as returns next time; write them to another folder")
    existing = [p for p in (marked_up_path(out_dir, f) for f in files) if p.exists()]
    if existing and not force:
        names = ", ".join(p.name for p in existing[:3])
        more = f" and {len(existing) - 3} more" if len(existing) > 3 else ""
        raise OutputExistsError(
            f"{len(existing)} marked-up copies already exist in {out_dir}: {names}{more}. "
            "Nothing was written; use --force to replace them, or choose another folder.")


def mark_up_returns(
    returns: Sequence[CheckedReturn],
    out_dir: Path,
    *,
    checked_on: date,
    batch_findings: Sequence[Finding] = (),
    force: bool = False,
    jobs: int | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    classification: str = DEFAULT_CLASSIFICATION,
) -> MarkUpResult:
    """A marked-up copy in out_dir of every return with findings; a return that cannot be
    read (or copied) gets none and is listed in `not_written` with the reason."""
    result = MarkUpResult()
    work: list[_Job] = []
    for ret in returns:
        if not needs_copy(ret):
            continue
        if not ret.readable:
            result.not_written.append(NotMarkedUp(
                file=ret.file, reason="it cannot be read, so nothing was written for it",
                unreadable=True))
            continue
        extra = [f for f in batch_findings if f.file == ret.file]
        work.append((ret, str(marked_up_path(out_dir, ret.file)), checked_on, extra, force,
                     classification))
    if not work:
        return result

    def failed(job: _Job, error: str) -> NotMarkedUp:
        return NotMarkedUp(file=job[0].file, reason=f"copying {job[0].file} failed: {error}")

    # Copies are written into a staging folder and appear in out_dir together at the end:
    # an interrupted run leaves no copies and no temporary files.
    finals = {Path(job[1]).name: job[1] for job in work}
    with StagedOutputs(out_dir, list(finals), force=force, what="marked-up copy") as staged:
        staged_work = [(ret, str(staged.path(Path(target).name)), on, extra, True, marking)
                       for ret, target, on, extra, _, marking in work]
        for done in parallel_map(_mark_up_job, staged_work, jobs=jobs,
                                 on_progress=on_progress, on_error=failed):
            if isinstance(done, MarkedUpCopy):
                final = finals[Path(done.target).name]
                result.written.append(done.model_copy(update={"target": final}))
            else:
                result.not_written.append(done)
    return result
