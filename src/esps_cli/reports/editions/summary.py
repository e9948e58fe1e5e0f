"""The summary's editions: the Board pack, or (for a public summary) the public edition, as
one HTML page; render.write_edition prints it to PDF when asked."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from esps_cli.domain.framework import Framework
from esps_cli.reports.editions.board import board_edition
from esps_cli.reports.editions.page import EditionInfo
from esps_cli.reports.editions.public import period_of, public_edition
from esps_cli.reports.editions.render import render_html, write_edition
from esps_cli.summary.models import SummaryReport

if TYPE_CHECKING:
    from esps_cli.reports.render import Destination

BOARD_TITLE = "ESPS compliance: report to the Diversity Board"
PUBLIC_TITLE = "Equality Standard for the Police Service: results for police units"


def summary_html(report: SummaryReport, framework: Framework, *, classification: str,
                 previous: SummaryReport | None = None,
                 advisor_names: dict[str, str] | None = None, next_year: str = "next year",
                 contact: str | None = None, fingerprint: str = "") -> str:
    """The Board pack, or for a public report the public edition, as a single-file page.
    fingerprint: the audit chain's head to print (default: the one the report was made at)."""
    org = report.organisation
    fingerprint = fingerprint or report.chain_fingerprint
    framework_text = f"{framework.meta.id} {framework.meta.version}"
    if report.public:
        info = EditionInfo(title=PUBLIC_TITLE, classification=classification,
                           edition="Public edition", cycle=period_of(org.cycle),
                           fingerprint=fingerprint)
        released = report.community.release if report.community else None
        info.release_date = released.released_on if released else info.made_at.date()
        edition = public_edition(report, framework, info, contact=contact)
        return render_html("public.html.j2", **dict(edition))
    info = EditionInfo(title=BOARD_TITLE, classification=classification,
                       edition="Report to the Diversity Board", cycle=org.cycle_name,
                       framework=framework_text, fingerprint=fingerprint)
    board = board_edition(report, framework, info, previous=previous,
                          advisor_names=advisor_names, next_year=next_year)
    return render_html("board.html.j2", **dict(board))


def summary_edition(report: SummaryReport, dest: Destination, *, framework: Framework,
                    classification: str, previous: SummaryReport | None = None,
                    advisor_names: dict[str, str] | None = None, next_year: str = "next year",
                    contact: str | None = None, **_: Any) -> None:
    """The html and pdf writer of the summary (reports/render.py): the page, or as a .pdf
    file the page printed; on standard output the page."""
    html = summary_html(report, framework, classification=classification, previous=previous,
                        advisor_names=advisor_names, next_year=next_year, contact=contact)
    if dest.path is None:
        dest.write_text(html)
    else:
        write_edition(dest.path, html, force=dest.force)
