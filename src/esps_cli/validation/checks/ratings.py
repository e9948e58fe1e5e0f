"""Each indicator's self-assessment rating: given, on the framework's scale, and N/A only where
the indicator allows it (with a reason)."""

from __future__ import annotations

from esps_cli.domain.normalise import NA, Parsed, clean, is_blank, parse_rating
from esps_cli.findings import (
    INVALID_RATING,
    MISSING_RATING,
    NA_NOT_ALLOWED,
    NA_WITHOUT_REASON,
    NUMBER_AS_TEXT,
)
from esps_cli.validation.context import IndicatorRow, WorkbookCheck
from esps_cli.validation.runner import Check

# What parse_rating gives for an empty cell (immutable, so shared).
_BLANK: Parsed[int | str] = Parsed(None, "blank")


def _rating(ctx: WorkbookCheck, row: IndicatorRow) -> None:
    if "rating" not in row.table.columns:
        return
    assert ctx.index is not None
    ind, mins, scores = row.indicator, row.indicator.evidence, ctx.index.scores
    raw = row.row.values.get("rating")
    parsed: Parsed[int | str]
    if type(raw) is float and raw in ctx.index.score_set:
        parsed = Parsed(int(raw), "ok")  # the usual case: a number from the list
    elif raw == "" or raw is None:
        parsed = _BLANK  # the other usual case: not answered yet
    else:
        parsed = parse_rating(raw, scores)
    cell = "" if parsed.status == "ok" and parsed.value != NA else row.ref("rating")
    if parsed.status == "blank":
        if mins.rating_required:
            ctx.add(MISSING_RATING,
                    sheet=row.sheet, cell=cell, indicator_id=ind.id)
    elif parsed.status == "invalid":
        options = ", ".join(str(s) for s in scores) + (f" or {NA}" if mins.na_allowed else "")
        ctx.add(INVALID_RATING, rating=clean(raw), options=options,
                sheet=row.sheet, cell=cell, indicator_id=ind.id)
    elif parsed.value == NA:
        row.na = True
        _na(ctx, row, cell)
    else:
        row.rating = int(parsed.value)  # type: ignore[arg-type]
        if parsed.status == "text":
            ctx.add(NUMBER_AS_TEXT, note=parsed.note, read_as=row.rating,
                    sheet=row.sheet, cell=cell, indicator_id=ind.id)


def _na(ctx: WorkbookCheck, row: IndicatorRow, cell: str) -> None:
    ind, scores = row.indicator, ctx.index.scores if ctx.index else []
    if not ind.evidence.na_allowed:
        ctx.add(NA_NOT_ALLOWED, lowest=scores[0], highest=scores[-1],
                sheet=row.sheet, cell=cell, indicator_id=ind.id)
    elif is_blank(row.row.values.get("na_reason")) and not row.narrative:
        ctx.add(NA_WITHOUT_REASON,
                sheet=row.sheet,
                cell=row.ref("na_reason" if "na_reason" in row.table.columns else "rating"),
                indicator_id=ind.id)


RATING = Check(
    "rating",
    (MISSING_RATING, INVALID_RATING, NA_NOT_ALLOWED, NA_WITHOUT_REASON, NUMBER_AS_TEXT),
    _rating,
)
