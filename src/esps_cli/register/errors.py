"""What can go wrong with a register, as errors the CLI reports in one line (exit code 2)."""

from __future__ import annotations

from esps_cli.errors import ConfigError, EspsError


class RegisterNotFound(ConfigError):
    """No register at that location yet (a command that only reads was asked to open it)."""


class RegisterConnectionError(EspsError):
    """The database server cannot be reached or refused us (never shows a password)."""

    exit_code = 2


class RegisterBusyError(EspsError):
    """Another process held the register too long, or changed it at the same moment."""

    exit_code = 2


class RegisterRuleError(EspsError):
    """The database itself refused a change (append-only or role rule, stale moderation)."""

    exit_code = 2


class RegisterPermissionError(ConfigError):
    """The database user may not do this (e.g. change the schema of a register it does not
    own)."""


class DriverMissingError(ConfigError):
    """A PostgreSQL register without the optional driver installed."""
