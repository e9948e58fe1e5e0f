"""Lines of text for people, built once and written in bulk.

A report is a list of lines, each a few spans of (text, style). On a colour terminal the
spans become rich Text, printed a block at a time; anywhere else (a pipe, a file, NO_COLOR, a
terminal without colour) the lines are written as plain text in one go: printing line by line
through rich's markup is far too slow for the hundreds of thousands of lines of a large batch.

Also here: gathering findings that say the same thing about many rows into one line with the
count and the first places (`repeated`), used by every text report.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TypeVar

from rich.console import Console, ConsoleOptions, RenderResult
from rich.text import Text

from esps_cli.findings.groups import COLLAPSE_AT, repeated, shape
from esps_cli.io.output import plain

__all__ = ["COLLAPSE_AT", "repeated", "shape"]  # gathering findings: findings/groups.py

T = TypeVar("T")
Span = tuple[str, str]  # (text, rich style; "" for none)

# How many of the places a collapsed line names before "…".
FIRST_PLACES = 3
_BLOCK = 2000  # lines per rich print on a terminal


class Lines:
    """A report's lines, in order; write() sends them to a console."""

    def __init__(self) -> None:
        self.lines: list[tuple[Span, ...]] = []

    def add(self, *spans: str | Span) -> None:
        """One line: each span plain text, or (text, style). Text is made safe here (control
        characters removed), so callers pass free text as it is."""
        self.lines.append(tuple(
            (plain(s), "") if isinstance(s, str) else (plain(s[0]), s[1]) for s in spans))

    def blank(self) -> None:
        self.lines.append(())

    def text(self) -> str:
        """The lines as plain text."""
        return "".join("".join(t for t, _ in line) + "\n" for line in self.lines)

    def write(self, console: Console) -> None:
        if styled(console):
            for start in range(0, len(self.lines), _BLOCK):
                block = [Text.assemble(*line) for line in self.lines[start:start + _BLOCK]]
                console.print(Text("\n").join(block), soft_wrap=True, highlight=False,
                              markup=False)
            return
        console.file.write(self.text())
        console.file.flush()


def styled(console: Console) -> bool:
    """Whether to colour: a terminal that shows colour, and NO_COLOR not set."""
    return console.is_terminal and console.color_system is not None and not console.no_color


def table(header: Sequence[str], rows: Sequence[Sequence[str | Span]], *,
          right: Sequence[str] = ()) -> list[tuple[str | Span, ...]]:
    """A table as lines of aligned columns (a header, a rule, the rows): unlike a rich Table,
    it costs no measuring of every cell, and a long file name is never folded."""
    def text_of(cell: str | Span) -> str:
        return cell if isinstance(cell, str) else cell[0]

    widths = [len(h) for h in header]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(text_of(cell)))

    def line(cells: Sequence[str | Span], style: str = "") -> tuple[str | Span, ...]:
        out: list[str | Span] = []
        for i, cell in enumerate(cells):
            text = text_of(cell)
            pad = " " * (widths[i] - len(text))
            if i:
                out.append("  ")
            if header[i] in right:
                out.append(pad)
            out.append((text, style if isinstance(cell, str) else cell[1]))
            if header[i] not in right and i < len(cells) - 1:
                out.append(pad)
        return tuple(out)

    return [line(header, "bold"), tuple(["  ".join("-" * w for w in widths)]),
            *(line(row) for row in rows)]


# -- tables that fit the width, words kept whole ---------------------------------------------

_WORD_PIECES = re.compile(r"[^_/\\-]*[_/\\-]+|[^_/\\-]+")


def _pieces(word: str) -> list[str]:
    """A word cut only after _ - / or \\: where a file name or code may go to the next line
    and still read as one."""
    return _WORD_PIECES.findall(word) or [word]


