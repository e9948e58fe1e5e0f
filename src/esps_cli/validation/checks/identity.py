"""The Cover and the hidden metadata name the same unit and cycle (sheets not copied between
workbooks, locked Cover cells not changed)."""

from __future__ import annotations

from esps_cli.domain.normalise import clean
from esps_cli.findings import IDENTITY_MISMATCH
from esps_cli.validation.context import WorkbookCheck, cover_cycle_id, has_metadata
from esps_cli.validation.runner import Check
from esps_cli.workbook.layout import SHEET_COVER


def _identity(ctx: WorkbookCheck, _: None) -> None:
    rw = ctx.rw
    if not has_metadata(rw):
        return
    code = rw.cover.get("unit_code")
    meta_code = clean(rw.meta.get("unit_code"))
    if code is not None and meta_code and clean(code.value) != meta_code:
        ctx.add(IDENTITY_MISMATCH, field="unit", cover=clean(code.value), meta=meta_code,
                sheet=SHEET_COVER, cell=code.ref)
    cyc = rw.cover.get("cycle")
    cover_id, meta_id = cover_cycle_id(rw), clean(rw.meta.get("cycle"))
    if cyc is not None and meta_id and cover_id and cover_id != meta_id:
        ctx.add(IDENTITY_MISMATCH, field="cycle", cover=clean(cyc.value), meta=meta_id,
                sheet=SHEET_COVER, cell=cyc.ref)


IDENTITY = Check("identity", (IDENTITY_MISMATCH,), _identity)
