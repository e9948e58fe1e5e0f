"""Where the register lives: a SQLite file (the default, ./esps.db) or a PostgreSQL URL.

The location comes from ``--register``, else the ``ESPS_REGISTER`` environment variable, else
``register`` in esps.toml, else ./esps.db. A URL may carry a password; it is never shown:
``str(location)`` and every message use the redacted form.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict

from esps_cli.errors import ConfigError

DEFAULT_REGISTER = Path("esps.db")
REGISTER_ENV = "ESPS_REGISTER"
POSTGRES_SCHEMES = ("postgresql", "postgres")

Engine = Literal["sqlite", "postgresql"]

_PASSWORD_PARAM = re.compile(r"(?i)(password=)[^&\s]*")


def is_url(value: str) -> bool:
    return bool(re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", value))


def redact(text: str) -> str:
    """A URL (or any text holding URLs) with every password replaced by ***."""

    def one(match: re.Match[str]) -> str:
        url = match.group(0)
        try:
            parts = urlsplit(url)
        except ValueError:
            return re.sub(r"//([^:/@]*):[^@]*@", r"//\1:***@", url)
        if parts.password is not None:
            user = parts.username or ""
            host = parts.netloc.rsplit("@", 1)[1]
            parts = parts._replace(netloc=f"{user}:***@{host}")
        return _PASSWORD_PARAM.sub(r"\1***", urlunsplit(parts))

    return _PASSWORD_PARAM.sub(r"\1***", re.sub(r"[A-Za-z][A-Za-z0-9+.-]*://\S+", one, text))


class RegisterLocation(BaseModel):
    """A register's location. ``target`` is the raw path or URL (may hold a password: never
    print it); ``str()`` is what messages show."""

    model_config = ConfigDict(frozen=True, defer_build=True)  # built when a register is used
    engine: Engine
    target: str
    # The user's --allow-network-sqlite: a SQLite file on a network share opens read-only.
    allow_network_sqlite: bool = False
    # Named by --register: a file that does not exist is then a mistake (a typo would make a
    # new, empty register), unless the command is one that creates registers.
    named: bool = False

    @property
    def path(self) -> Path:
        """The SQLite file (only for engine sqlite)."""
        if self.engine != "sqlite":
            raise ValueError("a PostgreSQL register has no file path")
        return Path(self.target)

    @property
    def display(self) -> str:
        return redact(self.target) if self.engine == "postgresql" else self.target

    def __str__(self) -> str:
        return self.display

    def __repr__(self) -> str:
        return f"RegisterLocation(engine={self.engine!r}, target={self.display!r})"


def locate(value: RegisterLocation | str | Path) -> RegisterLocation:
    """A location from a path, a URL or an existing location."""
    if isinstance(value, RegisterLocation):
        return value
    if isinstance(value, Path):
        return RegisterLocation(engine="sqlite", target=str(value))
    text = value.strip()
    if not text:
        raise ConfigError("the register location is empty: give a file path or a "
                          "postgresql:// URL")
    if is_url(text):
        scheme = text.split("://", 1)[0].lower()
        if scheme in POSTGRES_SCHEMES:
            return RegisterLocation(engine="postgresql", target=text)
        if scheme in ("sqlite", "file"):
            return RegisterLocation(engine="sqlite", target=text.split("://", 1)[1])
        raise ConfigError(
            f"register {redact(text)}: unsupported kind of URL {scheme}://; use a file path "
            "(SQLite) or postgresql://user@host/database"
        )
    return RegisterLocation(engine="sqlite", target=text)


def register_location(option: RegisterLocation | str | Path | None,
                      configured: str | Path | None, *,
                      allow_network_sqlite: bool = False) -> RegisterLocation:
    """--register, else ESPS_REGISTER, else esps.toml's `register`, else ./esps.db."""
    env = os.environ.get(REGISTER_ENV, "").strip()
    found = locate(DEFAULT_REGISTER)
    for value in (option, env or None, configured):
        if value is not None and str(value).strip():
            found = locate(value)
            if value is option and not isinstance(option, RegisterLocation):
                found = found.model_copy(update={"named": True})
            break
    if allow_network_sqlite:
        found = found.model_copy(update={"allow_network_sqlite": True})
    return found


# The name callers have always used.
default_register_path = register_location


def configured_location(option: RegisterLocation | str | Path | None,
                        configured: str | Path | None) -> RegisterLocation | None:
    """The register the user named (--register, ESPS_REGISTER, esps.toml's `register`), or
    None when none is named: for commands that use a register only when one is configured
    (generate records pack ids, validate checks them and records returns)."""
    env = os.environ.get(REGISTER_ENV, "").strip()
    if any(v is not None and str(v).strip() for v in (option, env or None, configured)):
        return register_location(option, configured)
    return None
