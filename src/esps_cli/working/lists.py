"""Loading the units and advisors lists from CSV or XLSX.

A bad list reports every bad row at once, with its row number (the header is row 1), so the
analyst fixes the file in one pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from esps_cli.domain.config import Settings
from esps_cli.domain.framework import Framework
from esps_cli.domain.paths import EXAMPLES_DIR
from esps_cli.domain.units import (
    ADVISOR_COLUMNS,
    CODE_PATTERN,
    UNIT_COLUMNS,
    Advisor,
    Unit,
    default_advisors_path,
)
from esps_cli.errors import ConfigError, ListProblem, UnitsListError
from esps_cli.findings import (
    LIST_DUPLICATE,
    LIST_EMPTY,
    LIST_INVALID_CODE,
    LIST_MISSING_COLUMN,
    LIST_MISSING_VALUE,
    LIST_REPEATED_COLUMN,
    LIST_UNKNOWN_BUSINESS_GROUP,
    LIST_UNKNOWN_DCFA,
    Code,
)
from esps_cli.io.tables import map_columns
from esps_cli.io.tables import read_rows as _read_rows


def _map_columns(
    path: Path, header: list[str], wanted: dict[str, tuple[str, ...]], required: Iterable[str]
) -> dict[str, int]:
    found, problems = map_columns(header, wanted, required)
    if problems:
        raise UnitsListError(path, [
            _problem(LIST_MISSING_COLUMN if "missing column" in p else LIST_REPEATED_COLUMN, 1,
                     p.removeprefix("row 1: "))
            for p in problems
        ])
    return found


def _problem(code: Code, row: int | None, message: str) -> ListProblem:
    return ListProblem(code=code.code, row=row, message=message)


def _get(row: list[str], cols: dict[str, int], key: str) -> str:
    col = cols.get(key)
    return row[col] if col is not None and col < len(row) else ""


def load_advisors(path: Path | str) -> list[Advisor]:
    path = Path(path)
    rows = _read_rows(path)
    if not rows:
        raise UnitsListError(path, [_problem(
            LIST_EMPTY, None, "the file is empty: expected a header row id,name,email")])
    cols = _map_columns(path, rows[0], ADVISOR_COLUMNS, ("id", "name"))
    advisors: list[Advisor] = []
    problems: list[ListProblem] = []
    seen: dict[str, int] = {}
    for rownum, row in enumerate(rows[1:], start=2):
        if not any(row):
            continue
        adv_id, name = _get(row, cols, "id"), _get(row, cols, "name")
        if not adv_id:
            problems.append(_problem(LIST_MISSING_VALUE, rownum, "missing advisor id"))
            continue
        if adv_id.casefold() in seen:
            first = seen[adv_id.casefold()]
            problems.append(_problem(LIST_DUPLICATE, rownum,
                                     f"duplicate advisor id {adv_id!r} (first at row {first})"))
            continue
        seen[adv_id.casefold()] = rownum
        if not name:
            problems.append(_problem(LIST_MISSING_VALUE, rownum,
                                     f"advisor {adv_id!r} has no name"))
        advisors.append(Advisor(id=adv_id, name=name or adv_id, email=_get(row, cols, "email")))
    if problems:
        raise UnitsListError(path, problems)
    return advisors


def load_units(
    path: Path | str, framework: Framework, advisors: list[Advisor]
) -> list[Unit]:
    """Load a units list, checking codes, business groups and linked DCFAs."""
    path = Path(path)
    rows = _read_rows(path)
    if not rows:
        raise UnitsListError(path, [_problem(
            LIST_EMPTY, None,
            "the file is empty: expected a header row code,name,business_group,linked_dcfa")])
    cols = _map_columns(path, rows[0], UNIT_COLUMNS, UNIT_COLUMNS.keys())
    groups = {g.id.casefold(): g.id for g in framework.business_groups}
    groups.update({g.name.casefold(): g.id for g in framework.business_groups})
    by_advisor = {a.id.casefold(): a.id for a in advisors}
    by_advisor.update({a.name.casefold(): a.id for a in advisors})

    units: list[Unit] = []
    problems: list[ListProblem] = []
    seen: dict[str, int] = {}
    for rownum, row in enumerate(rows[1:], start=2):
        if not any(row):
            continue
        code, name, group, dcfa = (
            _get(row, cols, k) for k in ("code", "name", "business_group", "linked_dcfa")
        )
        row_problems: list[tuple[Code, str]] = []
        if not code:
            row_problems.append((LIST_MISSING_VALUE, "missing unit code"))
        elif not CODE_PATTERN.match(code):
            row_problems.append((LIST_INVALID_CODE,
                                 f"unit code {code!r} may hold only letters, digits, '-', '_' "
                                 "and '.'"))
        elif code.casefold() in seen:
            row_problems.append((LIST_DUPLICATE, f"duplicate unit code {code!r} (first at row "
                                                 f"{seen[code.casefold()]})"))
        if not name:
            row_problems.append((LIST_MISSING_VALUE, "missing unit name"))
        if group.casefold() not in groups:
            known = ", ".join(g.id for g in framework.business_groups)
            row_problems.append((LIST_UNKNOWN_BUSINESS_GROUP,
                                 f"unknown business group {group!r} (known: {known})"))
        if dcfa.casefold() not in by_advisor:
            row_problems.append((LIST_UNKNOWN_DCFA,
                                 f"unknown linked DCFA {dcfa!r} (not in the advisors list)"))
        if row_problems:
            problems.extend(_problem(c, rownum, message) for c, message in row_problems)
            if code and CODE_PATTERN.match(code):
                seen.setdefault(code.casefold(), rownum)
            continue
        seen[code.casefold()] = rownum
        units.append(
            Unit(
                code=code,
                name=name,
                business_group=groups[group.casefold()],
                linked_dcfa=by_advisor[dcfa.casefold()],
                row=rownum,
            )
        )
    if problems:
        raise UnitsListError(path, problems)
    if not units:
        raise UnitsListError(path, [_problem(
            LIST_EMPTY, None, "no units: the list has a header but no rows")])
    return units




def load_lists(fw: Framework, settings: Settings, units_path: Path | None,
               advisors: Path | None) -> tuple[list[Advisor], list[Unit]]:
    """The advisors list (the one given, else esps.toml's, else the one beside the units
    list) and the units list, checked against each other; no units when units_path is None."""
    if units_path is not None and not Path(units_path).exists():
        raise ConfigError(f"units list {units_path}: file not found")
    advisors_path = advisors or settings.advisors
    if advisors_path is None:
        base = units_path if units_path else EXAMPLES_DIR / "units.csv"
        advisors_path = default_advisors_path(Path(base))
    if not Path(advisors_path).exists():
        raise ConfigError(
            f"advisors list {advisors_path} not found: pass --advisors or set `advisors` in "
            "esps.toml"
        )
    advisor_list = load_advisors(advisors_path)
    return advisor_list, (load_units(units_path, fw, advisor_list) if units_path else [])
