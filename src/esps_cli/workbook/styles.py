"""The styles every workbook esps writes shares (unit workbooks, scoring and moderation packs).

Kept beside the layout rather than in it: the layout is read by the validator, which must not
import openpyxl (tests/test_startup.py).
"""

from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
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
