"""Printing: every workbook this tool writes prints on A4 the same way (the one print helper).

Unit workbooks, scoring and moderation packs, marked-up copies, upgraded workbooks and every
report get their pages from `print_setup`: A4, the protective marking at the top and foot of
every page, a header naming the workbook and the sheet, a footer saying what made the page
(framework id and version, cycle, when) and "Page x of y". Kept here, below `reports/`, so
the unit's own workbooks can use it too.

Rows grow with their text: Calc does not size rows to their wrapped text when it opens an
.xlsx, so every row's height is set from its text and its columns' widths (`row_height`,
at most Excel's largest row, 409 pt). Column widths and line counts share one measure of a
character (a little wider than Calibri's or DejaVu Sans' average, as Calc prints them), so the
same file prints whole in Excel and Calc.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from openpyxl.cell.cell import Cell
from openpyxl.worksheet.header_footer import HeaderFooterItem
from openpyxl.worksheet.worksheet import Worksheet
from pydantic import BaseModel, Field

from esps_cli.domain.framework import Cycle, Framework
from esps_cli.io.safety import clean_text
from esps_cli.workbook.styles import fit_to_page

DEFAULT_CLASSIFICATION = "OFFICIAL"
MAX_ROW_HEIGHT = 409.0  # Excel's tallest row, in points
# The smallest scale a sheet printed across several pages uses: 11 pt text at 75% prints at
# 8.25 pt, never smaller than 8 pt.
READABLE_SCALE = 75


class PrintInfo(BaseModel):
    """What every printed page says about itself."""

    title: str
    classification: str = DEFAULT_CLASSIFICATION
    framework: str = ""  # e.g. "esps-mps 2010.1"
    cycle: str = ""  # e.g. "FY2010/11"
    run_at: datetime = Field(default_factory=lambda: datetime.now().replace(microsecond=0))
    edition: str = ""  # e.g. "Public edition"


def print_info(
    title: str,
    framework: Framework | None = None,
    cycle: Cycle | str | None = None,
    *,
    classification: str | None = None,
    run_at: datetime | None = None,
    edition: str = "",
) -> PrintInfo:
    """The page furniture for a workbook made from a framework and a cycle."""
    fields: dict[str, Any] = {
        "title": title,
        "classification": classification or DEFAULT_CLASSIFICATION,
        "framework": f"{framework.meta.id} {framework.meta.version}" if framework else "",
        "cycle": cycle.name if isinstance(cycle, Cycle) else (cycle or ""),
        "edition": edition,
    }
    if run_at is not None:
        fields["run_at"] = run_at.replace(microsecond=0)
    return PrintInfo(**fields)


def header_text(text: str) -> str:
    """Text for a header or footer: '&' starts a code there, so it is doubled."""
    return clean_text(text).replace("&", "&&")


def page_furniture(ws: Worksheet, info: PrintInfo, *, title: str | None = None) -> None:
    """The marking top and bottom, the header (title, sheet name) and the footer (what made
    the page, "Page x of y"). `title` is taken as header text already (placeholders kept)."""
    # openpyxl gives every sheet an odd-page header and footer, but the attributes allow None
    header = ws.oddHeader
    if header is None:
        header = ws.oddHeader = HeaderFooterItem()
    footer = ws.oddFooter
    if footer is None:
        footer = ws.oddFooter = HeaderFooterItem()
    marking = f"&B{header_text(info.classification)}&B"
    header.left.text = title if title is not None else header_text(
        " · ".join(p for p in (info.title, info.edition) if p))
    header.left.size = 8
    header.center.text = marking
    header.right.text = "&A"  # the sheet's name
    header.right.size = 8
    footer.left.text = marking
    made = f"run {info.run_at:%d/%m/%Y %H:%M}"
    footer.center.text = header_text(
        " · ".join(p for p in (info.framework, info.cycle, made) if p))
    footer.center.size = 8
    footer.right.text = "Page &P of &N"
    footer.right.size = 8


def print_setup(
    ws: Worksheet,
    info: PrintInfo,
    *,
    landscape: bool = False,
    title_rows: str | None = None,
    title_columns: str | None = None,
    one_page: bool = False,
    readable: bool = False,
    title: str | None = None,
) -> None:
    """A4, one page wide (and one page tall with `one_page`), `title_rows` (e.g. "1:1")
    repeated at the top of every page, the marking top and bottom, and the footer.

    `readable`: a sheet too wide for one page is not shrunk to fit but printed at
    READABLE_SCALE across as many pages as it takes, left to right then down, with
    `title_columns` (e.g. "A:A") repeated on every page."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    if readable:
        ws.page_setup.scale = READABLE_SCALE
        ws.page_setup.pageOrder = "overThenDown"
        if ws.sheet_properties.pageSetUpPr is not None:
            ws.sheet_properties.pageSetUpPr.fitToPage = False
    else:
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 1 if one_page else 0
        fit_to_page(ws)
    ws.print_options.gridLines = False
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.75
    ws.page_margins.header = ws.page_margins.footer = 0.3
    if title_rows:
        ws.print_title_rows = title_rows
    if title_columns:
        ws.print_title_cols = title_columns
    page_furniture(ws, info, title=title)


