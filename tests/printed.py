"""Print workbooks as LibreOffice Calc does (headless, to PDF) and read the pages back.

Used by the tests of every workbook the tool writes: how many pages, which sheet each page
belongs to (the page header names it), whether a table's headings are on every one of its
pages, and whether any cell's text is missing from the printed pages (cut by a narrow column,
hidden under a row that is too short, shown as ###).

Needs soffice (LibreOffice) and pdftotext/pdfinfo (poppler-utils); `missing_tools` says
which is absent so the tests can skip with the reason.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.worksheet.worksheet import Worksheet

SOFFICE = shutil.which("soffice")
TIMEOUT = 240


def missing_tools() -> str | None:
    if SOFFICE is None:
        return "LibreOffice is not installed (no soffice on PATH)"
    for tool in ("pdftotext", "pdfinfo"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (apt-get install poppler-utils)"
    return None


def render(workbooks: list[Path], out: Path) -> dict[Path, Path]:
    """Each workbook printed to PDF by one headless LibreOffice run (its own profile, so
    parallel test workers do not collide). Returns workbook -> PDF."""
    out.mkdir(parents=True, exist_ok=True)
    profile = Path(f"/tmp/lo-outputs-{os.getpid()}")
    subprocess.run(
        [SOFFICE or "soffice", f"-env:UserInstallation=file://{profile}", "--headless",
         "--convert-to", "pdf", "--outdir", str(out), *map(str, workbooks)],
        check=True, capture_output=True, timeout=TIMEOUT,
    )
    pdfs = {wb: out / f"{wb.stem}.pdf" for wb in workbooks}
    missing = [str(wb) for wb, pdf in pdfs.items() if not pdf.exists()]
    assert not missing, f"LibreOffice printed no PDF for {missing}"
    return pdfs


@dataclass
class Page:
    number: int
    sheet: str
    layout: str  # pdftotext -layout: lines as they sit on the page
    words: set[str] = field(default_factory=set)
    size: str = ""


def _text(pdf: Path, page: int, *mode: str) -> str:
    return subprocess.run(["pdftotext", *mode, "-f", str(page), "-l", str(page), str(pdf), "-"],
                          check=True, capture_output=True, text=True).stdout


def words_of(raw: str) -> set[str]:
    """The words on a page. Calc breaks a long word after a hyphen or a slash (or a
    backslash, in a path); in raw order the rest follows on the next line, so the two halves
    are joined again."""
    joined = re.sub(r"([-/\\])\n", r"\1", raw)
    return set(joined.split())


def _sheet_of(layout: str, sheets: list[str]) -> str:
    """The sheet a page belongs to: the page header ends with its name (&A)."""
    head = [ln.strip() for ln in layout.splitlines() if ln.strip()][:3]
    for line in head:
        for name in sorted(sheets, key=len, reverse=True):
            if line.endswith(name):
                return name
    return ""


def pages(pdf: Path, sheets: list[str]) -> list[Page]:
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "9999", str(pdf)], check=True,
                          capture_output=True, text=True).stdout
    sizes = re.findall(r"^Page\s+\d+ size:\s+(.*)$", info, re.MULTILINE)
    out = []
    for number, size in enumerate(sizes, start=1):
        layout = _text(pdf, number, "-layout")
        out.append(Page(number, _sheet_of(layout, sheets), layout,
                        words_of(_text(pdf, number, "-raw")), size))
    return out


def shown(cell_value: Any, number_format: str) -> str:
    """A cell's value as Calc prints it with the formats this tool uses."""
    v = cell_value
    if isinstance(v, datetime):
        return v.strftime("%d/%m/%Y %H:%M") if "HH" in number_format.upper() \
            else v.strftime("%d/%m/%Y")
    if isinstance(v, date):
        return v.strftime("%d/%m/%Y")
    if isinstance(v, float | int) and not isinstance(v, bool):
        decimals = number_format.split(".")[1].count("0") if "." in number_format else None
        if decimals is not None:
            text = f"{v:.{decimals}f}"
        elif number_format.startswith("0"):
            text = f"{v:.0f}"
        else:
            text = f"{v:g}" if isinstance(v, float) else str(v)
        return text + ("%" if "%" in number_format else "")
    return str(v)


def headings(ws: Worksheet) -> list[str]:
    """The headings that print on every page: the sheet's print title rows, or where the
    sheet is printed across pages with title columns, the headings of those columns."""
    titles = ws.print_title_rows
    if not titles:
        return []
    first = int(titles.split(":")[0].lstrip("$"))
    cells = [c for c in ws[first] if c.value is not None]
    if ws.print_title_cols:
        last = ws.print_title_cols.split(":")[-1].lstrip("$")
        cells = [c for c in cells if len(c.column_letter) <= len(last)
                 and c.column_letter <= last]
    return [str(c.value) for c in cells]


def problems(xlsx: Path, pdf: Path) -> list[str]:
    """What is wrong with a printed workbook: a page that is not A4, a page of a table
    without its headings, a cell whose text is not on its sheet's pages."""
    wb = openpyxl.load_workbook(xlsx)
    printed = pages(pdf, wb.sheetnames)
    found: list[str] = []
    for p in printed:
        if "(A4)" not in p.size:
            found.append(f"page {p.number} is not A4: {p.size}")
    for ws in wb.worksheets:
        if ws.sheet_state != "visible":
            continue  # hidden sheets are not printed
        own = [p for p in printed if p.sheet == ws.title]
        if not own:
            found.append(f"sheet {ws.title!r} printed no page")
            continue
        for heading in headings(ws):
            for p in own:
                missing = [w for w in heading.split() if w not in p.words]
                if missing:
                    found.append(f"{ws.title!r} page {p.number}: heading {heading!r} missing")
        words = set().union(*(p.words for p in own))
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is None or ws.row_dimensions[cell.row].hidden:
                    continue  # a folded row (a group's detail) is not printed
                text = shown(cell.value, cell.number_format)
                lost = [w for w in text.split() if w not in words]
                if lost:
                    found.append(f"{ws.title}!{cell.coordinate}: {lost[:3]} not printed "
                                 f"(of {text[:60]!r})")
    return found
