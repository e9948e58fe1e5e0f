"""The assessment cycle the workbook is for: one the framework defines, and the one expected.

The cycle comes from the hidden metadata, else the Cover, else the cycle expected. Once it is
known, the framework's indicators for it are looked up for the content checks; without it (or
for another framework) the content checks do not run.
"""

from __future__ import annotations

from esps_cli.domain.normalise import clean
from esps_cli.findings import UNKNOWN_CYCLE, WRONG_CYCLE
from esps_cli.validation.context import (
    WorkbookCheck,
    cover_cycle_id,
    framework_index,
    has_metadata,
)
from esps_cli.validation.runner import Check
from esps_cli.workbook.layout import SHEET_COVER, SHEET_META


def _cycle(ctx: WorkbookCheck, _: None) -> None:
    rw, fw, expected = ctx.rw, ctx.fw, ctx.expected_cycle
    meta = has_metadata(rw)
    cover_cycle = rw.cover.get("cycle")
    cycle_id = (clean(rw.meta.get("cycle")) if meta else "") or cover_cycle_id(rw) or (
        expected.id if expected else "")
    if cycle_id:
        ctx.cycle = next((c for c in fw.cycles if cycle_id in (c.id, c.name)), None)
        if ctx.cycle is None:
            known = ", ".join(c.id for c in fw.cycles)
            ctx.add(UNKNOWN_CYCLE, cycle=cycle_id, known=known,
                    sheet=SHEET_META if meta else SHEET_COVER,
                    cell=rw.meta_refs.get("cycle", "") if meta
                    else (cover_cycle.ref if cover_cycle else ""))
        elif expected and ctx.cycle.id != expected.id:
            ctx.add(WRONG_CYCLE, found=ctx.cycle, expected=expected,
                    sheet=SHEET_COVER if cover_cycle else SHEET_META,
                    cell=cover_cycle.ref if cover_cycle else rw.meta_refs.get("cycle", ""))
    if ctx.cycle is None:
        ctx.content_ok = False
    if ctx.content_ok and ctx.cycle is not None:
        ctx.index = framework_index(fw, ctx.cycle)
        ctx.indicators = ctx.index.indicators


CYCLE = Check("cycle", (UNKNOWN_CYCLE, WRONG_CYCLE), _cycle)
