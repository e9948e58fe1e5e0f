"""Loading the community groups list (groups.csv or .xlsx): id, name, area, units, contact.

Like the units and advisors lists, a bad list reports every bad row at once, with its row
number. The units column holds unit codes separated by ';' (or ','); empty means every unit.
The contact column is read so DCFD keeps one list, and is never written anywhere.
"""

from __future__ import annotations

import re
from pathlib import Path

from esps_cli.domain.community import GROUP_COLUMNS, CommunityGroup
from esps_cli.domain.units import CODE_PATTERN, Unit
from esps_cli.errors import ConfigError, ListProblem, UnitsListError
from esps_cli.findings import (
    GROUP_UNKNOWN_UNIT,
    LIST_DUPLICATE,
    LIST_EMPTY,
    LIST_INVALID_CODE,
    LIST_MISSING_VALUE,
)
from esps_cli.io.tables import read_rows
from esps_cli.working.lists import _get, _map_columns, _problem

GROUPS_FILE = "groups.csv"


def default_groups_path(units_path: Path | None) -> Path:
    """groups.csv (or .xlsx) beside the units list, else in the current folder."""
    folder = units_path.parent if units_path else Path()
    for name in (GROUPS_FILE, "groups.xlsx"):
        if (folder / name).exists():
            return folder / name
    return folder / GROUPS_FILE


def load_groups(path: Path | str, units: list[Unit]) -> list[CommunityGroup]:
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"groups list {path}: file not found (pass --groups or set `groups` "
                          "in esps.toml; header id,name,area,units,contact)")
    rows = read_rows(path)
    if not rows:
        raise UnitsListError(path, [_problem(
            LIST_EMPTY, None, "the file is empty: expected a header row "
            "id,name,area,units,contact")])
    cols = _map_columns(path, rows[0], GROUP_COLUMNS, ("id", "name"))
    codes = {u.code.casefold(): u.code for u in units}
    groups: list[CommunityGroup] = []
    problems: list[ListProblem] = []
    seen: dict[str, int] = {}
    for rownum, row in enumerate(rows[1:], start=2):
        if not any(row):
            continue
        group_id, name = _get(row, cols, "id"), _get(row, cols, "name")
        listed = [c for c in re.split(r"[;,\s]+", _get(row, cols, "units")) if c]
        before = len(problems)
        if not group_id:
            problems.append(_problem(LIST_MISSING_VALUE, rownum, "missing group id"))
        elif not CODE_PATTERN.match(group_id):
            problems.append(_problem(LIST_INVALID_CODE, rownum, f"group id {group_id!r} may "
                                     "hold only letters, digits, '-', '_' and '.'"))
        elif group_id.casefold() in seen:
            problems.append(_problem(LIST_DUPLICATE, rownum, f"duplicate group id {group_id!r} "
                                     f"(first at row {seen[group_id.casefold()]})"))
        if not name:
            problems.append(_problem(LIST_MISSING_VALUE, rownum, "missing group name"))
        unknown = [c for c in listed if c.casefold() not in codes]
        if unknown:
            problems.append(_problem(GROUP_UNKNOWN_UNIT, rownum,
                                     f"unit code(s) not on the units list: {', '.join(unknown)}"))
        if group_id:
            seen.setdefault(group_id.casefold(), rownum)
        if len(problems) > before:
            continue
        groups.append(CommunityGroup(
            id=group_id, name=name, area=_get(row, cols, "area"),
            units=tuple(codes[c.casefold()] for c in listed),
            contact=_get(row, cols, "contact"), row=rownum))
    if problems:
        raise UnitsListError(path, problems)
    if not groups:
        raise UnitsListError(path, [_problem(LIST_EMPTY, None,
                                             "no groups: the list has a header but no rows")])
    return groups


def group_by_id_or_name(groups: list[CommunityGroup], text: str) -> CommunityGroup | None:
    wanted = text.strip().casefold()
    for g in groups:
        if wanted in (g.id.casefold(), g.name.casefold()):
            return g
    return None
