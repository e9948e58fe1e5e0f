"""The score register layer: one schema on SQLite (the default, a file) or PostgreSQL (a shared
server for advisors at several sites).

Layer: above domain, io, errors and findings; below workbook, validation, scoring, summary,
reports and cli. ``store.Register`` is the API; ``migrations`` the schema (and how to extend it);
``engines`` the thin dialect layer; ``maintenance`` checks and copies whole registers.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# The names below are imported from their modules on first use (PEP 562), so that importing
# one light module of the package (say `register.location`, which a one-file `esps validate`
# needs) does not build the store, its models and the SQL layer (start-up time).
_SOURCES = {
    "esps_cli.register.errors": (
        "DriverMissingError", "RegisterBusyError", "RegisterConnectionError",
        "RegisterNotFound", "RegisterPermissionError", "RegisterRuleError"),
    "esps_cli.register.location": (
        "DEFAULT_REGISTER",
    "EVENT_COLUMNS", "REGISTER_ENV", "RegisterLocation", "default_register_path",
        "locate", "redact", "register_location"),
    "esps_cli.register.migrations": ("SCHEMA_VERSION",),
    "esps_cli.register.models": (
        "COMMAND_LINE_SOURCE", "EVENT_COLUMNS", "ROLES", "Allocation", "ImportRecord", "Mark",
        "Marks", "NewEvent", "Role", "ScoreEvent", "ScorePair", "event_row", "now_utc"),
    "esps_cli.register.store": ("Register",),
}
_MODULE_OF = {name: module for module, names in _SOURCES.items() for name in names}


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:
    from esps_cli.register.errors import (
        DriverMissingError,
        RegisterBusyError,
        RegisterConnectionError,
        RegisterNotFound,
        RegisterPermissionError,
        RegisterRuleError,
    )
    from esps_cli.register.location import (
        DEFAULT_REGISTER,
        REGISTER_ENV,
        RegisterLocation,
        default_register_path,
        locate,
        redact,
        register_location,
    )
    from esps_cli.register.migrations import SCHEMA_VERSION
    from esps_cli.register.models import (
        COMMAND_LINE_SOURCE,
        EVENT_COLUMNS,
        ROLES,
        Allocation,
        ImportRecord,
        Mark,
        Marks,
        NewEvent,
        Role,
        ScoreEvent,
        ScorePair,
        event_row,
        now_utc,
    )
    from esps_cli.register.store import Register

__all__ = [
    "COMMAND_LINE_SOURCE",
    "DEFAULT_REGISTER",
    "EVENT_COLUMNS",
    "REGISTER_ENV",
    "ROLES",
    "SCHEMA_VERSION",
    "Allocation",
    "DriverMissingError",
    "ImportRecord",
    "Mark",
    "Marks",
    "NewEvent",
    "Register",
    "RegisterBusyError",
    "RegisterConnectionError",
    "RegisterLocation",
    "RegisterNotFound",
    "RegisterPermissionError",
    "RegisterRuleError",
    "Role",
    "ScoreEvent",
    "ScorePair",
    "default_register_path",
    "event_row",
    "locate",
    "now_utc",
    "redact",
    "register_location",
]
