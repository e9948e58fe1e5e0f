"""Units ((B)OCUs) and advisors (DCFAs): the models, and choosing units by code."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from esps_cli.errors import ConfigError

CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class Advisor(BaseModel):
    """A Diversity and Citizen Focus Advisor (DCFA)."""

    # Built when a list is first read, not at import (start-up time).
    model_config = ConfigDict(frozen=True, defer_build=True)
    id: str
    name: str
    email: str = ""


class Unit(BaseModel):
    """A (B)OCU or other unit that completes a workbook."""

    model_config = ConfigDict(frozen=True, defer_build=True)
    code: str
    name: str
    business_group: str
    linked_dcfa: str
    row: int = 0  # row in the source list, for messages


UNIT_COLUMNS = {
    "code": ("code", "unit code", "unit_code", "ocu code"),
    "name": ("name", "unit name", "unit_name", "unit"),
    "business_group": ("business_group", "business group", "group"),
    "linked_dcfa": ("linked_dcfa", "linked dcfa", "dcfa", "linked advisor"),
}
ADVISOR_COLUMNS = {
    "id": ("id", "dcfa", "dcfa id", "advisor id"),
    "name": ("name", "advisor", "advisor name"),
    "email": ("email", "e-mail"),
}


def default_advisors_path(units_path: Path) -> Path:
    """The advisors list beside a units list: dcfas.csv (or .xlsx)."""
    for name in ("dcfas.csv", "dcfas.xlsx", "advisors.csv", "advisors.xlsx"):
        candidate = units_path.parent / name
        if candidate.exists():
            return candidate
    return units_path.parent / "dcfas.csv"


def select_units(units: list[Unit], codes: list[str] | None) -> list[Unit]:
    """The units named by code (case-insensitive), or all when none are named."""
    if not codes:
        return units
    by_code = {u.code.casefold(): u for u in units}
    unknown = [c for c in codes if c.casefold() not in by_code]
    if unknown:
        raise ConfigError(f"unknown unit code(s): {', '.join(unknown)} (not in the units list)")
    return [by_code[c.casefold()] for c in codes]
