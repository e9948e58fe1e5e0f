"""Scoring packs in tests: putting a unit's return on record, and filling a pack as an assessor
would (with openpyxl, finding cells through the shared layout)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import openpyxl

from esps_cli.register import Register
from esps_cli.scoring.pack_store import PackIssue, record_pack
from esps_cli.workbook.layout import (
    MODERATION_FIELDS,
    MODERATION_TABLE,
    PACK_FIELDS,
    PACK_TABLE,
    SHEET_PACK_META,
    Table,
    cell_ref,
)

from .conftest import CYCLE


def record_returns(reg: Register, units: Iterable[str], cycle: str = CYCLE) -> None:
    """Put each unit's return on record, as issuing its scoring packs does (the scores of a
    unit with no readable return on record are refused)."""
    for code in units:
        record_pack(reg, PackIssue(
            pack_id=f"test-{cycle}-{code}", kind="scoring", cycle=cycle, unit=code,
            role="linked", assessor="-", file="-", return_source=f"{code}.xlsx",
            return_sha256="0" * 64))


def _table(ws: Any) -> Table:
    return MODERATION_TABLE if ws.title == MODERATION_TABLE.sheet else PACK_TABLE


def pack_cells(path: Path) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    """Identity field rows by key, data rows by indicator, columns by key (found by labels)."""
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    table = _table(ws)
    fields_def = MODERATION_FIELDS if table is MODERATION_TABLE else PACK_FIELDS
    labels = {f.label: f.key for f in fields_def}
    fields = {labels[ws.cell(row=r, column=1).value]: r
              for r in range(1, table.header_row) if ws.cell(row=r, column=1).value in labels}
    header = [ws.cell(row=table.header_row, column=c).value
              for c in range(1, len(table.columns) + 1)]
    assert header == list(table.headers)
    columns = {c.key: i for i, c in enumerate(table.columns, start=1)}
    rows = {ws.cell(row=r, column=1).value: r
            for r in range(table.first_data_row, ws.max_row + 1)
            if ws.cell(row=r, column=1).value and r < table.first_data_row + 500}
    return fields, rows, columns


def fill_pack(path: Path, scores: dict[str, tuple[Any, Any]], *,
              identity: dict[str, Any] | None = None,
              hidden: dict[str, Any] | None = None) -> dict[tuple[str, str], str]:
    """Type scores (and rationales, or moderation reasons) into a pack as its assessor would,
    and optionally change identity cells (shown or hidden); returns the cells used.

    scores: {indicator: (score, rationale)}; None leaves a cell as it is.
    """
    fields, rows, columns = pack_cells(path)
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    comment = "reason" if _table(ws) is MODERATION_TABLE else "rationale"
    used: dict[tuple[str, str], str] = {}
    for ind, (score, text) in scores.items():
        for key, value in (("score", score), (comment, text)):
            ref = cell_ref(rows[ind], columns[key])
            used[(ind, key)] = ref
            if value is not None:
                ws[ref] = value
    for key, value in (identity or {}).items():
        ws.cell(row=fields[key], column=2, value=value)
        used[("field", key)] = cell_ref(fields[key], 2)
    meta = wb[SHEET_PACK_META]
    for key, value in (hidden or {}).items():
        row = next(r for r in range(1, meta.max_row + 1) if meta.cell(row=r, column=1).value == key)
        meta.cell(row=row, column=2, value=value)
        used[("hidden", key)] = f"B{row}"
    wb.save(path)
    return used
