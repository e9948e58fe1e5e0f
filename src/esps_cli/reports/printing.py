"""Printing reports: the page setup of every sheet is `workbook.pages.print_setup` (A4, the
marking top and foot of every page, "Page x of y"; shared with the unit's own workbooks and
packs). One table writer (`table_sheet`) for
every tabular sheet: human headings, Yes/No for flags, blanks for missing values, numbers as
numbers, dates as dates, and text wrapped inside its column so nothing is cut when printed.

Calc does not size rows to their wrapped text when it opens an .xlsx, so every row's height is
set here from its text; column widths and line counts share one measure of a character
(CHAR_WIDTH, a little wider than Calibri's or DejaVu Sans' average, as Calc prints them), so the
same file prints whole in Excel and Calc.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from esps_cli.io.safety import clean_text, escape_formula
from esps_cli.workbook.pages import (
    DEFAULT_CLASSIFICATION,
    PrintInfo,
    fit_row_height,
    print_info,
    print_setup,
    text_lines,
)

__all__ = ["DEFAULT_CLASSIFICATION", "PrintInfo", "fit_row_height", "print_info", "print_setup",
           "text_lines"]

FONT_NAME = "Calibri"  # the workbook default; fonts set without a name print in a serif
HEADER_FONT = Font(name=FONT_NAME, bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F3864")
THIN = Side(style="thin", color="808080")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP_TOP = Alignment(wrap_text=True, vertical="top")
DATE_FORMAT = "DD/MM/YYYY"
DATETIME_FORMAT = "DD/MM/YYYY HH:MM"
# Printable width of A4 in column-width units at 100% (portrait, with the margins below);
# wider tables print landscape, and fit-to-width shrinks what is still wider.
PORTRAIT_WIDTH = 100
MAX_TEXT_WIDTH = 60  # a column of long text wraps at this width
# Column-width units per character of 11 pt text: measured 0.81 in Calc with DejaVu Sans (its
# stand-in for Calibri); 0.9 leaves room for wider words and for Excel's Calibri.
CHAR_WIDTH = 0.9
# Words a heading made from a field name spells in capitals or as a symbol.
HEADING_WORDS = {
    "id": "ID", "dcfa": "DCFA", "pct": "%", "na": "N/A", "hmic": "HMIC", "kpi": "KPI",
    "sha256": "SHA-256", "esps": "ESPS", "rag": "RAG",
}


# -- tables -------------------------------------------------------------------------------


def human_heading(name: str) -> str:
    """'evidence_completeness_pct' -> 'Evidence completeness %'; a heading that already
    reads as words (has a capital or a space) is kept as it is."""
    if " " in name or name != name.lower():
        return name
    words = [HEADING_WORDS.get(w, w) for w in name.replace("-", "_").split("_") if w]
    if not words:
        return name
    first = words[0]
    words[0] = first if first in HEADING_WORDS.values() else first.capitalize()
    return " ".join(words)


def cell_value(value: Any) -> Any:
    """What a cell holds: Yes/No for a flag, blank for nothing, text made safe; numbers and
    dates as they are."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, str):
        text = escape_formula(clean_text(value))
        return text if text else None
    return value


