"""The score register layer: one schema on SQLite (the default, a file) or PostgreSQL (a shared
server for advisors at several sites).

Layer: above domain, io, errors and findings; below workbook, validation, scoring, summary,
reports and cli. ``store.Register`` is the API; ``migrations`` the schema (and how to extend it);
``engines`` the thin dialect layer; ``maintenance`` checks and copies whole registers.
"""

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
    ROLES,
    Allocation,
    ImportRecord,
    NewEvent,
    Role,
    ScoreEvent,
    ScorePair,
    now_utc,
)
from esps_cli.register.store import Register

__all__ = [
    "COMMAND_LINE_SOURCE",
    "DEFAULT_REGISTER",
    "REGISTER_ENV",
    "ROLES",
    "SCHEMA_VERSION",
    "Allocation",
    "DriverMissingError",
    "ImportRecord",
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
    "locate",
    "now_utc",
    "redact",
    "register_location",
]
