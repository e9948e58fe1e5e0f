"""Sealed identity: the workbook's pack id was issued (by esps generate, recorded in the
register) to the unit and cycle the workbook claims.

A copy of unit A's workbook with its Cover and hidden metadata edited to unit B still carries
A's pack id: that is identity-forged, naming both units. A pack id the register never issued,
for a unit that was issued workbooks, is pack-not-issued. A unit the register issued nothing
to in the cycle (its workbook was made without the register) cannot be checked: no finding.
Without a register (ctx.issued is None) the check does not run; the batch says so once.
"""

from __future__ import annotations

from esps_cli.domain.normalise import clean
from esps_cli.findings import IDENTITY_FORGED, PACK_NOT_ISSUED
from esps_cli.validation.context import WorkbookCheck, cover_cycle_id, has_metadata
from esps_cli.validation.runner import Check
from esps_cli.workbook.layout import SHEET_META


def claimed_identity(ctx: WorkbookCheck) -> tuple[str, str]:
    """(unit code, cycle) the workbook claims: its metadata's, else its Cover's."""
    rw = ctx.rw
    code = clean(rw.meta.get("unit_code"))
    if not code and rw.cover.get("unit_code") is not None:
        code = clean(rw.cover["unit_code"].value)
    return code, clean(rw.meta.get("cycle")) or cover_cycle_id(rw)


def _seal(ctx: WorkbookCheck, _: None) -> None:
    issued, rw = ctx.issued, ctx.rw
    if issued is None or not has_metadata(rw):
        return
    unit, cycle = claimed_identity(ctx)
    pack_id = clean(rw.meta.get("pack_id"))
    cell = rw.meta_refs.get("pack_id", "")
    owner = issued.by_pack.get(pack_id) if pack_id else None
    if owner is not None:
        owner_unit, owner_cycle = owner
        if owner_unit.casefold() != unit.casefold() or owner_cycle != cycle:
            ctx.add(IDENTITY_FORGED, unit=unit or "?", cycle=cycle or "?", pack_id=pack_id,
                    owner_unit=owner_unit, owner_cycle=owner_cycle,
                    sheet=SHEET_META, cell=cell)
        return
    if (unit.casefold(), cycle) in issued.units:
        what = f"its pack id {pack_id} was" if pack_id else "it has no pack id, so it was"
        ctx.add(PACK_NOT_ISSUED, unit=unit, cycle=cycle, what=what,
                sheet=SHEET_META, cell=cell)


SEAL = Check("sealed identity", (IDENTITY_FORGED, PACK_NOT_ISSUED), _seal)