def _display_length(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    if isinstance(value, float):
        return len(f"{value:g}")
    return max((len(line) for line in str(value).splitlines()), default=0)


def fitted_widths(header: Sequence[str], rows: Sequence[Sequence[Any]],
                  fixed: Mapping[str, float] | None = None) -> list[float]:
    """Column widths: the longest value (long text wraps at MAX_TEXT_WIDTH), at least the
    heading's longest word (headings wrap), with room for the print font."""
    widths: list[float] = []
    for i, h in enumerate(header):
        if fixed and h in fixed:
            widths.append(fixed[h])
            continue
        longest_word = max((len(w) for w in h.split()), default=4)
        content = max((_display_length(r[i]) for r in rows if i < len(r)), default=0)
        natural = max(longest_word + 1, min(content, MAX_TEXT_WIDTH), 5)
        widths.append(round(natural * CHAR_WIDTH * 1.08 + 2, 1))
    return widths


def table_sheet(
    wb: Workbook,
    title: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    info: PrintInfo,
    *,
    widths: Mapping[str, float] | None = None,
    formats: Mapping[str, str] | None = None,
    notes: Sequence[str] = (),
    empty: str = "None.",
    landscape: bool | None = None,
) -> Worksheet:
    """A sheet holding one table, set up to print: the heading row styled, frozen, filtered
    and repeated on every page; `notes` (e.g. the formula behind a percentage) printed under
    the table; `empty` said in the first row when there are no rows. Keys of `widths` and
    `formats` are the headings as given."""
    ws: Worksheet = wb.create_sheet(title=title[:31])  # Any in the stub: not write-only here
    headings = [human_heading(h) for h in header]
    values = [[cell_value(v) for v in row] for row in rows]
    ws.append(headings)
    for cell in ws[1]:
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for row in values:
        ws.append(row)
    fixed = {human_heading(k): v for k, v in (widths or {}).items()}
    column_widths = fitted_widths(headings, values, fixed)
    for i, width in enumerate(column_widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    fit_row_height(ws, 1, column_widths, bold=True)
    for r in range(2, len(values) + 2):
        fit_row_height(ws, r, column_widths)
    number_formats = {human_heading(k): v for k, v in (formats or {}).items()}
    for col, heading in enumerate(headings, start=1):
        fmt = number_formats.get(heading)
        for r in range(2, len(values) + 2):
            cell = ws.cell(row=r, column=col)
            cell.alignment = WRAP_TOP
            if fmt:
                cell.number_format = fmt
            elif isinstance(cell.value, datetime):
                cell.number_format = DATETIME_FORMAT
            elif isinstance(cell.value, date):
                cell.number_format = DATE_FORMAT
    last = get_column_letter(max(1, len(headings)))
    ws.auto_filter.ref = f"A1:{last}{len(values) + 1}"
    ws.freeze_panes = "A2"
    below = len(values) + 3
    if not values:
        ws.cell(row=2, column=1, value=empty)
        below = 4
    total = sum(column_widths)
    for note in notes:
        below = note_row(ws, below, note, len(headings), total) + 1
    if landscape is None:
        landscape = total > PORTRAIT_WIDTH
    print_setup(ws, info, landscape=landscape, title_rows="1:1")
    return ws


def note_row(ws: Worksheet, row: int, text: str, columns: int, width: float,
             *, font: Font | None = None) -> int:
    """A paragraph across the table's columns, wrapped, with a row height that shows it all
    (merged cells get no automatic height). Returns the row it used."""
    ws.cell(row=row, column=1, value=escape_formula(clean_text(text)))
    cell = ws.cell(row=row, column=1)
    cell.alignment = WRAP_TOP
    cell.font = font or Font(name=FONT_NAME, italic=True, size=9)
    if columns > 1:
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=columns)
    size = float(font.size) if font and font.size else 9.0
    lines = text_lines(text, width, size, bool(font and font.b))
    ws.row_dimensions[row].height = round(lines * size * 1.3 + 4, 1)
    return row


class Page:
    """Writes a printed page top to bottom on a sheet of fixed columns."""

    def __init__(self, ws: Worksheet, widths: Sequence[float]) -> None:
        self.ws = ws
        self.row = 1
        self.columns = len(widths)
        self.widths = list(widths)
        self.width = sum(widths)
        for i, w in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = w

    def text(self, text: str, *, size: float = 10, bold: bool = False, italic: bool = False,
             gap: int = 0) -> int:
        row = note_row(self.ws, self.row, text, self.columns, self.width,
                       font=Font(name=FONT_NAME, size=size, bold=bold, italic=italic))
        self.row = row + 1 + gap
        return row

    def header(self, headings: Sequence[str]) -> int:
        for col, h in enumerate(headings, start=1):
            c = self.ws.cell(row=self.row, column=col, value=h)
            c.font, c.fill, c.border = HEADER_FONT, HEADER_FILL, BOX
            c.alignment = Alignment(wrap_text=True, vertical="center")
        fit_row_height(self.ws, self.row, self.widths, bold=True)
        self.row += 1
        return self.row - 1

    def values(self, values: Sequence[Any], *, bold: bool = False,
               formats: dict[int, str] | None = None) -> int:
        for col, v in enumerate(values, start=1):
            c = self.ws.cell(row=self.row, column=col, value=cell_value(v))
            c.border = BOX
            c.alignment = Alignment(wrap_text=True, vertical="top")
            if bold:
                c.font = Font(name=FONT_NAME, bold=True)
            if formats and col in formats:
                c.number_format = formats[col]
        fit_row_height(self.ws, self.row, self.widths, bold=bold)
        self.row += 1
        return self.row - 1


def single_table_workbook(title: str, header: Sequence[str], rows: Iterable[Sequence[Any]],
                          info: PrintInfo, **kwargs: Any) -> Workbook:
    """A workbook of one printable table (score export, allocation)."""
    wb = Workbook()
    table_sheet(wb, title, header, rows, info, **kwargs)
    default = wb["Sheet"]
    wb.remove(default)
    return wb
