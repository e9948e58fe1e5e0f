"""Terminal and machine output shared by every command.

Human output goes through rich (colour drops away when piped, and NO_COLOR is honoured);
machine output is JSON or CSV of the same report models the library returns. Every CSV and
every report workbook escapes text a spreadsheet would run as a formula.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from esps_cli.io.safety import (
    CONTROL_CHARACTERS,
    atomic_write,
    clean_text,
    display_name,
    escape_formula,
)

if TYPE_CHECKING:
    from openpyxl import Workbook

    from esps_cli.io.console import SafeConsole

# Every command imports this module, `esps --version` included: openpyxl and pydantic are
# imported inside the functions that need them, so start-up stays fast.

class LazyConsole:
    """A SafeConsole (io.console) made when first used: rich is imported then, not at every
    start, and a command that prints only JSON or CSV (`validate --format json` over a
    folder) never imports it. Asking whether it writes to a terminal answers without rich
    when it plainly does not (a pipe or a file, and no FORCE_COLOR or TTY_COMPATIBLE).
    Everything else is the console's own; hand `real()` to rich and to report functions."""

    def __init__(self, *, stderr: bool = False, soft_wrap: bool = False) -> None:
        self._stderr = stderr
        self._soft_wrap = soft_wrap
        self._console: SafeConsole | None = None

    def real(self) -> SafeConsole:
        """The console itself (made now if not yet)."""
        if self._console is None:
            from esps_cli.io.console import SafeConsole

            self._console = SafeConsole(stderr=self._stderr, soft_wrap=self._soft_wrap)
        return self._console

    @property
    def is_terminal(self) -> bool:
        if self._console is None and not _may_be_terminal(
                sys.stderr if self._stderr else sys.stdout):
            return False
        return self.real().is_terminal

    def print(self, *objects: Any, **options: Any) -> None:
        self.real().print(*objects, **options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real(), name)


def _may_be_terminal(stream: Any) -> bool:
    """False where rich's Console.is_terminal would surely be False for this stream: no
    setting forces a terminal and the stream is not a tty."""
    if os.environ.get("TTY_COMPATIBLE", "") == "1" or "FORCE_COLOR" in os.environ:
        return True
    isatty = getattr(stream, "isatty", None)
    try:
        return isatty is not None and bool(isatty())
    except ValueError:  # a closed stream
        return False


console = LazyConsole()
# Messages are not hard-wrapped, so paths and cells stay whole (and greppable).
err_console = LazyConsole(stderr=True, soft_wrap=True)


def escape(text: str) -> str:
    """Text with rich's markup escaped (rich.markup.escape; rich imported when first
    needed)."""
    from rich.markup import escape as escape_markup

    return escape_markup(text)


class Format(StrEnum):
    """The one list of output formats. Which of them a report has is said by the renderer
    table (reports/render.py): `--format` picks one for standard output, `--output FILE` one
    by the file's suffix."""

    text = "text"
    json = "json"
    csv = "csv"
    xlsx = "xlsx"
    html = "html"
    pdf = "pdf"


def to_jsonable(obj: Any) -> Any:
    from pydantic import BaseModel

    if isinstance(obj, BaseModel):
        return obj.model_dump(mode="json")
    if isinstance(obj, list | tuple):
        return [to_jsonable(o) for o in obj]
    return obj


def print_json(obj: Any) -> None:
    """JSON on stdout, unstyled (safe for pipes and jq)."""
    from pydantic import BaseModel
    from pydantic_core import PydanticSerializationError

    try:
        if isinstance(obj, BaseModel) and _utf8_stdout():
            # Bytes straight to the stream, a list item at a time: the JSON of a large
            # summary is never held whole in memory.
            sys.stdout.flush()
            for piece in json_pieces(obj):
                sys.stdout.buffer.write(piece)
            sys.stdout.buffer.write(b"\n")
            sys.stdout.buffer.flush()
            return
        text = obj.model_dump_json(indent=2) if isinstance(obj, BaseModel) else json_text(obj)
    except (PydanticSerializationError, UnicodeEncodeError):
        # A file name in a foreign encoding: show its odd bytes as \ufffd, never crash.
        text = json.dumps(_printable(to_jsonable(obj)), indent=2, default=str,
                          ensure_ascii=False)
    print(text)


def json_text(obj: Any) -> str:
    """Anything that is not one model (a list of models, a dict) as indented JSON."""
    return json.dumps(to_jsonable(obj), indent=2, default=str, ensure_ascii=False)


def json_pieces(model: Any) -> Iterator[bytes]:
    """model.model_dump_json(indent=2) as UTF-8, byte for byte, in pieces: each item of a
    top-level list of models is serialised on its own, so the whole text is never in memory."""
    from pydantic import BaseModel

    lists = {name: value for name in type(model).model_fields
             if isinstance(value := getattr(model, name), list) and value
             and all(isinstance(item, BaseModel) for item in value)}
    if not lists:
        yield _to_json(model)
        return
    shell = _to_json(model.model_copy(update={name: [] for name in lists}))
    at = 0
    for name, items in lists.items():  # in field order, as they appear in the shell
        marker = _list_marker(name)
        found = shell.index(marker, at)
        yield shell[at:found + len(marker) - 1]  # up to and including the "["
        for i, item in enumerate(items):
            yield (b",\n    " if i else b"\n    ") + list_item_json(item)
        yield b"\n  ]"
        at = found + len(marker)
    yield shell[at:]


def _list_marker(name: str) -> bytes:
    return b'\n  "' + name.encode() + b'": []'


def list_item_json(model: Any) -> bytes:
    """One item of a top-level list of models as json_pieces writes it (indented to its
    place): made where the item is made (a worker process), so that only these bytes travel."""
    return _to_json(model).replace(b"\n", b"\n    ")


