"""Reading a plain table (CSV, or the first sheet of an XLSX) as rows of stripped strings,
and finding its columns by their headings. No ESPS knowledge: callers name the columns."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from esps_cli.errors import ConfigError
from esps_cli.io.xlsx import open_calamine, sheet_rows

# A comment or narrative can be long; a field beyond this is damage, not content.
MAX_FIELD_CHARS = 1_000_000
MAX_TABLE_BYTES = 200 * 1024 * 1024
DELIMITERS = (",", ";", "\t")


def read_rows(path: Path) -> list[list[str]]:
    """All rows of a CSV or the first sheet of an XLSX, as stripped strings."""
    if not path.exists():
        raise ConfigError(f"{path}: file not found")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        book = open_calamine(path)
        if not book.sheet_names:
            return []
        rows = sheet_rows(book, path, 0)
        return [[_cell_text(v) for v in row] for row in rows]
    if suffix not in (".csv", ".txt"):
        raise ConfigError(f"{path}: a list must be .csv or .xlsx")
    if not path.is_file():
        raise ConfigError(f"{path}: not a file")
    if path.stat().st_size > MAX_TABLE_BYTES:
        raise ConfigError(f"{path}: {path.stat().st_size:,} bytes is far too large for a list")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the file: {exc.strerror}") from None
    return [[c.strip() for c in row] for row in csv_rows(data, str(path))]


def decode_text(data: bytes) -> str:
    """Text of a CSV saved by Excel or LibreOffice: UTF-8 (with or without BOM), UTF-16 with a
    BOM ("Unicode text"), or Windows-1252 (Excel's "CSV" on a UK desktop)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def sniff_delimiter(text: str) -> str:
    """The separator of a CSV: comma, or semicolon or tab as European Excel and "Text (Tab
    delimited)" save it, judged by the header line."""
    header = text.split("\n", 1)[0]
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def csv_rows(data: bytes, name: str) -> list[list[str]]:
    """The rows of a CSV file's bytes; a malformed file is a ConfigError naming the row."""
    return list(csv_row_stream(data, name))


def csv_row_stream(data: bytes, name: str) -> Iterator[list[str]]:
    """csv_rows one row at a time (a file of 464,000 rows need not be in memory as rows at
    once); the ConfigError for a malformed row comes when that row is reached."""
    text = decode_text(data)
    if "\x00" in text:
        raise ConfigError(f"{name}: this is not a text (CSV) file: it holds binary data")
    return _stream(csv.reader(_lines(text), delimiter=sniff_delimiter(text)), name)


_BLOCK = 1 << 20  # characters of a CSV's text turned into lines at a time


def _lines(text: str) -> Iterator[str]:
    """The text's lines as io.StringIO(text, newline="") gives them, a block at a time: a
    StringIO of the whole text holds 4 bytes a character (64 MB for 464,000 rows). Blocks end
    just after a "\n", so no line (nor a "\r\n") is cut; the csv reader joins a quoted
    cell's lines across blocks as within one."""
    start = 0
    while start < len(text):
        end = text.find("\n", start + _BLOCK)
        end = len(text) if end < 0 else end + 1
        yield from io.StringIO(text[start:end], newline="")
        start = end


def _stream(reader: Any, name: str) -> Iterator[list[str]]:
    limit = csv.field_size_limit()
    csv.field_size_limit(MAX_FIELD_CHARS)
    try:
        yield from reader
    except csv.Error as exc:
        raise ConfigError(
            f"{name}: row {reader.line_num}: the CSV cannot be read ({exc}); check the quotes "
            "in that row, and that no cell holds more than "
            f"{MAX_FIELD_CHARS:,} characters"
        ) from None
    finally:
        csv.field_size_limit(limit)


def map_columns(
    header: list[str], wanted: Mapping[str, Iterable[str]], required: Iterable[str]
) -> tuple[dict[str, int], list[str]]:
    """Each wanted column's index, found by any of its accepted headings (case-insensitive),
    and the problems with the header row: required columns missing, or a column given twice
    (which of two "score" columns would count?)."""
    norm = [h.strip().casefold() for h in header]
    found: dict[str, int] = {}
    problems: list[str] = []
    for key, aliases in wanted.items():
        hits = [i for i, h in enumerate(norm) if h in set(aliases)]
        if len(hits) > 1:
            cols = ", ".join(f"{_column_letter(i)} ({header[i].strip()!r})" for i in hits)
            problems.append(f"row 1: column {key!r} is given {len(hits)} times, in {cols}; "
                            "keep one and delete or rename the others")
        if hits:
            found[key] = hits[0]
    for key in required:
        if key not in found:
            accepted = ", ".join(wanted[key])
            problems.append(f"row 1: missing column {key!r} (accepted headers: {accepted})"
                            + _separator_hint(header))
    return found, problems


def _separator_hint(header: list[str]) -> str:
    if len(header) == 1 and any(sep in header[0] for sep in ("|", ":")):
        return "; the header is one cell: save the file as comma-separated (CSV)"
    return ""


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
