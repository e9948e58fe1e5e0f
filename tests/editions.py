"""Reading the editions back: the structure of a page (headings, tables, links), its CSV
downloads, and the text of a PDF page by page (poppler)."""

from __future__ import annotations

import base64
import csv
import io
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path


@dataclass
class TableSeen:
    caption: str = ""
    col_headers: list[tuple[str, str, str]] = field(default_factory=list)  # text, scope, class
    row_headers: int = 0
    rows: int = 0
    cells: list[tuple[str, str]] = field(default_factory=list)  # text, class


@dataclass
class PageSeen(HTMLParser):
    """What a page is made of, as a checker reads it."""

    lang: str = ""
    title: str = ""
    headings: list[tuple[int, str]] = field(default_factory=list)
    tables: list[TableSeen] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)  # href, download
    sources: list[str] = field(default_factory=list)  # src= / url( of anything
    scripts: int = 0
    text: list[str] = field(default_factory=list)
    _open: list[str] = field(default_factory=list)
    _cell: list[str] | None = None
    _cell_attrs: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self._open.append(tag)
        if tag == "html":
            self.lang = a.get("lang", "")
        if tag == "script":
            self.scripts += 1
        if "src" in a:
            self.sources.append(a["src"])
        if tag == "a":
            self.links.append((a.get("href", ""), a.get("download", "")))
        if tag == "table":
            self.tables.append(TableSeen())
        if tag in ("th", "td", "caption") or re.fullmatch(r"h[1-6]|title", tag):
            self._cell, self._cell_attrs = [], a
        if tag == "tr" and self.tables and "tbody" in self._open:
            self.tables[-1].rows += 1

    def handle_endtag(self, tag: str) -> None:
        if self._cell is not None and (tag in ("th", "td", "caption", "title")
                                       or re.fullmatch(r"h[1-6]", tag)):
            text = " ".join("".join(self._cell).split())
            a = self._cell_attrs
            if tag == "title":
                self.title = text
            elif tag.startswith("h") and tag[1:].isdigit():
                self.headings.append((int(tag[1]), text))
            elif tag == "caption":
                self.tables[-1].caption = text
            elif tag == "th" and a.get("scope") == "col":
                self.tables[-1].col_headers.append((text, "col", a.get("class", "")))
            elif tag == "th":
                assert a.get("scope") == "row", f"a th without scope: {text}"
                self.tables[-1].row_headers += 1
            else:
                self.tables[-1].cells.append((text, a.get("class", "")))
            self._cell = None
        while self._open and self._open.pop() != tag:
            pass

    def handle_data(self, data: str) -> None:
        if self._open and self._open[-1] == "style":
            return
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def read_page(path: Path) -> PageSeen:
    page = PageSeen()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def csv_downloads(page: PageSeen) -> dict[str, list[list[str]]]:
    """Every CSV the page offers as a download: file name -> rows."""
    out = {}
    for href, name in page.links:
        if name:
            prefix = "data:text/csv;charset=utf-8;base64,"
            assert href.startswith(prefix), href[:60]
            text = base64.b64decode(href[len(prefix):]).decode("utf-8")
            out[name] = list(csv.reader(io.StringIO(text)))
    return out


def pdf_tools_missing() -> str | None:
    for tool in ("pdftotext", "pdfinfo"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (apt-get install poppler-utils)"
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as exc:
        return f"WeasyPrint is not installed (pip install '.[pdf]'): {exc}"
    return None


def pdf_info(path: Path) -> dict[str, str]:
    done = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    return {k.strip(): v.strip() for k, _, v in
            (line.partition(":") for line in done.stdout.splitlines())}


def pdf_pages(path: Path) -> list[str]:
    done = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True)
    return done.stdout.split("\f")[:-1]
