"""What `esps validate` checks, decided in one call from its arguments and esps.toml
(`plan_validation`): the framework and cycle, the workbooks, the units list they are checked
against, the date they are checked as of, the report file and the register."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from esps_cli.domain.config import Settings
from esps_cli.domain.framework import Cycle, Framework, load_framework
from esps_cli.domain.normalise import parse_date
from esps_cli.domain.units import Unit
from esps_cli.errors import ConfigError
from esps_cli.io.batch import Discovered, discover
from esps_cli.io.safety import check_can_write
from esps_cli.io.xlsx import workbook_sheet_names
from esps_cli.register.location import RegisterLocation, configured_location
from esps_cli.workbook.layout import SHEET_META
from esps_cli.working.lists import load_lists


@dataclass(frozen=True)
class ValidationPlan:
    """What one `esps validate` run checks, and against what."""

    framework: Framework
    cycle_id: str | None  # the cycle every return must be for (--cycle, else esps.toml's)
    expected_cycle: Cycle | None
    today: date | None  # --as-of; None for today
    targets: list[Path]  # the files, folders and globs named (else the returns folder)
    units: list[Unit] | None  # the units list checked against, if any
    found: Discovered
    warning: str | None  # no workbooks, but a units list says who should have returned
    register: RegisterLocation | None


def plan_validation(paths: list[Path] | None, settings: Settings, *,
                    framework: Path | None = None, units: Path | None = None,
                    advisors: Path | None = None, cycle: str | None = None,
                    register: str | None = None, as_of: str | None = None,
                    recursive: bool = False, output: Path | None = None,
                    force: bool = False) -> ValidationPlan:
    """The plan from validate's arguments (None: esps.toml's, else the default), every
    argument checked before any workbook is read."""
    fw = load_framework(framework or settings.framework)
    cycle_id = cycle or settings.cycle
    expected_cycle = fw.cycle(cycle_id) if cycle_id else None
    today = parse_as_of(as_of)
    targets = validation_targets(paths, settings)
    units_path = units_list_for(paths, units, settings)
    unit_list = load_lists(fw, settings, units_path, advisors)[1] if units_path else None
    check_report_path(output, force)
    found, warning = discover_returns(targets, recursive=recursive, output=output,
                                      expecting_units=unit_list is not None)
    return ValidationPlan(fw, cycle_id, expected_cycle, today, targets, unit_list, found,
                          warning, configured_location(register, settings.register_path))


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


def recording_scope(plan: ValidationPlan, settings: Settings, advisors: Path | None, *,
                    record: bool) -> tuple[list[Unit] | None, Callable[[str], bool] | None]:
    """Which returns validate may record: the units on the working folder's list (if it has
    one; a unit not on it is never recorded), and the files in its returns folder unless
    --record (a file validated from elsewhere is only looked up)."""
    from esps_cli.validation.returns import inside_folder

    recordable = None if record or settings.returns is None else inside_folder(settings.returns)
    listed = plan.units
    if listed is None and plan.register is not None and settings.units is not None:
        listed = load_lists(plan.framework, settings, settings.units, advisors)[1]
    return listed, recordable
