"""The hidden metadata sheet: every value present, the layout readable, the fingerprint intact."""

from __future__ import annotations

from esps_cli.domain.normalise import clean, is_blank
from esps_cli.findings import METADATA_INCOMPLETE, METADATA_TAMPERED, UNSUPPORTED_LAYOUT
from esps_cli.validation.context import WorkbookCheck, has_metadata
from esps_cli.validation.runner import Check
from esps_cli.workbook.layout import (
    LAYOUT_VERSION,
    SHEET_META,
    SUPPORTED_LAYOUTS,
    workbook_fingerprint,
)

REQUIRED_KEYS = ("framework_id", "framework_version", "cycle", "unit_code", "fingerprint")


def _complete(ctx: WorkbookCheck, _: None) -> None:
    rw = ctx.rw
    if not has_metadata(rw):
        return
    for key in REQUIRED_KEYS:
        if is_blank(rw.meta.get(key)):
            ctx.add(METADATA_INCOMPLETE, key=key,
                    sheet=SHEET_META, cell=rw.meta_refs.get(key, ""))


def _intact(ctx: WorkbookCheck, _: None) -> None:
    rw = ctx.rw
    if not has_metadata(rw):
        return
    layout = clean(rw.meta.get("layout_version"))
    if layout and layout not in SUPPORTED_LAYOUTS:
        ctx.add(UNSUPPORTED_LAYOUT, layout=layout, supported=", ".join(SUPPORTED_LAYOUTS),
                sheet=SHEET_META, cell=rw.meta_refs.get("layout_version", ""))
    stored = clean(rw.meta.get("fingerprint"))
    if stored and rw.meta_indicator_hashes and \
            workbook_fingerprint(rw.meta_indicator_hashes, layout if layout in
                                 SUPPORTED_LAYOUTS else LAYOUT_VERSION) != stored:
        ctx.add(METADATA_TAMPERED,
                sheet=SHEET_META, cell=rw.meta_refs.get("fingerprint", ""))


METADATA_COMPLETE = Check("metadata", (METADATA_INCOMPLETE,), _complete)
METADATA_INTACT = Check("metadata fingerprint", (UNSUPPORTED_LAYOUT, METADATA_TAMPERED), _intact)
