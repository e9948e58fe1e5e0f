"""Which unit a return that cannot be read belongs to, from its file name.

A file that cannot be read has no metadata to say whose it is, but it was still sent by a unit:
reporting that unit as "not returned" would chase it for the wrong thing. Its name says whose
it is when it follows the naming convention of `esps generate` (`CODE_Name_CYCLE.xlsx`, the
code as written in file names) or holds exactly one unit's code as a word of its own
("Islington TP-NI return.xlsx"). Anything less certain leaves the file's unit unknown.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import PurePath
from typing import Literal

from pydantic import BaseModel

from esps_cli.domain.units import Unit
from esps_cli.io.safety import slug
from esps_cli.validation.report import WorkbookReport

_CYCLE = re.compile(r"(?<!\d)(\d{4}-\d{2})(?!\d)")
# Words of a file name: unit codes hold letters, digits, '-' and '.', so '_' and spaces split.
_WORD = re.compile(r"[^A-Za-z0-9.-]+")


class Attribution(BaseModel):
    unit_code: str
    unit_name: str
    cycle: str  # the cycle the name gives, or "" when it gives none
    how: Literal["naming convention", "unit code in the name"]


def _forms(unit: Unit) -> set[str]:
    """How a unit's code may appear in a file name: as typed, or as generate writes it."""
    return {unit.code.casefold(), slug(unit.code).casefold()}


def unit_from_filename(name: str, units: Sequence[Unit]) -> Attribution | None:
    """The unit a file belongs to by its name, or None when the name does not say for sure."""
    stem = PurePath(name.replace("\\", "/")).name
    stem = stem.rsplit(".", 1)[0] if "." in stem else stem
    cycle_match = _CYCLE.search(stem)
    cycle = cycle_match.group(1) if cycle_match else ""
    first = stem.split("_", 1)[0].casefold()
    if "_" in stem:
        by_convention = [u for u in units if first in _forms(u)]
        if len(by_convention) == 1:
            u = by_convention[0]
            return Attribution(unit_code=u.code, unit_name=u.name, cycle=cycle,
                               how="naming convention")
    words = {w.strip(".").casefold() for w in _WORD.split(stem) if w.strip(".")}
    named = [u for u in units if words & _forms(u)]
    if len(named) == 1:
        u = named[0]
        return Attribution(unit_code=u.code, unit_name=u.name, cycle=cycle,
                           how="unit code in the name")
    return None


def attribute_unreadable(
    reports: list[WorkbookReport], units: Sequence[Unit] | None, cycle: str | None = None
) -> list[WorkbookReport]:
    """The reports, with each file that cannot be read given the unit its name names.

    Its cycle is the one the name gives, else `cycle` (the cycle every return must be for).
    Without a units list nothing can be matched, and the reports are returned as they are.
    """
    if not units:
        return reports
    out: list[WorkbookReport] = []
    for report in reports:
        found = None if report.readable or report.unit_code else \
            unit_from_filename(report.file, units)
        if found is not None:
            report = report.model_copy(update={
                "unit_code": found.unit_code, "unit_name": found.unit_name,
                "cycle": found.cycle or cycle or ""})
        out.append(report)
    return out
