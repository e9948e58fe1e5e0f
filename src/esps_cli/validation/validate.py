"""Validating one returned workbook: read it, run the checks in order, report.

`validate_workbook` never raises for a bad file: what the reader cannot read, and every check
that finds a problem, is a `Finding` with a stable code from the catalogue, the file, sheet and
cell, the indicator where there is one, and a hint. A check that fails (a bug, a native
library's panic) is a `check-failed` finding and the other checks still run. Nothing here
writes to the files it reads. The checks themselves are in `validation.checks`, one module per
concern; batches are in `validation.batch`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from esps_cli.domain.framework import Cycle, Framework
from esps_cli.domain.normalise import clean
from esps_cli.errors import describe, must_propagate
from esps_cli.findings import CHECK_FAILED, METADATA_UNHIDDEN, Finding, finding
from esps_cli.validation.answers import answers_of
from esps_cli.validation.checks import CHECKS
from esps_cli.validation.context import IssuedPacks, WorkbookCheck
from esps_cli.validation.report import WorkbookReport
from esps_cli.validation.runner import run_checks
from esps_cli.workbook.layout import SHEET_META
from esps_cli.workbook.reader import read_workbook


def count(findings: list[Finding]) -> tuple[int, int]:
    """(errors, warnings) among findings."""
    errors = [f.severity for f in findings].count("error")
    return errors, len(findings) - errors


def _fold_unhidden_metadata(findings: list[Finding]) -> None:
    """An unhidden metadata sheet that was also edited is one problem, not two: keep the
    error that says what was edited and say there that the sheet was unhidden."""
    unhidden = [f for f in findings if f.code == METADATA_UNHIDDEN.code]
    edits = [i for i, f in enumerate(findings)
             if f.sheet == SHEET_META and f.severity == "error"]
    if not unhidden or not edits:
        return
    for i in edits:
        f = findings[i]
        findings[i] = f.model_copy(update={
            "message": f"{f.message} (the hidden {SHEET_META} sheet was unhidden and edited)",
        })
    for f in unhidden:
        findings.remove(f)


def failed_report(path: str, name: str, error: str) -> WorkbookReport:
    """The report of a file whose checking failed as a whole: one check-failed finding."""
    f = finding(CHECK_FAILED, name, f"checking {name} failed: {error}")
    return WorkbookReport(file=name, path=path, readable=False, errors=1, findings=[f])


def validate_workbook(
    path: Path,
    framework: Framework,
    *,
    today: date | None = None,
    check_evidence: bool = False,
    cycle: Cycle | None = None,
    name: str | None = None,
    issued: IssuedPacks | None = None,
    answers: bool = True,
) -> WorkbookReport:
    """Check one returned workbook; never raises for a bad file.

    today: the date checks run as of (default: today); the submission date used for evidence
    dates is the Cover's Date completed, else its Sign-off date, else today.
    check_evidence: check evidence locations that are paths on this machine.
    cycle: the cycle the workbook must be for (wrong-cycle otherwise); None accepts any.
    name: how findings name the file (default: its file name).
    issued: the workbooks the register says were issued, to check the pack id (sealed
    identity); None: not checked.
    answers: read the unit's answers into the report (for comparing a resubmission with the
    return before it); a batch with no register leaves them out (reading them costs about as
    much as the checks).
    """
    path = Path(path)
    try:
        return _validate(path, framework, today=today or date.today(),
                         check_evidence=check_evidence, cycle=cycle, name=name, issued=issued,
                         answers=answers)
    except BaseException as exc:
        # The per-workbook boundary: a failure outside any one check (a native library's
        # panic included) is this file's one finding, never the batch's end.
        if must_propagate(exc):
            raise
        return failed_report(str(path), name or path.name, describe(exc))


def _validate(path: Path, framework: Framework, *, today: date, check_evidence: bool,
              cycle: Cycle | None, name: str | None,
              issued: IssuedPacks | None, answers: bool) -> WorkbookReport:
    rw = read_workbook(path, name=name)
    if not rw.readable:
        errors, warnings = count(rw.findings)
        return WorkbookReport(file=rw.name, path=str(path), readable=False, errors=errors,
                              warnings=warnings, findings=rw.findings,
                              sha256=rw.sha256)
    ctx = WorkbookCheck(rw, framework, today=today, expected_cycle=cycle,
                        check_evidence=check_evidence, issued=issued)
    run_checks(ctx, CHECKS)
    if any(f.code == METADATA_UNHIDDEN.code for f in rw.findings):  # the reader's finding
        _fold_unhidden_metadata(ctx.findings)
    meta = rw.meta
    cover_code = rw.cover.get("unit_code")
    cover_name = rw.cover.get("unit_name")
    statuses = [ctx.status[ind.id] for ind in ctx.indicators if ind.id in ctx.status]
    met = sum(1 for st in statuses if st["minimum_met"])
    total = len(ctx.indicators)
    errors, warnings = count(ctx.findings)
    return WorkbookReport(
        file=rw.name,
        path=str(path),
        unit_code=clean(meta.get("unit_code")) or (clean(cover_code.value) if cover_code else ""),
        unit_name=clean(meta.get("unit_name")) or (clean(cover_name.value) if cover_name else ""),
        cycle=ctx.cycle.id if ctx.cycle else clean(meta.get("cycle")),
        framework_id=clean(meta.get("framework_id")),
        framework_version=clean(meta.get("framework_version")),
        readable=True,
        valid=errors == 0,
        errors=errors,
        warnings=warnings,
        findings=ctx.findings,
        indicators=statuses,  # validated into IndicatorStatus
        indicators_met=met,
        indicators_total=total,
        evidence_completeness_pct=round(100.0 * met / total, 1) if total else 0.0,
        evidence_rows=ctx.evidence_rows,
        submission_date=ctx.submission_date,
        pack_id=clean(meta.get("pack_id")),
        sha256=rw.sha256,
        answers=answers_of(rw) if answers else None,
    )
