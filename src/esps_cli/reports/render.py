"""One way out for every report: which writers each report has, keyed by format, and the one
rule that picks a writer (`--format` for standard output, `--output FILE` by its suffix).

A writer is a plain function `writer(data, dest, **options)`: `data` is the report's model
(what `--format json` prints), `dest` a `Destination` (standard output or a file), and the
options are what the command passes to every writer of that report (each writer takes the
ones it needs and ignores the rest with `**_`). Writers are named here as "module:function"
(".board" is a module of this package), so a command imports only the writer it runs:
`esps score show` never imports openpyxl. Adding a format to a report is one function and
one line in `WRITERS`; tests/test_render.py checks that every line names a function.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path
from typing import TYPE_CHECKING, Any

from esps_cli.errors import ConfigError
from esps_cli.io import output
from esps_cli.io.output import Format
from esps_cli.io.safety import atomic_write_bytes, check_can_write

if TYPE_CHECKING:
    from openpyxl import Workbook
    from rich.console import Console

Writer = Callable[..., None]

# Per report, its writers by format; JSON is the shared writer of a report's model as it is.
JSON = ".render:write_model"
WRITERS: dict[str, dict[Format, str]] = {
    "validation": {Format.text: ".validation:validation_text", Format.json: JSON,
                   Format.csv: ".validation:validation_csv",
                   Format.xlsx: ".validation:validation_xlsx",
                   Format.html: ".editions.validation:validation_page",
                   Format.pdf: ".editions.validation:validation_page"},
    "codes": {Format.text: ".validation:codes_text", Format.json: JSON,
              Format.csv: ".validation:codes_csv"},
    "summary": {Format.text: ".summary:summary_text", Format.json: JSON,
                Format.csv: ".summary:summary_csv", Format.xlsx: ".board:board_xlsx",
                Format.html: ".editions.summary:summary_edition",
                Format.pdf: ".editions.summary:summary_edition"},
    "exceptions": {Format.text: ".summary:exceptions_text", Format.json: JSON,
                   Format.csv: ".summary:exceptions_csv"},
    "comparison": {Format.text: ".summary:comparison_text", Format.json: JSON,
                   Format.csv: ".summary:comparison_csv",
                   Format.xlsx: ".board:comparison_xlsx"},
    "buddies": {Format.text: ".summary:buddies_text", Format.json: JSON,
                Format.csv: ".summary:buddies_csv"},
    "action-plans": {Format.text: ".summary:action_plans_text", Format.json: JSON,
                     Format.csv: ".summary:gaps_csv"},
    "allocation": {Format.text: ".scores:allocation_text", Format.json: JSON,
                   Format.csv: ".scores:allocation_csv", Format.xlsx: ".scores:allocation_xlsx"},
    "score-import": {Format.text: ".scores:imports_text", Format.json: JSON,
                     Format.csv: ".scores:imports_csv"},
    "unit-scores": {Format.text: ".scores:unit_scores_text", Format.json: JSON},
    "score-history": {Format.text: ".scores:history_text", Format.json: JSON},
    "score-export": {Format.json: ".scores:export_json", Format.csv: ".scores:export_csv",
                     Format.xlsx: ".scores:export_xlsx"},
    "agreement": {Format.text: ".scores:agreement_text", Format.json: JSON,
                  Format.csv: ".scores:agreement_csv"},
    "scoring-packs": {Format.text: ".scores:packs_text", Format.json: JSON},
    "decisions": {Format.text: ".quality:decisions_text", Format.json: JSON,
                  Format.csv: ".quality:decisions_csv", Format.xlsx: ".quality:decisions_xlsx"},
    "calibration": {Format.text: ".quality:calibration_text", Format.json: JSON,
                    Format.csv: ".quality:calibration_csv",
                    Format.xlsx: ".quality:calibration_xlsx"},
    "log": {Format.text: ".audit:log_text", Format.json: JSON, Format.csv: ".audit:log_csv"},
    "log-verification": {Format.text: ".audit:verification_text",
                         Format.json: ".audit:verification_json"},
    "review": {Format.text: ".returns:review_text", Format.json: ".returns:review_json",
               Format.csv: ".returns:review_csv"},
    "upgrade": {Format.text: ".returns:upgrades_text", Format.json: JSON},
    "framework": {Format.text: ".framework:framework_text", Format.json: JSON},
    "register-check": {Format.text: ".maintenance:check_text",
                       Format.json: ".maintenance:check_json"},
    "register-copy": {Format.text: ".maintenance:copy_text",
                      Format.json: ".maintenance:copy_json"},
    "challenge-forms": {Format.text: ".community:forms_text", Format.json: JSON},
    "challenge-import": {Format.text: ".community:import_text",
                         Format.json: ".community:import_json"},
    "challenges": {Format.text: ".community:challenges_text", Format.json: JSON,
                   Format.csv: ".community:challenges_csv"},
    "releases": {Format.text: ".community:releases_text", Format.json: JSON},
}

# --output FILE: the suffix names the format.
SUFFIXES: dict[str, Format] = {".txt": Format.text, ".json": Format.json, ".csv": Format.csv,
                               ".xlsx": Format.xlsx, ".html": Format.html, ".pdf": Format.pdf}
# Formats that are files, never standard output.
FILE_ONLY = frozenset({Format.xlsx, Format.pdf})


@dataclass
class Destination:
    """Where a writer writes: standard output (path None) or a file, replaced only with
    force and always atomically (a reader never sees half a file)."""

    path: Path | None = None
    force: bool = False
    _text: StringIO | None = field(default=None, init=False, repr=False)
    _console: Console | None = field(default=None, init=False, repr=False)

    @property
    def file(self) -> Path:
        """The file to write (for the formats that are only ever files)."""
        if self.path is None:
            raise ConfigError("this format needs --output FILE")
        return self.path

    @property
    def console(self) -> Console:
        """A rich console for text: the terminal's, or (for a file) plain text 100 wide."""
        if self.path is None:
            return output.console.real()
        if self._console is None:
            from esps_cli.io.console import SafeConsole

            self._text = StringIO()
            self._console = SafeConsole(file=self._text, width=100, no_color=True,
                                        color_system=None, soft_wrap=True)
        return self._console

    def write_text(self, text: str, *, bom: bool = False) -> None:
        if self.path is None:
            print(text, end="")
            return
        # the BOM makes Excel read a CSV file as UTF-8
        atomic_write_bytes(self.path, text.encode("utf-8-sig" if bom else "utf-8"),
                           force=self.force)

    def write_json(self, obj: Any) -> None:
        """The model as `model_dump_json(indent=2)` (streamed on standard output)."""
        if self.path is None:
            output.print_json(obj)
            return
        from pydantic import BaseModel

        self.write_text((obj.model_dump_json(indent=2) if isinstance(obj, BaseModel) else
                         output.json_text(obj)) + "\n")

    def write_csv(self, header: Sequence[str], rows: Iterable[Sequence[Any]], *,
                  bom: bool = False) -> None:
        self.write_text(output.csv_text(header, rows), bom=bom)

    def save_workbook(self, wb: Workbook) -> None:
        output.save_workbook(wb, self.file, force=self.force)

    def finish(self) -> None:
        """Write what a text writer printed to a file's console."""
        if self._text is not None:
            self.write_text(self._text.getvalue())


