"""The Board pack's assessment-quality section in the web page and the PDF: the same findings,
sentences and figures as the xlsx page (reports.quality), with the tables as GOV.UK tables
(each with its CSV, unrounded)."""

from __future__ import annotations

from pydantic import BaseModel

from esps_cli.reports.editions.page import Table, cols
from esps_cli.reports.quality import (
    CALIBRATION_COLUMNS,
    FLAGGED_COLUMNS,
    QUALITY_TITLE,
    Statement,
    calibration_shown_rows,
    flagged_rows,
    quality_notes,
    quality_statements,
)
from esps_cli.summary.models import SummaryReport


class QualityFinding(BaseModel):
    statement: Statement
    figure_lines: list[str]
    table: Table | None = None


class QualitySection(BaseModel):
    title: str = QUALITY_TITLE
    findings: list[QualityFinding]
    notes: list[str]


def quality_section(report: SummaryReport, names: dict[str, str]) -> QualitySection | None:
    """The section, or None for a public report or one without the register's figures."""
    q = report.assessment_quality
    if q is None or report.public:
        return None
    findings = []
    for s in quality_statements(q, names):
        table = None
        if s.table == "flagged" and q.decision is not None:
            table = Table(id="pairs-below-level", caption="Assessor pairs below the level of "
                          f"agreement on the decision ({q.decision.level_pct:g}%)",
                          columns=cols(*FLAGGED_COLUMNS, numeric=(2, 3, 4)),
                          rows=flagged_rows(q.decision, names))
        elif s.table == "calibration" and q.calibration is not None:
            table = Table(id="calibration", caption="Each DCFA against the seed returns' "
                          "agreed scores (deviation: negative is harsher)",
                          columns=cols(*CALIBRATION_COLUMNS, numeric=(1, 2, 3, 4)),
                          rows=calibration_shown_rows(q.calibration, names))
        findings.append(QualityFinding(statement=s, figure_lines=s.figure.split("\n"),
                                       table=table))
    return QualitySection(findings=findings, notes=quality_notes(q))
