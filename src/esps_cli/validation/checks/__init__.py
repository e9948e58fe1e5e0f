"""Every check of one returned workbook, one module per concern, run in this order.

To find a rule, find its code in `CHECKS` (each check declares the codes it can emit) and open
its module. The identity checks come first: when they show the workbook's indicators cannot be
compared with this framework's, the content checks (content=True) do not run.
"""

from __future__ import annotations

from esps_cli.validation.checks.cycle import CYCLE
from esps_cli.validation.checks.evidence import EVIDENCE_SHEET, ROW_CHECKS
from esps_cli.validation.checks.framework_version import FRAMEWORK_VERSION
from esps_cli.validation.checks.identity import IDENTITY
from esps_cli.validation.checks.indicators import INDICATOR_ROWS
from esps_cli.validation.checks.metadata import METADATA_COMPLETE, METADATA_INTACT
from esps_cli.validation.checks.minimums import INDICATOR_CHECKS, INDICATOR_MINIMUMS
from esps_cli.validation.checks.seal import SEAL
from esps_cli.validation.checks.signoff import SIGNOFF
from esps_cli.validation.runner import Check

CHECKS: tuple[Check[None], ...] = (
    METADATA_COMPLETE,  # metadata-incomplete
    FRAMEWORK_VERSION,  # unknown-framework, wrong-framework-version, framework-changed
    METADATA_INTACT,  # unsupported-layout, metadata-tampered
    IDENTITY,  # identity-mismatch
    SEAL,  # identity-forged, pack-not-issued (with a register)
    CYCLE,  # unknown-cycle, wrong-cycle
    INDICATOR_ROWS,  # indicator-duplicated/-unexpected/-outdated/-changed/-missing
    SIGNOFF,  # cover-incomplete, missing-signoff, date-in-future, date-outside-cycle (+ dates)
    EVIDENCE_SHEET,  # the row checks: ROW_CHECKS
    INDICATOR_MINIMUMS,  # the per-indicator checks: INDICATOR_CHECKS
)

__all__ = ["CHECKS", "INDICATOR_CHECKS", "ROW_CHECKS"]