def wrap_words(text: str, width: int) -> list[str]:
    """Text in lines of at most width characters, broken between words, or after _ - / in a
    long name; never inside a word (a piece longer than width gets a line of its own)."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        for n, piece in enumerate(_pieces(word)):
            glue = "" if n or not line else " "
            if line and len(line) + len(glue) + len(piece) > width:
                lines.append(line)
                line, glue = "", ""
            line += glue + piece
    return [*lines, line] if line or not lines else lines


def _fit(natural: list[int], least: list[int], room: int) -> list[int]:
    """Column widths: each as wide as its content, the widest shrinking first while the total
    is over room, none below its longest piece."""
    widths = list(natural)
    while sum(widths) > room:
        slack = [(w - m, w, i) for i, (w, m) in enumerate(zip(widths, least, strict=True))
                 if w > m]
        if not slack:
            break
        widths[max(slack)[2]] -= 1
    return widths


def fitted_table(header: Sequence[str], rows: Sequence[Sequence[str | Span]], width: int, *,
                 right: Sequence[str] = (), whole: Sequence[str] = ()
                 ) -> list[tuple[str | Span, ...]]:
    """The lines of a table of aligned columns (a header, a rule, the rows) that fits in
    width: a cell too long for its column goes on over more lines, broken between words
    (wrap_words), so no name is cut in the middle of a word. The words of the columns named
    in whole (a date) are not broken after _ - / either, while the width allows."""
    def text_of(cell: str | Span) -> str:
        return cell if isinstance(cell, str) else cell[0]

    columns = range(len(header))
    natural = [max([len(header[i]), *(len(text_of(r[i])) for r in rows)]) for i in columns]
    least = [max(len(p) for cell in [header[i], *(text_of(r[i]) for r in rows)]
                 for w in (cell.split() or [""])
                 for p in ([w] if header[i] in whole else _pieces(w))) for i in columns]
    widths = _fit(natural, least, width - 2 * (len(header) - 1))

    def lines(cells: Sequence[str | Span], style: str = "") -> list[tuple[str | Span, ...]]:
        wrapped = [wrap_words(text_of(c), widths[i]) for i, c in enumerate(cells)]
        out: list[tuple[str | Span, ...]] = []
        for n in range(max(len(w) for w in wrapped)):
            parts: list[str | Span] = []
            for i, cell in enumerate(cells):
                text = wrapped[i][n] if n < len(wrapped[i]) else ""
                pad = " " * (widths[i] - len(text))
                parts.append("  " if i else "")
                parts.append(pad if header[i] in right else "")
                parts.append((text, style if isinstance(cell, str) else cell[1]))
                parts.append("" if header[i] in right else pad)
            out.append(tuple(parts))
        return out

    body = [line for row in rows for line in lines(row)]
    return [*lines(header, "bold"), ("  ".join("-" * w for w in widths),), *body]


class FittedTable:
    """A table that rich prints at the console's width as fitted_table lines, under a bold
    title; trailing spaces dropped, styles shown only where the console shows them."""

    def __init__(self, title: str, header: Sequence[str],
                 rows: Sequence[Sequence[str | Span]], *, right: Sequence[str] = (),
                 whole: Sequence[str] = ()) -> None:
        self.title, self.header, self.rows, self.right = title, header, rows, right
        self.whole = whole

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        lines = fitted_table(self.header, self.rows, options.max_width, right=self.right,
                             whole=self.whole)
        if self.title:
            yield Text(plain(self.title), style="bold")
        for line in lines:
            text = Text.assemble(*((plain(p), "") if isinstance(p, str) else (plain(p[0]), p[1])
                                   for p in line))
            text.rstrip()
            text.no_wrap = True
            yield text


# -- the same thing said many times ------------------------------------------------------

def first_places(places: Sequence[str], limit: int = FIRST_PLACES) -> str:
    """'E6, E7, E8, …': the first few places of a collapsed line."""
    shown = [p for p in places[:limit] if p]
    return ", ".join(shown) + (", …" if len(places) > limit else "")
