"""The validation cache: each return's validation report (as JSON), kept in the register so
`esps summary` does not check an unchanged return again.

A cache is an optimisation, never a record: a register that is missing, read-only, at an
older schema, or busy just means nothing is found and nothing is stored; these functions never
raise for that. Rows are keyed by a digest of everything the report depends on (the caller
computes it: file sha256, framework, esps version, options); they are not copied by
`esps register copy` nor entered in the audit log.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import suppress

from esps_cli.errors import ConfigError
from esps_cli.register.errors import (
    RegisterBusyError,
    RegisterConnectionError,
    RegisterPermissionError,
    RegisterRuleError,
)
from esps_cli.register.models import now_utc, timestamp
from esps_cli.register.store import Register

TABLE = "validation_cache"
# What may go wrong with a cache's register; any of it means "no cache", not an error.
_UNAVAILABLE = (ConfigError, RegisterBusyError, RegisterConnectionError,
                RegisterPermissionError, RegisterRuleError)
_CHUNK = 500  # keys per SELECT (SQLite's limit on ? parameters is 999 on old versions)


def available(register: Register) -> bool:
    """Whether this register holds a validation cache (schema version 4 on)."""
    try:
        return register.database.has_table(TABLE)
    except _UNAVAILABLE:
        return False


def cached_reports(register: Register, keys: Iterable[str]) -> dict[str, str]:
    """The stored report JSON of each key found (cache_key -> JSON)."""
    wanted = list(dict.fromkeys(keys))
    found: dict[str, str] = {}
    if not wanted or not available(register):
        return found
    try:
        for i in range(0, len(wanted), _CHUNK):
            chunk = wanted[i:i + _CHUNK]
            marks = ", ".join("?" for _ in chunk)
            for row in register.database.query(
                    f"SELECT cache_key, report FROM {TABLE} WHERE cache_key IN ({marks})",
                    chunk):
                found[row["cache_key"]] = row["report"]
    except _UNAVAILABLE:
        return {}
    return found


def store_reports(register: Register,
                  rows: Sequence[tuple[str, str, str, str, str]]) -> int:
    """Store (cache_key, file_sha256, framework, esps_version, report JSON) rows in one
    transaction, keeping any row already there; the number offered (0 when the register
    cannot take them: read-only, older schema, busy)."""
    if not rows or register.read_only or not available(register):
        return 0
    at = timestamp(now_utc())
    sql = (f"INSERT INTO {TABLE} (cache_key, file_sha256, framework, esps_version, stored_at, "
           "report) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (cache_key) DO NOTHING")
    with suppress(*_UNAVAILABLE), register.transaction():
        register.database.execute_many(sql, [(*row[:4], at, row[4]) for row in rows])
        return len(rows)
    return 0


def count(register: Register) -> int:
    """How many reports the cache holds (0 without a cache)."""
    return register.count(TABLE) if available(register) else 0
