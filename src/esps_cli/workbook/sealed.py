"""What the sealed workbooks (scoring and moderation packs, challenge forms) share: data
written as data, the very hidden identity sheet import checks, and the locked save."""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.worksheet import Worksheet

from esps_cli import __version__
from esps_cli.io.safety import clean_text
from esps_cli.workbook.generate import _style_row, fit_table_row
from esps_cli.workbook.layout import Table


def put_value(ws: Worksheet, row: int, col: int, value: Any) -> None:
    """Write a value as data: text that starts with "=" stays text, never a formula."""
    cell = ws.cell(row=row, column=col, value=clean_text(value) if isinstance(value, str)
                   else value)
    if isinstance(value, str):
        cell.data_type = "s"


def put_table_row(ws: Worksheet, table: Table, row: int, values: Mapping[str, Any]) -> None:
    """One row of a table: its read-only cells written, styled, and grown to their text."""
    for col, column in enumerate(table.columns, start=1):
        if not column.is_input:
            put_value(ws, row, col, values[column.key])
    _style_row(ws, table, row)
    fit_table_row(ws, table, row, dict(values))


def identity_sheet(wb: Workbook, sheet: str, keys: tuple[str, ...],
                   values: Mapping[str, Any]) -> Worksheet:
    """The very hidden sheet of key/value pairs that says what the workbook is and for whom."""
    meta: Worksheet = wb.create_sheet(sheet)
    for row, key in enumerate(keys, start=1):
        put_value(meta, row, 1, key)
        put_value(meta, row, 2, str(values[key]))
    meta.sheet_state = "veryHidden"
    return meta


def sealed_bytes(wb: Workbook, title: str, generated_at: datetime) -> bytes:
    """The workbook with its structure locked, opening on its first sheet, as .xlsx bytes."""
    wb.security = WorkbookProtection(lockStructure=True)
    wb.active = 0
    wb.properties.title = title
    wb.properties.creator = f"esps-cli {__version__}"
    wb.properties.created = generated_at
    wb.properties.modified = generated_at
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
