"""Editions to a single-file web page (Jinja2, the style sheet inlined) and to a tagged PDF
(WeasyPrint, from the same page).

Why WeasyPrint for the PDF: it prints the very page the web edition is (one layout to keep
right, not a second one in a spreadsheet), it writes tagged PDF (PDF/UA-1: structure, title,
language) that screen readers follow, its CSS paged media puts the marking and "Page x of y"
on every page, and it installs from PyPI as Python (plus the system's Pango), so there is no
browser or office suite to drive at run time. It is the `pdf` extra: the web page needs only
Jinja2."""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

from esps_cli.errors import ConfigError
from esps_cli.io.safety import atomic_write_bytes, strip_control
from esps_cli.reports.editions.page import NO_FIGURE, shown

TEMPLATES = "templates"


@cache
def _environment() -> Any:
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(loader=PackageLoader("esps_cli.reports.editions", TEMPLATES),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      finalize=printable)
    env.globals.update(stylesheet=_stylesheet(), shown=shown, NO_FIGURE=NO_FIGURE)
    env.filters.update(css_string=css_string, long_date=long_date, long_time=long_time,
                       row_label=row_label)
    return env


def printable(value: Any) -> Any:
    """Every value a template prints, without the control characters HTML does not allow (a
    NUL, a terminal escape sequence typed into a unit's name); markup stays markup. Never cut
    to a cell's length: a page's CSV links and sections run far longer."""
    if isinstance(value, Markup):
        return Markup(strip_control(str(value)))
    return strip_control(value) if isinstance(value, str) else value


def css_string(text: str) -> str:
    """Text inside a CSS string in a <style> element: quotes, backslashes, angle brackets and
    control characters as CSS escapes, so no text can end the string or the element."""
    return "".join(c if c.isalnum() or c in " .,:;-_()/'" else f"\\{ord(c):x} " for c in text)


_CODE_AT_END = re.compile(r"\(([^()\s]{1,40})\)$")


def row_label(value: str) -> Markup:
    """A row's heading as the page shows it, a unit's code in brackets kept on one line
    ("Barking & Dagenham (TP-KG)" never breaks at the code's hyphen)."""
    text = str(escape(value))
    return Markup(_CODE_AT_END.sub(r'<span class="nowrap">(\1)</span>', text))


def long_date(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def long_time(value: datetime) -> str:
    return f"{value.day} {value:%B %Y} at {value:%H:%M}"


@cache
def _stylesheet() -> str:
    return (resources.files("esps_cli.reports.editions") / TEMPLATES / "edition.css"
            ).read_text(encoding="utf-8")


def render_html(template: str, **values: Any) -> str:
    """An edition's page: one HTML file with everything inline."""
    return str(_environment().get_template(template).render(**values))


def pdf_bytes(html: str) -> bytes:
    """The page printed to a tagged A4 PDF (PDF/UA-1) by WeasyPrint."""
    try:
        from weasyprint import HTML
    except ImportError as exc:  # the `pdf` extra is not installed (or Pango is missing)
        raise ConfigError(
            "writing a PDF needs WeasyPrint: pip install 'esps-cli[pdf]' (on Debian or "
            f"Ubuntu it also needs the Pango library: apt-get install libpango-1.0-0) ({exc})"
        ) from exc

    def no_fetch(url: str, *args: Any, **kwargs: Any) -> Any:
        raise ValueError(f"an edition fetches nothing ({url})")

    document = HTML(string=html, url_fetcher=no_fetch)
    data = document.write_pdf(pdf_variant="pdf/ua-1", pdf_tags=True)
    assert isinstance(data, bytes)
    return data


def edition_bytes(html: str, suffix: str) -> bytes:
    """The edition as a file of that suffix: .pdf the page printed, else the page."""
    return pdf_bytes(html) if suffix.lower() == ".pdf" else html.encode("utf-8")


def write_edition(path: Path, html: str, *, force: bool = False) -> None:
    """The edition by the path's suffix: .html the page, .pdf the page printed."""
    atomic_write_bytes(path, edition_bytes(html, path.suffix), force=force)
