"""Running checks: an ordered list of checks, each run in turn, every finding collected.

A check is a named function of a `WorkbookCheck` that declares the finding codes it can emit.
The runner is not fail-fast: a check that finds problems adds findings and the next check
runs. A check that raises (a bug, or a native library's panic) becomes one `check-failed`
finding naming the check, and the rest still run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from esps_cli.errors import describe, must_propagate
from esps_cli.findings import CHECK_FAILED, Code
from esps_cli.validation.context import WorkbookCheck

Subject = TypeVar("Subject")


@dataclass(frozen=True)
class Check(Generic[Subject]):
    """One check: its name (for check-failed messages), the codes it can emit, and the function
    that runs it on a subject (the workbook, one evidence row, or one indicator).

    content: run only when the workbook's indicators can be compared with the framework's.
    """

    name: str
    codes: tuple[Code, ...]
    run: Callable[[WorkbookCheck, Subject], None]
    content: bool = False
    code_set: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "code_set", frozenset(c.code for c in self.codes))


WorkbookCheckStep = Check[None]


def run_one(ctx: WorkbookCheck, check: Check[Subject], subject: Subject) -> bool:
    """Run a check on a subject; False (and a check-failed finding) if it raised."""
    return run_on(ctx, (check,), subject)


def run_on(ctx: WorkbookCheck, checks: Sequence[Check[Subject]], subject: Subject) -> bool:
    """Run checks on a subject, one after the other (as run_one each, in one loop: a blank
    return runs three on each of its indicators); False if any raised. A check that raises is
    a check-failed finding and the rest still run."""
    outer = ctx.allowed
    ran = True
    try:
        for check in checks:
            ctx.allowed = check.code_set
            try:
                check.run(ctx, subject)
            except BaseException as exc:
                if must_propagate(exc):
                    raise
                ctx.allowed = None
                where = f" on {subject}" if subject is not None else ""
                ctx.add(CHECK_FAILED, f"the {check.name} check{where} failed: {describe(exc)}")
                ran = False
    finally:
        ctx.allowed = outer
    return ran


def run_checks(ctx: WorkbookCheck, checks: Sequence[WorkbookCheckStep]) -> None:
    """Run every workbook-level check in order (content checks only when content_ok)."""
    for check in checks:
        if check.content and not ctx.content_ok:
            continue
        run_one(ctx, check, None)


def run_each(ctx: WorkbookCheck, checks: Sequence[Check[Subject]],
             subjects: Iterable[Subject]) -> None:
    """Run a list of checks on each subject in turn (all checks on the first subject, then
    the next), so a subject's findings stay together in check order."""
    for subject in subjects:
        run_on(ctx, checks, subject)


def declared_codes(checks: Iterable[Check[object]]) -> set[str]:
    """Every code a list of checks can emit."""
    return {c for check in checks for c in check.code_set}
