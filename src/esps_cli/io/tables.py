"""Reading a plain table (CSV, or the first sheet of an XLSX) as rows of stripped strings."""

from __future__ import annotations

import csv
from pathlib import Path

from esps_cli.errors import ConfigError
from esps_cli.io.xlsx import open_calamine


def read_rows(path: Path) -> list[list[str]]:
    """All rows of a CSV or the first sheet of an XLSX, as stripped strings."""
    if not path.exists():
        raise ConfigError(f"{path}: file not found")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        book = open_calamine(path)
        if not book.sheet_names:
            return []
        sheet = book.get_sheet_by_index(0)
        rows = sheet.to_python(skip_empty_area=False)
        return [[_cell_text(v) for v in row] for row in rows]
    if suffix not in (".csv", ".txt"):
        raise ConfigError(f"{path}: a list must be .csv or .xlsx")
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            return [[c.strip() for c in row] for row in csv.reader(fh)]
    except UnicodeDecodeError:
        with path.open(newline="", encoding="cp1252") as fh:
            return [[c.strip() for c in row] for row in csv.reader(fh)]


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
