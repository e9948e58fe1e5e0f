"""What every edition is made of: the page furniture, tables (GOV.UK table markup, each with a
CSV of its data), and bar charts drawn as inline SVG with a text alternative."""

from __future__ import annotations

import base64
from datetime import date, datetime
from typing import Literal

from markupsafe import Markup, escape
from pydantic import BaseModel, Field

from esps_cli.io.output import csv_text

NO_FIGURE = "–"  # shown where there is no figure; the legend says so
Value = str | int | float | None


class EditionInfo(BaseModel):
    """What every page of an edition says about itself (header, footer, PDF metadata)."""

    title: str
    classification: str = "OFFICIAL"
    edition: str = ""  # e.g. "Report to the Diversity Board"
    framework: str = ""  # e.g. "esps-mps 2010.1"
    cycle: str = ""  # e.g. "FY2010/11"
    made_at: datetime = Field(default_factory=lambda: datetime.now().replace(microsecond=0))
    release_date: date | None = None
    # The audit chain's head fingerprint (the register's tamper evidence), printed in the
    # footer of the Board pack and the public edition when the report carries one.
    fingerprint: str = ""
    lang: str = "en-GB"


class Column(BaseModel):
    heading: str
    numeric: bool = False


class Table(BaseModel):
    """A table: a caption, headings, rows of raw values (the CSV keeps them unrounded; the
    page shows them with `shown`). The first cell of each row heads the row."""

    id: str  # html id, and the CSV's file name
    caption: str
    columns: list[Column]
    rows: list[list[Value]]
    total: list[Value] | None = None  # a last row in bold, kept in the CSV too

    @property
    def csv_name(self) -> str:
        return f"{self.id}.csv"

    def csv(self) -> str:
        rows = [*self.rows, *([self.total] if self.total else [])]
        return csv_text([c.heading for c in self.columns], rows)

    @property
    def csv_href(self) -> str:
        """The CSV as a data: link, so the page stays one file and the download needs no
        request."""
        data = base64.b64encode(self.csv().encode("utf-8")).decode("ascii")
        return f"data:text/csv;charset=utf-8;base64,{data}"


def shown(value: Value, decimals: int = 1) -> str:
    """A value as the page shows it: floats to `decimals` places, no figure (None) as the
    no-figure symbol, an empty text (a cell to fill in) empty."""
    if value is None:
        return NO_FIGURE
    if value == "":
        return ""  # a cell left to fill in
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float):
        return f"{value:.{decimals}f}"
    return str(value)


def cols(*headings: str, numeric: tuple[int, ...] = ()) -> list[Column]:
    return [Column(heading=h, numeric=i in numeric) for i, h in enumerate(headings)]


class Bar(BaseModel):
    label: str
    value: float


class BarChart(BaseModel):
    """A horizontal bar chart of percentages with an optional target line; the page puts the
    table of its data beside it and the SVG carries a text alternative."""

    id: str
    title: str
    summary: str  # the text alternative: what the chart shows, in a sentence or two
    bars: list[Bar]
    target: float | None = None
    maximum: float = 100.0
    layout: Literal["beside", "stacked"] = "beside"

    def svg(self) -> Markup:
        """The chart as inline SVG, styled by its own attributes (a PDF engine does not apply
        the page's style sheet inside SVG). Stacked: each label above its bar, narrow enough
        to read on a phone; else labels beside the bars, shorter for a printed page."""
        stacked = self.layout == "stacked"
        label_w = 12 if stacked else 215
        plot_w, bar_h, top = (330, 16, 30) if stacked else (250, 18, 30)
        step = bar_h + (26 if stacked else 5)
        height = top + len(self.bars) * step + 24
        width = label_w + plot_w + 60
        ink = 'fill="#0b0c0c" font-family="Arial, Liberation Sans, DejaVu Sans, sans-serif"'

        def x(v: float) -> float:
            return label_w + plot_w * max(0.0, min(v, self.maximum)) / self.maximum

        parts = [
            f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
            f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
            f'aria-labelledby="{self.id}-t {self.id}-d">',
            f'<title id="{self.id}-t">{escape(self.title)}</title>',
            f'<desc id="{self.id}-d">{escape(self.summary)}</desc>',
        ]
        for tick in range(0, int(self.maximum) + 1, 20):
            parts.append(f'<line x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="{top - 4}" '
                         f'y2="{height - 20}" stroke="#d8d8d8" stroke-width="1"/>'
                         f'<text x="{x(tick):.1f}" y="{height - 5}" font-size="13" '
                         f'text-anchor="middle" {ink}>{tick}%</text>')
        for i, bar in enumerate(self.bars):
            y = top + i * step + (22 if stacked else 0)
            label = (f'<text x="{label_w}" y="{y - 5}" font-size="14" {ink}>' if stacked else
                     f'<text x="{label_w - 8}" y="{y + bar_h - 4}" font-size="14" '
                     f'text-anchor="end" {ink}>')
            parts.append(
                f'{label}{escape(bar.label)}</text>'
                f'<rect x="{label_w}" y="{y}" width="{x(bar.value) - label_w:.1f}" '
                f'height="{bar_h}" fill="#1d70b8"/>'
                f'<text x="{x(bar.value) + 4:.1f}" y="{y + bar_h - 3}" font-size="14" '
                f'{ink}>{bar.value:.1f}%</text>')
        if self.target is not None:
            tx = x(self.target)
            parts.append(f'<line x1="{tx:.1f}" x2="{tx:.1f}" y1="{top - 8}" y2="{height - 20}" '
                         f'stroke="#0b0c0c" stroke-width="2" stroke-dasharray="6 3"/>'
                         f'<text x="{tx:.1f}" y="{top - 13}" font-size="14" font-weight="bold" '
                         f'text-anchor="middle" {ink}>Target {self.target:g}%</text>')
        parts.append("</svg>")
        return Markup("".join(parts))
