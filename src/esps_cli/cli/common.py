"""What every command shares: error handling, exit codes, and loading the working context
(framework, units, advisors, cycle) from flags and esps.toml.

Imported by `esps --help`, so the library (pydantic models, YAML, the list readers) is imported
inside the functions that load it, never at the top.
"""

from __future__ import annotations

import errno
import functools
import os
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer

from esps_cli.errors import ConfigError, EspsError, must_propagate, raised_by_ctrl_c
from esps_cli.io.output import err_console, escape

if TYPE_CHECKING:
    from rich.progress import Progress

    from esps_cli.domain.config import Settings
    from esps_cli.domain.framework import Cycle, Framework
    from esps_cli.domain.units import Advisor, Unit
    from esps_cli.register import RegisterLocation

# Exit codes: documented in the README and stable.
EXIT_OK = 0
EXIT_FINDINGS = 1  # the command ran and found problems (invalid returns, exceptions)
EXIT_USAGE = 2  # bad arguments, configuration, framework or units list
EXIT_INTERNAL = 3  # a bug in esps-cli: please report it
EXIT_INTERRUPTED = 130
EXIT_CLOSED_PIPE = 141  # 128 + SIGPIPE: the reader of the output closed the pipe

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str, code: int = EXIT_USAGE) -> typer.Exit:
    err_console.print(f"[bold red]error:[/bold red] {escape(message)}")
    return typer.Exit(code)


def closed_pipe() -> typer.Exit:
    """The reader of our output went away (`esps validate ... | head`): end quietly, as a
    pipe's writer does, with the shell's code for it (141). What is left to print goes to
    the null device, so the final flush does not complain either."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real file descriptor (a test runner's stdout)
        pass
    return typer.Exit(EXIT_CLOSED_PIPE)


# Errors of a write that no command turned into its own message: standard output (or a
# pipe's file) on a full disk.
_FULL = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is used up",
         errno.EFBIG: "the file is larger than the file system allows"}


def full_disk(exc: OSError) -> typer.Exit:
    """The output could not be written: say so (exit 2), and send what is left to print to
    the null device, so the final flush does not fail again."""
    closed_pipe()
    return fail(f"cannot write the output: {_FULL[exc.errno or 0]} ({exc.strerror}). Free some "
                "space, or write it elsewhere (--output FILE on another disk), and run the "
                "command again.")


def handles_errors(func: F) -> F:
    """Turn every error into a clear message and a stable exit code; never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except BrokenPipeError:
            raise closed_pipe() from None
        except OSError as exc:
            if exc.errno not in _FULL:
                raise _internal(exc) from None
            raise full_disk(exc) from None
        except EspsError as exc:
            raise fail(str(exc), exc.exit_code) from None
        except KeyboardInterrupt:
            raise _interrupted() from None
        except BaseException as exc:  # a native library's panic is a BaseException
            if raised_by_ctrl_c(exc):
                raise _interrupted() from None
            if must_propagate(exc):
                raise
            raise _internal(exc) from None

    return wrapper  # type: ignore[return-value]


def _interrupted() -> typer.Exit:
    err_console.print("interrupted")
    return typer.Exit(EXIT_INTERRUPTED)


def _internal(exc: BaseException) -> typer.Exit:
    if raised_by_ctrl_c(exc):  # an OSError raised while a Ctrl-C was handled, say
        return _interrupted()
    if os.environ.get("ESPS_DEBUG"):
        traceback.print_exception(exc)
    return fail(f"internal error ({type(exc).__name__}: {exc}). This is a bug in esps-cli; "
                "run again with ESPS_DEBUG=1 for details and report it.", EXIT_INTERNAL)


@dataclass
class Context:
    settings: Settings
    framework: Framework
    cycle: Cycle
    advisors: list[Advisor]
    units: list[Unit]
    units_path: Path | None


def settings() -> Settings:
    from esps_cli.domain.config import load_settings

    return load_settings()


def load_framework_from(option: Path | None, s: Settings | None = None) -> Framework:
    from esps_cli.domain.framework import load_framework

    s = s or settings()
    return load_framework(option or s.framework)


def register_location(option: str | None, s: Settings, *,
                      allow_network_sqlite: bool = False) -> RegisterLocation:
    """--register (a file or a postgresql:// URL), else ESPS_REGISTER, else esps.toml's;
    allow_network_sqlite: the user's --allow-network-sqlite (read-only use). Outside a working
    folder with none of these, a ConfigError (never a new ./esps.db by accident)."""
    from esps_cli.domain.config import missing_setting
    from esps_cli.register import REGISTER_ENV
    from esps_cli.register import register_location as locate_register

    if not option and not os.environ.get(REGISTER_ENV, "").strip() and not s.register_path:
        raise missing_setting(s, "score register", f"--register FILE (or set {REGISTER_ENV})",
                              "register")
    return locate_register(option, s.register_path, allow_network_sqlite=allow_network_sqlite)


def load_context(
    *,
    framework: Path | None = None,
    units: Path | None = None,
    advisors: Path | None = None,
    cycle: str | None = None,
    need_units: bool = True,
    s: Settings | None = None,
) -> Context:
    """Framework, cycle, advisors and units from flags, then esps.toml, then the examples."""
    from esps_cli.domain.config import cycle_id
    from esps_cli.working.lists import load_lists

    s = s or settings()
    fw = load_framework_from(framework, s)
    cyc = fw.cycle(cycle_id(s, cycle))
    units_path = units or s.units
    if units_path is None and need_units:
        raise ConfigError(
            "no units list: pass one (a CSV or XLSX: code,name,business_group,linked_dcfa) or "
            "set `units` in esps.toml "
            "(esps init creates one)"
        )
    advisor_list, unit_list = load_lists(fw, s, units_path, advisors)
    return Context(s, fw, cyc, advisor_list, unit_list, Path(units_path) if units_path else None)


# A batch shows a progress bar once it has taken this long (a quick run prints nothing).
PROGRESS_DELAY = 2.0


class ProgressBar:
    """The progress bar every batch shows on stderr: it appears once the batch has run for
    PROGRESS_DELAY seconds, only when stderr is a terminal, and vanishes when done. Use as a
    context manager; update(done, total) and advance() are safe to call from callbacks."""

    def __init__(self, description: str, total: int | None = None, *,
                 disable: bool = False, delay: float = PROGRESS_DELAY) -> None:
        self.description, self.total, self.done = description, total, 0
        self.enabled = not disable and err_console.is_terminal
        self.delay = delay
        self._started = time.monotonic()
        self._bar: Progress | None = None
        self._task: Any = None

    def __enter__(self) -> ProgressBar:
        self._started = time.monotonic()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def update(self, done: int | None = None, total: int | None = None) -> None:
        if done is not None:
            self.done = done
        if total is not None:
            self.total = total
        if self._bar is None:
            if not self.enabled or time.monotonic() - self._started < self.delay:
                return
            self._show()
        assert self._bar is not None
        self._bar.update(self._task, completed=self.done, total=self.total)

    def advance(self, n: int = 1) -> None:
        self.update(self.done + n)

    def _show(self) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self._bar = Progress(TextColumn("[progress.description]{task.description}"),
                             BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                             console=err_console.real(), transient=True)
        self._task = self._bar.add_task(self.description, total=self.total,
                                        completed=self.done)
        self._bar.start()


def progress_bar(description: str, total: int | None = None, *,
                 disable: bool = False) -> ProgressBar:
    return ProgressBar(description, total, disable=disable)
