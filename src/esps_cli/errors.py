"""Exceptions the CLI turns into clear messages and stable exit codes."""

from __future__ import annotations


class EspsError(Exception):
    """Base of every error esps-cli reports to the user without a traceback."""

    exit_code = 2


class ConfigError(EspsError):
    """Bad configuration, framework, units list or arguments (exit code 2)."""

    exit_code = 2


class UnitsListError(ConfigError):
    """A units or advisors list with bad rows; every bad row is listed."""

    def __init__(self, path: object, problems: list[str]):
        self.path = path
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{path} has {len(problems)} problem(s):\n{lines}")


class OutputExistsError(EspsError):
    """Refusing to overwrite a file the user already has."""

    exit_code = 2
