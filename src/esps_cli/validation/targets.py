"""What `esps validate` checks, decided from its arguments and esps.toml: the workbooks, the
units list they are checked against, the date they are checked as of, the report file."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from esps_cli.domain.config import Settings
from esps_cli.domain.normalise import parse_date
from esps_cli.errors import ConfigError
from esps_cli.io.batch import Discovered, discover
from esps_cli.io.safety import check_can_write
from esps_cli.io.xlsx import workbook_sheet_names
from esps_cli.workbook.layout import SHEET_META


def parse_as_of(text: str | None) -> date | None:
    """--as-of: check as if today were this date (dd/mm/yyyy); None for today."""
    if not text:
        return None
    parsed = parse_date(text)
    if parsed.value is None:
        raise ConfigError(f"--as-of {text!r}: {parsed.note or 'not a date'}; "
                          "give a date as dd/mm/yyyy")
    return parsed.value


def validation_targets(paths: list[Path] | None, settings: Settings) -> list[Path]:
    """The files, folders and globs named, else the working folder's returns folder."""
    if paths:
        return list(paths)
    if settings.returns is None:
        raise ConfigError(
            "say which workbooks to validate (a file, folder or glob), or set `returns` in "
            "esps.toml")
    return [settings.returns]


def units_list_for(paths: list[Path] | None, units: Path | None,
                   settings: Settings) -> Path | None:
    """The working folder's units list applies when validating its returns folder; for files
    named on the command line, only when --units is given."""
    return units or (settings.units if not paths else None)


def check_report_path(output: Path | None, force: bool) -> None:
    """--output must be a new (or, with force, replaceable) file, never a unit's workbook."""
    if output is None:
        return
    if output.is_file() and output.suffix.lower() == ".xlsx" \
            and SHEET_META in workbook_sheet_names(output):
        raise ConfigError(
            f"refusing to write the report over {output}: it is a unit's ESPS workbook, not a "
            "report; choose another --output name"
        )
    check_can_write(output, force)


def discover_returns(targets: list[Path], *, recursive: bool, output: Path | None,
                     expecting_units: bool) -> tuple[Discovered, str | None]:
    """The workbooks to read (never the report being written) and, when there are none but a
    units list says who should have returned, a warning to print. With no workbooks and no
    units list there is nothing to do: most likely the wrong folder, so ConfigError."""
    found = discover(targets, recursive=recursive, exclude=[output] if output else None)
    if found.files:
        return found, None
    where = ", ".join(str(t) for t in targets)
    # A folder that could not be read is reported as a finding by the batch, not as this.
    if not expecting_units and not any(s.kind == "unreadable" for s in found.skipped):
        raise ConfigError(f"No workbooks found in {where}: check the path (add --recursive "
                          "for subfolders)")
    return found, f"No workbooks found in {where}."
