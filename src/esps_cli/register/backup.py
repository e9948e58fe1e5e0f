"""Backups that are proven (issue 24): `esps register backup FILE` and `esps register
restore-check FILE`.

A SQLite register is copied with SQLite's online backup API (a consistent copy while others
write), to a temporary file renamed into place. A PostgreSQL register is dumped with pg_dump
(custom format). restore-check restores a backup somewhere scratch (a temporary folder; for a
dump, a new database next to a register it is given, dropped after) and runs the whole of
`esps register check` on it: integrity, schema, rules, import log, moderations and the audit
chain. A backup nobody has restored is a hope, not a backup.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
import uuid
from pathlib import Path

from esps_cli.errors import ConfigError
from esps_cli.register.location import RegisterLocation, locate, redact
from esps_cli.register.maintenance import CheckReport, check
from esps_cli.register.store import Register

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
PG_BIN_DIRS = [Path(f"/usr/lib/postgresql/{v}/bin") for v in (17, 16, 15, 14, 13)]


def pg_tool(name: str) -> str:
    """pg_dump or pg_restore: on PATH, else a Debian PostgreSQL install's (ESPS_PG_BIN first)."""
    dirs = [Path(os.environ["ESPS_PG_BIN"])] if os.environ.get("ESPS_PG_BIN") else []
    for folder in dirs + PG_BIN_DIRS:
        if (folder / name).exists():
            return str(folder / name)
    found = shutil.which(name)
    if found is None:
        raise ConfigError(f"{name} is not installed: it comes with the PostgreSQL client "
                          "(Debian: apt-get install postgresql-client)")
    return found


def _run(argv: list[str], what: str) -> None:
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode != 0:
        detail = redact(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "")
        raise ConfigError(f"{what} failed: {detail or f'exit code {done.returncode}'}")


def backup(location: RegisterLocation | str | Path, target: Path, *, force: bool) -> Path:
    """Write a backup of the register to target (never over a file unless force)."""
    loc = locate(location)
    if target.exists() and not force:
        raise ConfigError(f"{target} already exists: choose another name, or pass --force to "
                          "replace it")
    if not target.parent.is_dir():
        raise ConfigError(f"cannot write {target}: folder {target.parent} does not exist")
    partial = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.part")
    try:
        if loc.engine == "sqlite":
            with Register.open(loc, create=False, migrate=False) as reg:
                dest = sqlite3.connect(partial)
                try:
                    reg.database.conn.backup(dest)  # type: ignore[attr-defined]
                finally:
                    dest.close()
        else:
            Register.open(loc, create=False, migrate=False).close()  # reachable, a register
            _run([pg_tool("pg_dump"), "--format=custom", "--no-password", "--file",
                  str(partial), "--dbname", loc.target], "pg_dump")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def _kind(path: Path) -> str:
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_DUMP_MAGIC):
        return "pg_dump"
    raise ConfigError(f"{path} is not a register backup (neither a SQLite register nor a "
                      "pg_dump custom-format dump)")


def restore_check(path: Path, *, scratch: str | None = None) -> CheckReport:
    """Restore a backup into a scratch place and check it whole (see the module docstring).
    scratch: for a pg_dump, a PostgreSQL register whose server may hold a scratch database
    (the login must be allowed to create databases)."""
    kind = _kind(path)
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="esps-restore-") as tmp:
            copy = Path(tmp) / "restored.db"
            shutil.copyfile(path, copy)
            return check(copy)
    if not scratch:
        raise ConfigError("a pg_dump backup is restored into a scratch database on a "
                          "PostgreSQL server: pass --scratch postgresql://user@host/db (any "
                          "database there; the login must be allowed to CREATE DATABASE)")
    server = locate(scratch)
    if server.engine != "postgresql":
        raise ConfigError("--scratch must be a postgresql:// URL")
    return _restore_pg(path, server)


def _restore_pg(path: Path, server: RegisterLocation) -> CheckReport:
    import psycopg
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    name = f"esps_restore_check_{uuid.uuid4().hex[:12]}"
    params = conninfo_to_dict(server.target)
    with psycopg.connect(server.target, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    target = make_conninfo("", **{**params, "dbname": name})
    try:
        _run([pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error",
              "--no-password", "--dbname", target, str(path)], "pg_restore")
        return check(RegisterLocation(engine="postgresql", target=_as_url(target)))
    finally:
        with psycopg.connect(server.target, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def _as_url(conninfo: str) -> str:
    """A libpq key=value string as the postgresql:// form the register locates (the host and
    everything else as URL parameters)."""
    from urllib.parse import quote, urlencode

    from psycopg.conninfo import conninfo_to_dict

    params = {k: str(v) for k, v in conninfo_to_dict(conninfo).items()}
    user = quote(params.pop("user", ""), safe="")
    password = params.pop("password", None)
    auth = f"{user}:{quote(password, safe='')}@" if password else (f"{user}@" if user else "")
    dbname = quote(params.pop("dbname", ""), safe="")
    return f"postgresql://{auth}/{dbname}" + (f"?{urlencode(params)}" if params else "")
