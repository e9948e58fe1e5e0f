"""The Board's words, shared by the printed Board pack and the terminal summary: titles, a RAG
status in words, a trend, the KPI formula. Kept apart from reports.board so the terminal
summary does not load the workbook writer (openpyxl) to say them."""

from __future__ import annotations

from esps_cli.domain.framework import Framework, Rag
from esps_cli.summary.compliance import Trend

BOARD_TITLE = "ESPS compliance: report to the Diversity Board"
PUBLIC_TITLE = "ESPS compliance: public edition for community review"
COMPARISON_TITLE = "ESPS compliance: cycle comparison"
ARROW = {"up": "▲", "down": "▼", "same": "►"}


def board_title(public: bool) -> str:
    return PUBLIC_TITLE if public else BOARD_TITLE


def rag_text(framework: Framework, rag: Rag) -> str:
    """The RAG status as words, so it reads without the colour."""
    return f"{rag.upper()}: {framework.bands.band(rag).label}"


def trend_text(change: float | None, trend: Trend | None) -> str:
    if change is None or trend is None:
        return "no previous figure"
    if trend == "same":
        return f"{ARROW[trend]} no change"
    return f"{ARROW[trend]} {'up' if trend == 'up' else 'down'} {abs(change):.1f} pts"


def formula_text(meeting: int, units: int, pct: float) -> str:
    return (f"Compliance % = units meeting the baseline ÷ units on the list × 100 = "
            f"{meeting} ÷ {units} × 100 = {pct:.1f}%")
