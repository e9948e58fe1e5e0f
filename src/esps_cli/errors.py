"""Exceptions the CLI turns into clear messages and stable exit codes."""

from __future__ import annotations

from dataclasses import dataclass


class EspsError(Exception):
    """Base of every error esps-cli reports to the user without a traceback."""

    exit_code = 2


class ConfigError(EspsError):
    """Bad configuration, framework, units list or arguments (exit code 2)."""

    exit_code = 2


@dataclass(frozen=True)
class ListProblem:
    """One problem with a units or advisors list: its code from the catalogue and its row.
    (A dataclass, not a pydantic model: this module is imported by every command at start-up.)
    """

    code: str
    message: str
    row: int | None = None  # the row of the list (the header is row 1), if one row

    def __str__(self) -> str:
        return f"row {self.row}: {self.message}" if self.row else self.message


class UnitsListError(ConfigError):
    """A units or advisors list with bad rows; every bad row is listed, with its code."""

    def __init__(self, path: object, problems: list[ListProblem]):
        self.path = path
        self.problems = problems
        lines = "\n".join(f"  - {p} [{p.code}]" for p in problems)
        super().__init__(f"{path} has {len(problems)} problem(s):\n{lines}")


class OutputExistsError(EspsError):
    """Refusing to overwrite a file the user already has."""

    exit_code = 2


# Exceptions no boundary may swallow. Everything else is turned into a finding or an exit
# code at a boundary, including a native library's panic: python-calamine's
# pyo3_runtime.PanicException derives from BaseException, not Exception.
PROPAGATE = (KeyboardInterrupt, SystemExit, GeneratorExit)


def must_propagate(exc: BaseException) -> bool:
    """True for Ctrl-C, exit and generator close, and for an error raised while a Ctrl-C was
    being handled (raised_by_ctrl_c): a boundary re-raises these."""
    return isinstance(exc, PROPAGATE) or raised_by_ctrl_c(exc)


def raised_by_ctrl_c(exc: BaseException | None) -> bool:
    """Whether an error was raised while a Ctrl-C was being handled: a library that catches
    everything turns a Ctrl-C landing in it into an error of its own (openpyxl's value
    conversion has a bare `except:`, so a Ctrl-C while a style is set is a TypeError)."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return True
        seen.add(id(exc))
        exc = exc.__context__
    return False


def describe(exc: BaseException) -> str:
    """An exception in one line: its type and the first line of its message."""
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
