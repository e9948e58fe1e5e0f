"""The framework the workbook was made from: the same id and version as the one loaded.

A workbook from another framework or version is not checked for content: its indicators
cannot be compared with this framework's.
"""

from __future__ import annotations

from esps_cli.domain.normalise import clean
from esps_cli.findings import FRAMEWORK_CHANGED, UNKNOWN_FRAMEWORK, WRONG_FRAMEWORK_VERSION
from esps_cli.validation.context import WorkbookCheck, has_metadata
from esps_cli.validation.runner import Check
from esps_cli.workbook.layout import SHEET_META


def _framework_version(ctx: WorkbookCheck, _: None) -> None:
    rw, fw = ctx.rw, ctx.fw
    if not has_metadata(rw):
        return
    fw_id = clean(rw.meta.get("framework_id"))
    version = clean(rw.meta.get("framework_version"))
    if fw_id and fw_id != fw.meta.id:
        ctx.add(UNKNOWN_FRAMEWORK, made_from=fw_id, loaded=fw.meta,
                sheet=SHEET_META, cell=rw.meta_refs.get("framework_id", ""))
        ctx.content_ok = False
    elif version and version != fw.meta.version:
        ctx.add(WRONG_FRAMEWORK_VERSION, version=version, loaded=fw.meta,
                sheet=SHEET_META, cell=rw.meta_refs.get("framework_version", ""))
        ctx.content_ok = False
    elif rw.meta.get("framework_digest") and rw.meta["framework_digest"] != fw.digest:
        ctx.add(FRAMEWORK_CHANGED, loaded=fw.meta,
                sheet=SHEET_META, cell=rw.meta_refs.get("framework_digest", ""))


FRAMEWORK_VERSION = Check(
    "framework version", (UNKNOWN_FRAMEWORK, WRONG_FRAMEWORK_VERSION, FRAMEWORK_CHANGED),
    _framework_version,
)
