"""The validation cache: each return's validation report (as JSON), kept in the register so
`esps summary` does not check an unchanged return again.

A cache is an optimisation, never a record: a register that is missing, read-only, at an
older schema, or busy just means nothing is found and nothing is stored; these functions never
raise for that. Rows are keyed by a digest of everything the report depends on (the caller
computes it: file sha256, framework, esps version, options); they are not copied by
`esps register copy` nor entered in the audit log.

Each row carries a digest of its key, file hash and report (schema version 10): an entry
edited in the database (one UPDATE turning an invalid return's report into a valid one) no
longer matches and is not used, and the caller is told which. Someone who recomputes the
digest too is caught where the return is on record: validation/cache.py checks a cached
report against the return the audit chain recorded.

Beside the report each row keeps the entry a summary reads (schema version 11): the same report
without the findings a summary does not read, so a summary over returns with hundreds of
findings each neither reads nor parses them. It carries its own digest, of the key, the file
hash, that entry and the report's digest: edited alone, it is caught as the report is.
"""

from __future__ import annotations

import hashlib
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


def entry_digest(cache_key: str, file_sha256: str, report: str) -> str:
    """The digest stored with an entry: of its key, the file's hash and the report."""
    return hashlib.sha256(f"{cache_key}\n{file_sha256}\n{report}".encode()).hexdigest()


def summary_digest(cache_key: str, file_sha256: str, summary: str, report_sha256: str) -> str:
    """The digest stored with an entry's summary: of its key, the file's hash, the summary and
    the report's digest (which binds the two)."""
    return hashlib.sha256(
        f"{cache_key}\n{file_sha256}\n{summary}\n{report_sha256}".encode()).hexdigest()


def _digested(register: Register) -> bool:
    return "report_sha256" in register.database.columns(TABLE)


def _summarised(register: Register) -> bool:
    return "summary" in register.database.columns(TABLE)


def _select(summary: bool) -> str:
    """The columns a lookup reads: with summary, an entry's summary (and its report only where
    it has none, never otherwise: the findings are the bulk of a report)."""
    if not summary:
        return "cache_key, file_sha256, report, report_sha256"
    return ("cache_key, file_sha256, report_sha256, summary, summary_sha256, "
            "CASE WHEN summary = '' THEN report ELSE '' END AS report")


def _trusted(row: dict) -> str | None:
    """The entry's text whose digest matches (the summary when read and present, else the
    report); None when it does not."""
    key, sha = row["cache_key"], row["file_sha256"]
    if row.get("summary"):
        digest = summary_digest(key, sha, row["summary"], row["report_sha256"])
        return row["summary"] if row["summary_sha256"] == digest else None
    if row["report_sha256"] == entry_digest(key, sha, row["report"]):
        return str(row["report"])
    return None


def cached_reports(register: Register, keys: Iterable[str], *, summary: bool = False
                   ) -> tuple[dict[str, str], set[str]]:
    """The stored report JSON of each key found whose digest matches (cache_key -> JSON), and
    the keys found whose digest does not (edited since stored, or stored before digests).
    summary: the entry a summary reads instead, where there is one."""
    wanted = list(dict.fromkeys(keys))
    found: dict[str, str] = {}
    changed: set[str] = set()
    if not wanted or not available(register):
        return found, changed
    try:
        if not _digested(register):
            return found, changed  # a register below version 10, opened as it is: no cache
        columns = _select(summary and _summarised(register))
        for i in range(0, len(wanted), _CHUNK):
            chunk = wanted[i:i + _CHUNK]
            marks = ", ".join("?" for _ in chunk)
            for row in register.database.query(
                    f"SELECT {columns} FROM {TABLE} WHERE cache_key IN ({marks})", chunk):
                text = _trusted(row)
                if text is None:
                    changed.add(row["cache_key"])
                else:
                    found[row["cache_key"]] = text
    except _UNAVAILABLE:
        return {}, set()
    return found, changed


def store_reports(register: Register,
                  rows: Sequence[tuple[str, str, str, str, str, str]]) -> int:
    """Store (cache_key, file_sha256, framework, esps_version, report JSON, summary JSON) rows
    in one transaction, keeping any row already there; the number offered (0 when the register
    cannot take them: read-only, older schema, busy)."""
    if not rows or register.read_only or not available(register):
        return 0
    at = timestamp(now_utc())
    sql = (f"INSERT INTO {TABLE} (cache_key, file_sha256, framework, esps_version, stored_at, "
           "report, report_sha256, summary, summary_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
           "ON CONFLICT (cache_key) DO NOTHING")
    with suppress(*_UNAVAILABLE), register.transaction():
        if not _digested(register) or not _summarised(register):
            return 0
        values = []
        for key, sha, framework, version, report, summary in rows:
            digest = entry_digest(key, sha, report)
            values.append((key, sha, framework, version, at, report, digest, summary,
                           summary_digest(key, sha, summary, digest)))
        register.database.execute_many(sql, values)
        return len(rows)
    return 0


def recorded_outcomes(register: Register, hashes: set[str]
                      ) -> dict[str, set[tuple[bool, int, int]]]:
    """(readable, errors, warnings) of each return on record (unit_returns, which the audit
    chain covers) with one of these file hashes; {} where none can be read."""
    out: dict[str, set[tuple[bool, int, int]]] = {}
    wanted = sorted(hashes)
    try:
        if not wanted or not register.database.has_table("unit_returns"):
            return out
        for i in range(0, len(wanted), _CHUNK):
            chunk = wanted[i:i + _CHUNK]
            marks = ", ".join("?" for _ in chunk)
            for row in register.database.query(
                    "SELECT sha256, readable, errors, warnings FROM unit_returns "
                    f"WHERE sha256 IN ({marks})", chunk):
                out.setdefault(row["sha256"], set()).add(
                    (bool(row["readable"]), int(row["errors"]), int(row["warnings"])))
    except _UNAVAILABLE:
        return {}
    return out


def count(register: Register) -> int:
    """How many reports the cache holds (0 without a cache)."""
    return register.count(TABLE) if available(register) else 0
