"""The validation report as a web page (and PDF): for one return (a unit's validation report)
or a folder: each return's standing, what to correct (where, what is wrong, how to fix) and
each indicator's answers; with a units list, the units that have not returned."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from esps_cli.findings import Finding
from esps_cli.reports.editions.page import EditionInfo, Table, cols
from esps_cli.reports.editions.render import render_html, write_edition
from esps_cli.validation.report import BatchReport, WorkbookReport

if TYPE_CHECKING:
    from esps_cli.reports.render import Destination


class ReturnSection(BaseModel):
    id: str
    heading: str
    verdict: str
    facts: list[str]
    findings: Table | None
    indicators: Table | None


class ValidationEdition(BaseModel):
    info: EditionInfo
    summary: Table
    sections: list[ReturnSection]
    batch_findings: Table | None


def _verdict(wb: WorkbookReport) -> str:
    if not wb.readable:
        return "Unreadable: the file could not be opened as an ESPS workbook"
    state = "Valid" if wb.valid else "Invalid"
    if wb.superseded_by:
        state += f", replaced by {wb.superseded_by}"
    return f"{state}: {wb.errors} error(s), {wb.warnings} warning(s)"


def _findings_table(findings: list[Finding], id_: str, caption: str) -> Table | None:
    if not findings:
        return None
    return Table(id=id_, caption=caption,
                 columns=cols("Where", "Indicator", "Severity", "What is wrong", "How to fix",
                              "Code"),
                 rows=[[(f"{f.sheet}!{f.cell}" if f.cell else f.sheet) or f.file,
                        f.indicator_id or None, f.severity.capitalize(), f.message,
                        f.hint or None, f.code] for f in findings])


def _section(i: int, wb: WorkbookReport, extra: list[Finding]) -> ReturnSection:
    unit = f"{wb.unit_name} ({wb.unit_code})" if wb.unit_name else (wb.unit_code or
                                                                    "unknown unit")
    facts = [f"Unit: {unit}", f"File: {wb.file}"]
    if wb.cycle:
        facts.append(f"Cycle: {wb.cycle}")
    if wb.submission_date:
        facts.append(f"Submission date: {wb.submission_date:%d/%m/%Y}")
    if wb.indicators_total:
        facts.append(f"Indicators meeting their evidence minimum: {wb.indicators_met} of "
                     f"{wb.indicators_total} (evidence completeness "
                     f"{wb.evidence_completeness_pct:.1f}%)")
    findings = [*wb.findings, *extra]
    indicators = None if not wb.indicators else Table(
        id=f"r{i}-indicators", caption=f"Each indicator's answers: {wb.file}",
        columns=cols("Indicator", "Self-assessment", "Narrative characters",
                     "Usable evidence items", "Evidence minimum met", numeric=(1, 2, 3)),
        rows=[[s.indicator_id, "N/A" if s.na else s.rating, s.narrative_chars,
               s.evidence_items, "Yes" if s.minimum_met else "No"] for s in wb.indicators])
    return ReturnSection(
        id=f"r{i}", heading=f"{unit}: {wb.file}", verdict=_verdict(wb), facts=facts,
        findings=_findings_table(findings, f"r{i}-findings",
                                 f"What to correct: {len(findings)} finding(s) in {wb.file}"),
        indicators=indicators)


def validation_edition(batch: BatchReport, info: EditionInfo) -> ValidationEdition:
    by_file: dict[str, list[Finding]] = {}
    for f in batch.findings:
        by_file.setdefault(f.file, []).append(f)
    summary = Table(
        id="returns", caption=f"Returns checked on {batch.checked_on:%d/%m/%Y}: "
        f"{len(batch.workbooks)}",
        columns=cols("File", "Unit", "Result", "Errors", "Warnings",
                     "Evidence completeness %", numeric=(3, 4, 5)),
        rows=[[wb.file, f"{wb.unit_name} ({wb.unit_code})" if wb.unit_name else wb.unit_code,
               "Unreadable" if not wb.readable else "Valid" if wb.valid else "Invalid",
               wb.errors, wb.warnings,
               wb.evidence_completeness_pct if wb.indicators_total else None]
              for wb in batch.workbooks])
    files = {wb.file for wb in batch.workbooks}
    rest = [f for f in batch.findings if f.file not in files]
    return ValidationEdition(
        info=info, summary=summary,
        sections=[_section(i, wb, by_file.get(wb.file, []))
                  for i, wb in enumerate(batch.workbooks, start=1)],
        batch_findings=_findings_table(rest, "batch-findings",
                                       f"Across the folder: {len(rest)} finding(s)"))


def validation_html(batch: BatchReport, *, classification: str) -> str:
    """The validation report as one page: for one return, that unit's validation report."""
    one = batch.workbooks[0] if len(batch.workbooks) == 1 else None
    unit = (f": {one.unit_name} ({one.unit_code})" if one and one.unit_name else
            f": {one.file}" if one else "")
    info = EditionInfo(title=f"ESPS validation report{unit}", classification=classification,
                       edition="Validation report", cycle=batch.cycle or "",
                       framework=f"{batch.framework_id} {batch.framework_version}")
    return render_html("validation.html.j2", **dict(validation_edition(batch, info)))


def validation_page(batch: BatchReport, dest: Destination, *, classification: str | None = None,
                    **_: Any) -> None:
    """The html and pdf writer of the validation report (reports/render.py): the page, or as
    a .pdf file the page printed; on standard output the page."""
    from esps_cli.reports.printing import DEFAULT_CLASSIFICATION

    html = validation_html(batch, classification=classification or DEFAULT_CLASSIFICATION)
    if dest.path is None:
        dest.write_text(html)
    else:
        write_edition(dest.path, html, force=dest.force)
