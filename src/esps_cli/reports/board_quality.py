"""The Board pack's "Assessment quality" page (xlsx): can the Board rely on the assessments?

Each finding is one sentence a Board member understands with its figure beside it (agreement on
the decision, Krippendorff's alpha, the assessor pairs below the framework's level, the
calibration of the DCFAs on seed returns), from reports.quality.quality_statements, which the
HTML and PDF editions print too. The data is the report's `assessment_quality`.
"""

from __future__ import annotations

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from esps_cli.reports.printing import FONT_NAME, Page, PrintInfo, print_setup
from esps_cli.reports.quality import (
    CALIBRATION_COLUMNS,
    FLAGGED_COLUMNS,
    QUALITY_TITLE,
    Statement,
    calibration_shown_rows,
    flagged_rows,
    quality_notes,
    quality_statements,
)
from esps_cli.scoring.quality import AssessmentQuality

SHEET = "Assessment quality"
WIDTHS = [30, 16, 12, 12, 14, 16]
SIGNED = "+0.00;-0.00;0.00"


def _statement(page: Page, s: Statement) -> None:
    """The sentence across the first four columns, its figure beside it in the last two."""
    ws, row = page.ws, page.row
    c = ws.cell(row=row, column=1, value=s.sentence)
    c.font = Font(name=FONT_NAME, size=11)
    c.alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=4)
    f = ws.cell(row=row, column=5, value=s.figure)
    f.font = Font(name=FONT_NAME, size=12, bold=True)
    f.alignment = Alignment(wrap_text=True, vertical="top", horizontal="center")
    ws.merge_cells(start_row=row, start_column=5, end_row=row, end_column=6)
    width = sum(WIDTHS[:4])
    lines = max(-(-len(s.sentence) * 11 // int(width * 10)), s.figure.count("\n") + 1)
    ws.row_dimensions[row].height = round(lines * 14.5 + 4, 1)
    page.row += 2


def quality_sheet(wb: Workbook, quality: AssessmentQuality, info: PrintInfo,
                  names: dict[str, str]) -> None:
    """The page, after the exceptions: printed on one A4 page."""
    ws = wb.create_sheet(SHEET)
    page = Page(ws, WIDTHS)
    page.text(QUALITY_TITLE, size=14, bold=True, gap=1)
    heading = ""
    for s in quality_statements(quality, names):
        if s.heading != heading:
            page.text(s.heading, size=12, bold=True)
            heading = s.heading
        _statement(page, s)
        if s.table == "flagged" and quality.decision is not None:
            page.header(list(FLAGGED_COLUMNS))
            for row in flagged_rows(quality.decision, names):
                page.values(row, formats={5: '0"%"'})
            page.row += 1
        elif s.table == "calibration" and quality.calibration is not None:
            page.header(list(CALIBRATION_COLUMNS))
            for row in calibration_shown_rows(quality.calibration, names):
                page.values(row, bold="flagged" in str(row[-1]),
                            formats={4: SIGNED, 5: "0.00"})
            page.row += 1
    for note in quality_notes(quality):
        page.text(note, size=9, italic=True)
    print_setup(ws, info, one_page=True)
