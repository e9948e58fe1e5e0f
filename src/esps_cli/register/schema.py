"""The register's schema on opening: which version it is at, refusing a database that is not a
register, and bringing an older register up to this esps-cli's version (migrations.py holds
the migrations themselves)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from esps_cli.errors import ConfigError
from esps_cli.register.engines import Database
from esps_cli.register.errors import RegisterPermissionError
from esps_cli.register.location import RegisterLocation
from esps_cli.register.migrations import MIGRATIONS, SCHEMA_VERSION, SCHEMA_VERSION_TABLE
from esps_cli.register.models import now_utc, timestamp


def schema_version(db: Database) -> int:
    return int(db.scalar("SELECT MAX(version) FROM schema_version") or 0)


def read_version(db: Database) -> int:
    """The register's schema version; 0 for a database with no register in it yet."""
    if not db.has_table("schema_version"):
        return 0
    return schema_version(db)


def refuse_foreign(db: Database, location: RegisterLocation) -> None:
    """A SQLite database holding tables esps did not create is someone else's: refused
    before anything (WAL mode, the schema) is changed in it."""
    if db.engine != "sqlite":
        return
    rows = db.query("SELECT name FROM sqlite_master WHERE type = 'table' "
                    "AND name NOT LIKE 'sqlite_%' ORDER BY name")
    tables = [r["name"] for r in rows]
    if tables:
        raise ConfigError(
            f"{location.display} is a database of something else ({', '.join(tables[:5])}), "
            "not an esps score register; nothing was changed. Choose another --register"
        )


def migrate(db: Database, location: RegisterLocation, seen: int, *, read_only: bool,
            transaction: Callable[[], AbstractContextManager[Any]]) -> None:
    """Bring a register at version `seen` up to SCHEMA_VERSION (nothing to do, usually)."""
    if seen == SCHEMA_VERSION:
        return  # the usual case: no write lock needed just to open
    if seen > SCHEMA_VERSION:
        raise _too_new(location, seen)
    if read_only:
        raise ConfigError(f"the register {location} (schema version {seen}) needs an "
                          "upgrade, which cannot be done read-only")
    try:
        with transaction():
            _apply_migrations(db, location)
    except RegisterPermissionError as exc:
        raise RegisterPermissionError(
            f"the register {location} is at schema version {seen} and this esps-cli "
            f"needs {SCHEMA_VERSION}; the database user lacks the right to upgrade it "
            f"({exc}). Ask its owner to run: esps register upgrade --register URL"
        ) from None


def _apply_migrations(db: Database, location: RegisterLocation) -> None:
    db.execute(SCHEMA_VERSION_TABLE)
    current = schema_version(db)  # again, under the lock: another may have migrated
    if current > SCHEMA_VERSION:
        raise _too_new(location, current)
    for migration in MIGRATIONS:
        if migration.version <= current:
            continue
        for sql in migration.statements(location.engine):
            db.execute(sql)
        if migration.after is not None:
            migration.after(db)
        db.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                   (migration.version, timestamp(now_utc())))


def _too_new(location: RegisterLocation, version: int) -> ConfigError:
    return ConfigError(
        f"the register {location} has schema version {version}, newer than this esps-cli "
        f"understands ({SCHEMA_VERSION}); upgrade esps-cli"
    )
