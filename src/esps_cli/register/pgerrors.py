"""PostgreSQL errors in one plain line each (server down, wrong password, database missing,
timeouts, a lost connection), never with a password. Imported only when psycopg is present."""

from __future__ import annotations

import psycopg
from psycopg import errors as pge

from esps_cli.errors import EspsError
from esps_cli.register.errors import (
    RegisterBusyError,
    RegisterConnectionError,
    RegisterPermissionError,
    RegisterRuleError,
)
from esps_cli.register.location import RegisterLocation, redact


def _first_line(exc: BaseException) -> str:
    diag = getattr(exc, "diag", None)
    primary = getattr(diag, "message_primary", None) if diag is not None else None
    text = primary or str(exc) or type(exc).__name__
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return redact(lines[0] if lines else text)


def _server_said(exc: BaseException) -> str:
    """libpq's message for a failed connection: the last meaningful line, without FATAL:."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    for ln in reversed(lines):
        if ln.startswith("FATAL:") or "failed:" in ln:
            return redact(ln.removeprefix("FATAL:").strip())
    return redact(lines[-1] if lines else type(exc).__name__)


def connection_problem(location: RegisterLocation, exc: BaseException) -> str:
    """Why we could not connect, in one line that names the register (password hidden)."""
    text = str(exc)
    lower = text.lower()
    sqlstate = getattr(exc, "sqlstate", None)
    where = f"cannot connect to the register {location}"
    if sqlstate == "28P01" or "password authentication failed" in lower:
        return (f"{where}: the password was refused; check the password in ~/.pgpass or "
                "PGPASSWORD (esps never prints it)")
    if "no password supplied" in lower or "fe_sendauth" in lower:
        return (f"{where}: the server asks for a password and none was given; put it in "
                "~/.pgpass or PGPASSWORD")
    if sqlstate == "3D000" or ("database" in lower and "does not exist" in lower):
        return (f"{where}: the database does not exist on that server; create it "
                "(createdb) or correct the URL")
    if sqlstate == "28000" or ("role" in lower and "does not exist" in lower):
        return f"{where}: the server refused this user: {_server_said(exc)}"
    if "timeout expired" in lower or "timed out" in lower:
        return (f"{where}: the server did not answer in time (connect_timeout); check the "
                "host, the network and any firewall")
    if "could not translate host name" in lower or "name or service not known" in lower:
        return f"{where}: unknown host name; check the URL"
    if ("connection refused" in lower or "no such file or directory" in lower
            or "is the server running" in lower):
        return (f"{where}: no PostgreSQL server is answering there (is it running, and is "
                "the host and port right?)")
    if "too many connections" in lower or sqlstate == "53300":
        return f"{where}: the server has no free connection slots; try again later"
    return f"{where}: {_server_said(exc)}"


def translate(location: RegisterLocation, exc: Exception) -> EspsError | None:
    """The register's error for a psycopg error raised while working (None: not ours)."""
    if isinstance(exc, EspsError) or not isinstance(exc, psycopg.Error):
        return None
    if isinstance(exc, pge.IntegrityError):
        return RegisterRuleError(f"the register refused the change: {_first_line(exc)}")
    if isinstance(exc, pge.SerializationFailure | pge.DeadlockDetected):
        return RegisterBusyError(
            f"another process changed the register {location} at the same moment; nothing "
            "was recorded: run the command again"
        )
    if isinstance(exc, pge.LockNotAvailable):
        return RegisterBusyError(
            f"the register {location} is busy: another esps process has held it for over "
            "30 s; nothing was recorded, try again"
        )
    if isinstance(exc, pge.QueryCanceled):
        return RegisterConnectionError(
            f"the register {location} took too long to answer (statement timeout): "
            f"{_first_line(exc)}"
        )
    if isinstance(exc, pge.UndefinedTable | pge.UndefinedColumn):
        return RegisterConnectionError(
            f"the register {location} is damaged ({_first_line(exc)}): restore it from a "
            "backup and run `esps register check`; nothing was recorded")
    if isinstance(exc, pge.InsufficientPrivilege):
        return RegisterPermissionError(
            f"the register {location}: this PostgreSQL user lacks a permission: "
            f"{_first_line(exc)}"
        )
    if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):
        return RegisterConnectionError(
            f"lost the connection to the register {location}: {_first_line(exc)}"
        )
    return None