# -- rows that grow with their text ---------------------------------------------------------


def _char_width(ch: str) -> float:
    """A character's width in column-width units (the width of "0") of 11 pt Calibri,
    rounded up (Calc prints it in Carlito, of the same widths)."""
    if ch == " ":
        return 0.45
    if ch in "iljtfrI.,;:'!|()[]":
        return 0.55
    if ch in "mwMW@%":
        return 1.6
    if ch.isdigit() or ch in "_-\\/":
        return 1.0
    if ch.isupper():
        return 1.2
    if ch.islower():
        return 0.92
    return 1.0 if ord(ch) < 0x2E80 else 2.0  # CJK and the like take two


def _word_width(word: str) -> float:
    return sum(_char_width(ch) for ch in word)


def _paragraph_lines(text: str, room: float) -> int:
    """Lines of one paragraph word-wrapped into `room` units (a word longer than a line is
    broken across lines, as Excel and Calc do)."""
    lines, used = 1, 0.0
    for word in text.split(" "):
        width = _word_width(word)
        if used and used + 0.45 + width <= room:
            used += 0.45 + width
            continue
        if used:
            lines += 1
        while width > room:
            lines += 1
            width -= room
        used = width
    return lines


def text_lines(value: Any, width: float, size: float = 11, bold: bool = False) -> int:
    """How many lines a value takes wrapped in a column of `width` (word wrap, as Excel and
    Calc do it, measured with each character's width so digits and capitals are not
    undercounted)."""
    if value is None:
        return 1
    text = value if isinstance(value, str) else str(value)
    scale = (size / 11) * (1.1 if bold else 1.0)
    room = max(1.0, (width - 1) / scale)
    return sum(_paragraph_lines(part, room) for part in text.splitlines() or [""])


def row_height(values: Sequence[Any], widths: Sequence[float], *, size: float = 11,
               bold: bool = False) -> float:
    """The height (points) that shows every value of a row wrapped in its column, at most
    MAX_ROW_HEIGHT; one line's height when nothing wraps."""
    lines = max((text_lines(v, w, size, bold) for v, w in zip(values, widths, strict=False)),
                default=1)
    return min(MAX_ROW_HEIGHT, round(lines * size * 1.25 + 3, 1))


def fit_row_height(ws: Worksheet, row: int, widths: Sequence[float], *, size: float = 11,
                   bold: bool = False, minimum: float = 0) -> None:
    """Set a row's height to show all its wrapped text (and at least `minimum`). Calc does
    not size rows itself when it opens an .xlsx, and without this wrapped lines print over
    each other or are cut."""
    values = [ws.cell(row=row, column=i).value for i in range(1, len(widths) + 1)]
    height = max(minimum, row_height(values, widths, size=size, bold=bold))
    if height > size * 1.25 + 3 or minimum:
        ws.row_dimensions[row].height = min(MAX_ROW_HEIGHT, height)


def same_furniture(ws: Worksheet, model: Worksheet) -> None:
    """Give a sheet added to a workbook the header and footer its other pages carry."""
    for name in ("oddHeader", "oddFooter"):
        source, target = getattr(model, name), getattr(ws, name)
        if source is None or target is None:
            continue
        for part in ("left", "center", "right"):
            setattr(target, part, getattr(source, part))


def held_cells(ws: Worksheet) -> list[Cell]:
    """The cells a sheet holds, in row order. Not iter_rows: that makes every cell of the
    rectangle up to the furthest one (a cell at CZ199999 would be 20 million)."""
    return [c for key in sorted(ws._cells) if isinstance(c := ws._cells[key], Cell)]


def grow_rows_to_text(ws: Worksheet, first_row: int) -> None:
    """Make every row from `first_row` down tall enough for the text of its wrapped cells
    (never shorter than it was): a unit's typed narrative shown whole on screen and in
    print."""
    widths: dict[str, float] = {}
    by_row: dict[int, tuple[list[Any], list[float]]] = {}
    for cell in held_cells(ws):
        if cell.row < first_row or cell.value is None or not (
                cell.alignment and cell.alignment.wrap_text):
            continue
        letter = cell.column_letter
        if letter not in widths:
            dim = ws.column_dimensions.get(letter)
            widths[letter] = float(dim.width) if dim is not None and dim.width else 8.43
        values, row_widths = by_row.setdefault(cell.row, ([], []))
        values.append(cell.value)
        row_widths.append(widths[letter])
    for r, (values, row_widths) in by_row.items():
        needed = row_height(values, row_widths)
        current = ws.row_dimensions[r].height if r in ws.row_dimensions else None
        if current is None or needed > current:
            ws.row_dimensions[r].height = needed