def json_stream(fmt: Format, path: Path | None, whole_not_needed: bool
                ) -> output.JsonListStream | None:
    """A report's `--format json` on standard output written a workbook at a time as the
    batch runs (the same bytes as write_model), when that is what is asked and nothing else
    needs the whole report; None otherwise."""
    if fmt != Format.json or path is not None or not whole_not_needed \
            or not output.streams_json():
        return None
    return output.JsonListStream("workbooks")


def write_model(data: Any, dest: Destination, **_: Any) -> None:
    """The shared JSON writer: the report's model as it is."""
    dest.write_json(data)


def formats_of(report: str) -> list[Format]:
    return list(WRITERS[report])


def _writer(report: str, fmt: Format, asked: str) -> Writer:
    writers = WRITERS[report]
    if fmt not in writers:
        has = ", ".join(f.value for f in writers)
        raise ConfigError(f"{asked}: the {report} report has no {fmt.value} writer; "
                          f"it can be written as {has}")
    return writer_of(writers[fmt])


def writer_of(entry: str) -> Writer:
    """The function a WRITERS entry names: "module:function", the module as an import names
    it (".summary" is esps_cli.reports.summary)."""
    module, name = entry.split(":")
    found: Writer = getattr(importlib.import_module(module, package=__package__), name)
    return found


def output_format(report: str, path: Path) -> Format:
    """The format `--output path` asks for: its suffix, one the report has (else exit 2 with
    the suffixes it can take)."""
    fmt = SUFFIXES.get(path.suffix.lower())
    suffixes = [s for s, f in SUFFIXES.items() if f in WRITERS[report]]
    if fmt is None or fmt not in WRITERS[report]:
        raise ConfigError(f"--output {path}: the {report} report can be written as "
                          f"{', '.join(suffixes)}; end the file name with one of them")
    return fmt


def check_output(report: str, path: Path | None, force: bool) -> None:
    """Before the work starts: --output names a format the report has and a file that may be
    written (new, or replaced with --force)."""
    if path is not None:
        check_can_write(path, force)  # first: "it is the register" says more than its suffix
        output_format(report, path)


def check_format(report: str, fmt: Format) -> None:
    """Before the work starts: --format names a format the report can print."""
    if fmt in FILE_ONLY:
        raise ConfigError(f"--format {fmt.value} needs --output FILE")
    _writer(report, fmt, f"--format {fmt.value}")


def show_report(report: str, data: Any, fmt: Format, **options: Any) -> None:
    """The report on standard output in fmt."""
    check_format(report, fmt)
    _writer(report, fmt, f"--format {fmt.value}")(data, Destination(), **options)


def write_file(report: str, data: Any, path: Path, *, force: bool = False,
               **options: Any) -> Format:
    """The report written to path in the format of its suffix; that format is returned."""
    fmt = output_format(report, path)
    dest = Destination(path, force)
    _writer(report, fmt, f"--output {path}")(data, dest, **options)
    dest.finish()
    return fmt


def render(report: str, data: Any, fmt: Format | None, *, output: Path | None = None,
           force: bool = False, **options: Any) -> None:
    """--output FILE (by its suffix), then standard output in fmt (None: nothing there)."""
    if fmt is not None:
        check_format(report, fmt)
    if output is not None:
        write_file(report, data, output, force=force, **options)
    if fmt is not None:
        show_report(report, data, fmt, **options)
