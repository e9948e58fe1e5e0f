"""Where a summary's inputs come from: the returns (validated, with the register's validation
cache) and the register's current scores, allocations and review states."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from esps_cli.domain.framework import Framework
from esps_cli.domain.units import Advisor, Unit
from esps_cli.errors import ConfigError
from esps_cli.io.collector import collector_paused
from esps_cli.register import (
    DriverMissingError,
    Marks,
    Register,
    RegisterBusyError,
    RegisterConnectionError,
    RegisterLocation,
    RegisterNotFound,
    RegisterPermissionError,
    locate,
)
from esps_cli.register.checkpoint import fingerprint_of
from esps_cli.register.review import current_states
from esps_cli.summary.models import VIEWS, SummaryReport, View
from esps_cli.summary.quality import assessment_quality
from esps_cli.summary.rules import has_data, previous_cycle_id
from esps_cli.summary.standing import build_summary
from esps_cli.validation.batch import validate_paths
from esps_cli.validation.report import BatchReport
from esps_cli.validation.returns import review_loop


def read_register(location: RegisterLocation | Path | str | None, cycle_id: str
                  ) -> tuple[dict[tuple[str, str], Marks], dict[str, str], dict[str, str]]:
    """Current scores, allocations and review states for a cycle; none when there is no
    register yet."""
    if location is None:
        return {}, {}, {}
    try:
        with Register.open(location, create=False) as register:
            states: dict[str, str] = {u: c.state
                                      for u, c in current_states(register, cycle_id).items()}
            return register.current_marks(cycle_id), register.allocations(cycle_id), states
    except RegisterNotFound:
        return {}, {}, {}


@contextmanager
def validation_cache(location: RegisterLocation | Path | str | None
                     ) -> Iterator[Register | None]:
    """The register whose validation cache spares re-checking unchanged returns; None when
    there is none (no register yet, or one that cannot be opened: reading it for the scores
    then says why). A cache is an optimisation, never a reason to fail."""
    register = None
    if location is not None:
        with suppress(RegisterNotFound, ConfigError, RegisterBusyError,
                      RegisterConnectionError, RegisterPermissionError, DriverMissingError):
            register = Register.open(location, create=False)
    try:
        yield register
    finally:
        if register is not None:
            register.close()


def collect_summary(
    framework: Framework,
    cycle_id: str,
    units: list[Unit],
    advisors: list[Advisor],
    returns: list[Path],
    register_path: RegisterLocation | Path | str | None,
    *,
    jobs: int | None = None,
    on_progress: Callable[..., None] | None = None,
    views: Iterable[View] = VIEWS,
    public: bool = False,
    recursive: bool = False,
    findings: bool = True,
    quality: bool = False,
) -> tuple[SummaryReport, BatchReport]:
    """Validate the returns, read the register, and build the cycle's summary. The returns
    folders are read as `esps validate` reads them: their own files, and with recursive those
    of their subfolders too.

    With a register, returns are checked against the workbooks issued (sealed identity) and
    a unit's older files the register knows were replaced do not count (nothing is recorded:
    summary only reads); an unchanged return's validation comes from the register's cache.

    findings=False: the batch's reports carry what a summary reads, not every finding
    (WorkbookReport.for_summary): a summary of returns with many findings costs no more.
    quality: with the Board pack's assessment-quality page (summary_from_batch)."""
    location = None if register_path is None else locate(register_path)
    with review_loop(location, record=False, cycle=cycle_id, units=units) as loop, \
            validation_cache(location) as cache:
        batch = validate_paths(returns, framework, units=units, recursive=recursive, jobs=jobs,
                               on_progress=on_progress, issued=loop.issued,
                               history=loop.history, cache=cache, for_summary=not findings)
    report = summary_from_batch(framework, cycle_id, units, advisors, batch, register_path,
                                views=views, public=public, quality=quality)
    return report, batch


def summary_from_batch(
    framework: Framework,
    cycle_id: str,
    units: list[Unit],
    advisors: list[Advisor],
    batch: BatchReport,
    register_path: RegisterLocation | Path | str | None,
    *,
    views: Iterable[View] = VIEWS,
    public: bool = False,
    quality: bool = False,
) -> SummaryReport:
    """A cycle's summary from returns already validated (one validation serves every cycle:
    each return is counted for the cycle it names). quality: with the Board pack's
    assessment-quality page (summary.quality), from the same reading of the scores."""
    cycle = framework.cycle(cycle_id).id
    with collector_paused():  # 100,000 scores and standings that live to the end
        scores, allocations, states = read_register(register_path, cycle)
        report = build_summary(framework, cycle_id, units, batch, scores, allocations, advisors,
                               views=views, public=public, review_states=states)
        if quality:
            location = None if register_path is None else locate(register_path)
            report.assessment_quality = assessment_quality(framework, cycle, units, advisors,
                                                           location, current=scores)
    report.chain_fingerprint = fingerprint_of(register_path)
    return report


def previous_summary(
    framework: Framework,
    cycle_id: str,
    units: list[Unit],
    advisors: list[Advisor],
    batch: BatchReport,
    register_path: RegisterLocation | Path | str | None,
    *,
    public: bool = False,
) -> SummaryReport | None:
    """The previous cycle's summary, for trends; None when there is no previous cycle or it
    has neither returns nor scores."""
    before = previous_cycle_id(framework, cycle_id)
    if before is None:
        return None
    report = summary_from_batch(framework, before, units, advisors, batch, register_path,
                                public=public)
    return report if has_data(report) else None
