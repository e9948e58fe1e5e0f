"""The styles every workbook esps writes shares (unit workbooks, scoring and moderation packs).

Kept beside the layout rather than in it: the layout is read by the validator, which must not
import openpyxl (tests/test_startup.py).
"""

from copy import copy

from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.styles.styleable import StyleableObject
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

DATE_FORMAT = "DD/MM/YYYY"
TITLE = Font(bold=True, size=14, color="1F3864")
SUBTITLE = Font(italic=True, size=10, color="404040")
BOLD = Font(bold=True)
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F3864")
LOCKED_FILL = PatternFill("solid", fgColor="EDEDED")
INPUT_FILL = PatternFill("solid", fgColor="FFF9DB")
THIN = Side(style="thin", color="BFBFBF")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP_TOP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")
UNLOCKED = Protection(locked=False)


def fit_to_page(ws: Worksheet) -> None:
    """Turn on fit-to-page printing, which makes the page setup's fitToWidth/fitToHeight count."""
    setup = ws.sheet_properties.pageSetUpPr
    if setup is None:  # openpyxl gives every sheet one, but the attribute allows None
        setup = ws.sheet_properties.pageSetUpPr = PageSetupProperties()
    setup.fitToPage = True


# A cell's whole style is openpyxl's private style array: copying it to other cells is much
# faster than setting fill, font and border cell by cell. The attribute is in openpyxl's
# __slots__ but missing from its stub, hence the two ignores.
def style_of(cell: StyleableObject) -> StyleArray:
    """A copy of the cell's whole style, to give other cells with set_style."""
    style: StyleArray = cell._style  # type: ignore[attr-defined]  # missing from the stub
    return copy(style)


def set_style(cell: StyleableObject, style: StyleArray) -> None:
    cell._style = copy(style)  # type: ignore[attr-defined]  # missing from the stub