def streams_json() -> bool:
    """Whether JSON on standard output can be written as it is made: a pipe or a file that
    takes UTF-8 (on a terminal, a progress bar shares the screen, and the text is short)."""
    return _utf8_stdout() and not sys.stdout.isatty()


class JsonListStream:
    """model.model_dump_json(indent=2) written to standard output byte for byte, the items of
    one top-level list written as they are made (list_item_json), before the rest of the model
    is known: `start(model)` with the fields before the list filled in, `item(piece)` for each
    item in order, `finish(model)` with everything else (its list is left out: the items are
    written). The items are never all in memory."""

    def __init__(self, field: str) -> None:
        self.marker = _list_marker(field)
        self.field = field
        self.head = b""
        self.count = 0

    def start(self, model: Any) -> None:
        shell = _to_json(model.model_copy(update={self.field: []}))
        self.head = shell[:shell.index(self.marker) + len(self.marker) - 1]

    def item(self, piece: bytes) -> None:
        if not self.count:
            sys.stdout.flush()
        out = sys.stdout.buffer
        out.write(self.head + b"\n    " if not self.count else b",\n    ")
        out.write(piece)
        self.count += 1

    def finish(self, model: Any) -> None:
        shell = model.model_copy(update={self.field: []})
        if not self.count:  # no item: the model as it is
            print_json(shell)
            return
        text = b"".join(json_pieces(shell))
        out = sys.stdout.buffer
        out.write(b"\n  ]" + text[text.index(self.marker) + len(self.marker):] + b"\n")
        out.flush()


def _to_json(model: Any) -> bytes:
    """model.model_dump_json(indent=2) as bytes. Through the model's own serializer: a model
    whose build is deferred (defer_build, start-up time) builds it here, where
    pydantic_core.to_json(model) would refuse it. A text that is not valid Unicode (a file
    name in a foreign encoding) has its odd bytes shown as \ufffd, in this piece only: the
    pieces before it are already written, so the document stays one valid JSON."""
    try:
        data: bytes = model.__pydantic_serializer__.to_json(model, indent=2)
    except Exception as exc:
        # imported here, not on each call: a summary writes 54,000 pieces
        from pydantic_core import PydanticSerializationError

        if not isinstance(exc, PydanticSerializationError | UnicodeEncodeError):
            raise
        data = json.dumps(_printable(to_jsonable(model)), indent=2, default=str,
                          ensure_ascii=False).encode()
    return data


def _utf8_stdout() -> bool:
    encoding = (getattr(sys.stdout, "encoding", "") or "").lower().replace("-", "")
    return encoding == "utf8" and hasattr(sys.stdout, "buffer")


def _printable(value: Any) -> Any:
    if isinstance(value, str):
        return display_name(value)
    if isinstance(value, dict):
        return {_printable(k): _printable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_printable(v) for v in value]
    return value


def plain(text: str) -> str:
    """Free text made safe for a terminal, a CSV or a log: control characters removed (an
    escape sequence typed into a comment cannot retitle or clear a terminal), and bytes that
    are not UTF-8 shown as \ufffd."""
    return CONTROL_CHARACTERS.sub("", display_name(text))


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """Rows as CSV, every text made plain and formula-safe. The same texts recur row after row
    (units, assessors, statuses), so each is made safe once."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    safe: dict[str, str] = {}

    def made_safe(text: str) -> str:
        done = safe[text] = escape_formula(plain(text))
        return done

    for row in rows:
        writer.writerow(["" if v is None else (safe.get(v) or made_safe(v))
                         if isinstance(v, str) else v for v in row])
    return buf.getvalue()


def print_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    print(csv_text(header, rows), end="")


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]],
              *, force: bool = False) -> None:
    data = csv_text(header, rows).encode("utf-8-sig")  # the BOM makes Excel read UTF-8
    atomic_write(path, lambda fh: fh.write(data), force=force)


HEADER_COLOURS = {"font": "FFFFFF", "fill": "1F3864"}


def add_table_sheet(
    wb: Workbook,
    title: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    widths: dict[str, float] | None = None,
) -> None:
    """A sheet with a styled header, autofilter, frozen header row and sensible widths."""
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(title=title[:31])
    ws.append(list(header))
    for cell in ws[1]:
        cell.font = Font(bold=True, color=HEADER_COLOURS["font"])
        cell.fill = PatternFill("solid", fgColor=HEADER_COLOURS["fill"])
    lengths = [len(h) for h in header]
    count = 0
    for row in rows:
        values = []
        for i, v in enumerate(row):
            if isinstance(v, str):
                v = escape_formula(clean_text(v))
                if i < len(lengths):
                    lengths[i] = max(lengths[i], min(len(v), 80))
            values.append(v)
        ws.append(values)
        count += 1
    last_col = get_column_letter(max(1, len(header)))
    ws.auto_filter.ref = f"A1:{last_col}{count + 1}"
    ws.freeze_panes = "A2"
    for i, length in enumerate(lengths, start=1):
        letter = get_column_letter(i)
        ws.column_dimensions[letter].width = (widths or {}).get(header[i - 1], length + 2)


def save_workbook(wb: Workbook, path: Path, *, force: bool = False) -> None:
    """Save a report workbook atomically, refusing to overwrite without force."""
    if "Sheet" in wb.sheetnames and len(wb.sheetnames) > 1:
        del wb["Sheet"]
    # Saved to memory first: a save interrupted by Ctrl-C inside openpyxl's zip writer then
    # leaves no half-closed zip behind to complain when the process exits.
    buf = io.BytesIO()
    wb.save(buf)
    atomic_write(path, lambda fh: fh.write(buf.getvalue()), force=force)
