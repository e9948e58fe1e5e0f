"""Filling scoring and moderation packs as assessors would: the sample scores of `esps demo`
and the bundled examples' scores.csv typed into the Score column of each pack, with openpyxl,
finding cells through the shared layout."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
from openpyxl.worksheet.worksheet import Worksheet

from esps_cli.workbook.layout import (
    MODERATION_TABLE,
    PACK_TABLE,
    RATIONALE_REQUIRED_BELOW,
    SHEET_PACK_META,
    Table,
)

SAMPLE_RATIONALE = "The evidence listed does not yet show this happening in practice."

# (unit, indicator, role) -> (score, comment)
SampleScores = dict[tuple[str, str, str], tuple[int, str]]


def load_sample_scores(path: Path) -> SampleScores:
    """Scores from a CSV with columns unit, indicator, role, score, comment."""
    with path.open(encoding="utf-8", newline="") as fh:
        return {(r["unit"], r["indicator"], r["role"]): (int(r["score"]), r["comment"] or "")
                for r in csv.DictReader(fh)}


def _columns(ws: Worksheet, table: Table) -> dict[str, int]:
    header = [c.value for c in ws[table.header_row]]
    return {c.key: header.index(c.header) + 1 for c in table.columns}


def fill_sample_pack(path: Path, scores: SampleScores,
                     moderate: tuple[int, str] | None = None) -> int:
    """Type into one pack, in place, the scores `scores` gives its unit and role (the pack's
    hidden identity says which), with the comment as rationale; a score of 1 or 2 without a
    comment gets a sample rationale, as the pack requires one. A moderation pack (or any pack
    with `moderate`) gets that (score, reason) on every row. Returns the rows filled."""
    wb = openpyxl.load_workbook(path)
    ident = {str(r[0]): str(r[1]) for r in wb[SHEET_PACK_META].iter_rows(values_only=True)
             if r[0]}
    table = MODERATION_TABLE if ident.get("pack_kind") == "moderation" else PACK_TABLE
    ws = wb[table.sheet]
    cols = _columns(ws, table)
    comment = "reason" if table is MODERATION_TABLE else "rationale"
    done = 0
    for row in range(table.first_data_row, ws.max_row + 1):
        indicator = ws.cell(row=row, column=cols["indicator"]).value
        if not indicator:
            continue
        key = (ident.get("unit_code", ""), str(indicator), ident.get("role", ""))
        if moderate is not None:
            value, text = moderate
        elif key in scores:
            value, text = scores[key]
            if value < RATIONALE_REQUIRED_BELOW and not text:
                text = SAMPLE_RATIONALE
        else:
            continue
        ws.cell(row=row, column=cols["score"], value=value)
        if text:
            ws.cell(row=row, column=cols[comment], value=text)
        done += 1
    if done:
        wb.save(path)
    return done


def fill_sample_packs(folder: Path, scores: SampleScores,
                      moderate: tuple[int, str] | None = None) -> dict[Path, int]:
    """fill_sample_pack on every pack in a folder; the packs filled and their rows filled."""
    filled = {path: fill_sample_pack(path, scores, moderate)
              for path in sorted(folder.rglob("*.xlsx"))}  # packs per assessor: subfolders
    return {path: n for path, n in filled.items() if n}
