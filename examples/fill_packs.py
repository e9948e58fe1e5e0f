"""Fill scoring packs (or moderation packs) as the assessors would, for the quick start.

    python examples/fill_packs.py PACKS_FOLDER [--scores examples/scores.csv]
    python examples/fill_packs.py MODERATION_FOLDER --moderate 3 --reason "Plan seen, not reviewed"

Scoring packs: each pack in the folder gets the scores examples/scores.csv gives its unit and
role (the pack's own identity says which: `<UNIT>_<role>_<ASSESSOR>_<CYCLE>.xlsx`), typed into
its Score (1-4) column, with the comment as the rationale; a score of 1 or 2 without a comment
gets a sample rationale, as the pack requires one. Moderation packs: every row gets the given
moderated score and reason. Packs are edited in place with openpyxl, finding cells through the
shared layout, as a person fills the yellow cells.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from esps_cli.workbook.layout import (  # noqa: E402
    MODERATION_TABLE,
    PACK_TABLE,
    RATIONALE_REQUIRED_BELOW,
    SHEET_PACK_META,
)

SAMPLE_RATIONALE = "The evidence listed does not yet show this happening in practice."


def _identity(wb: openpyxl.Workbook) -> dict[str, str]:
    meta = wb[SHEET_PACK_META]
    return {str(r[0]): str(r[1]) for r in meta.iter_rows(values_only=True) if r[0]}


def _columns(ws, table) -> dict[str, int]:
    header = [c.value for c in ws[table.header_row]]
    return {c.key: header.index(c.header) + 1 for c in table.columns}


def fill(path: Path, scores: dict[tuple[str, str, str], tuple[int, str]],
         moderate: tuple[int, str] | None) -> int:
    wb = openpyxl.load_workbook(path)
    ident = _identity(wb)
    table = MODERATION_TABLE if ident.get("pack_kind") == "moderation" else PACK_TABLE
    ws = wb[table.sheet]
    cols = _columns(ws, table)
    comment = "reason" if table is MODERATION_TABLE else "rationale"
    done = 0
    for row in range(table.first_data_row, ws.max_row + 1):
        indicator = ws.cell(row=row, column=cols["indicator"]).value
        if not indicator:
            continue
        if moderate is not None:
            value, text = moderate
        elif (ident["unit_code"], str(indicator), ident["role"]) in scores:
            value, text = scores[(ident["unit_code"], str(indicator), ident["role"])]
            if value < RATIONALE_REQUIRED_BELOW and not text:
                text = SAMPLE_RATIONALE
        else:
            continue
        ws.cell(row=row, column=cols["score"], value=value)
        if text:
            ws.cell(row=row, column=cols[comment], value=text)
        done += 1
    wb.save(path)
    return done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--scores", type=Path, default=ROOT / "examples" / "scores.csv")
    parser.add_argument("--moderate", type=int, help="moderated score for every row")
    parser.add_argument("--reason", default="", help="the moderation reason")
    args = parser.parse_args()
    scores: dict[tuple[str, str, str], tuple[int, str]] = {}
    with args.scores.open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            scores[(r["unit"], r["indicator"], r["role"])] = (int(r["score"]), r["comment"])
    moderate = (args.moderate, args.reason) if args.moderate is not None else None
    for path in sorted(args.folder.glob("*.xlsx")):
        n = fill(path, scores, moderate)
        if n:
            print(f"filled {n} row(s) of {path.name}")


if __name__ == "__main__":
    main()
