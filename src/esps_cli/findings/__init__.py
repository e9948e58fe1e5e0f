"""Findings: what a check found in a workbook, with a stable code, where, and how to fix it.

There is one catalogue of codes. `esps validate --list-codes` prints it and the README lists it;
a test keeps the two in step.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Severity = Literal["error", "warning"]


class Code(BaseModel):
    model_config = ConfigDict(frozen=True)
    code: str
    severity: Severity
    title: str
    hint: str


class Finding(BaseModel):
    model_config = ConfigDict(frozen=True)
    code: str
    severity: Severity
    file: str
    sheet: str = ""
    cell: str = ""
    indicator_id: str = ""
    message: str
    hint: str = ""

    @property
    def where(self) -> str:
        parts = [self.file]
        if self.sheet:
            parts.append(self.sheet + (f"!{self.cell}" if self.cell else ""))
        return " ".join(parts)


_CATALOGUE: dict[str, Code] = {}


def register(code: str, severity: Severity, title: str, hint: str) -> Code:
    """Add a code to the catalogue (once); modules declare their codes at import time."""
    if code in _CATALOGUE:
        raise ValueError(f"finding code {code!r} registered twice")
    entry = Code(code=code, severity=severity, title=title, hint=hint)
    _CATALOGUE[code] = entry
    return entry


def catalogue() -> list[Code]:
    """Every finding code, sorted by code."""
    # Importing the checking modules registers their codes.
    import esps_cli.validation.validate  # noqa: F401

    return sorted(_CATALOGUE.values(), key=lambda c: c.code)


def finding(
    code: Code,
    file: str,
    message: str,
    *,
    sheet: str = "",
    cell: str = "",
    indicator_id: str = "",
    hint: str | None = None,
    severity: Severity | None = None,
) -> Finding:
    return Finding(
        code=code.code,
        severity=severity or code.severity,
        file=file,
        sheet=sheet,
        cell=cell,
        indicator_id=indicator_id,
        message=message,
        hint=code.hint if hint is None else hint,
    )


# Codes raised while opening and reading a workbook's structure.
UNREADABLE_FILE = register(
    "unreadable-file", "error", "The file cannot be read as an .xlsx workbook",
    "Open the file in Excel and save it as an Excel Workbook (.xlsx), without a password.",
)
NOT_ESPS_WORKBOOK = register(
    "not-esps-workbook", "error", "The workbook has no ESPS metadata sheet",
    "Start again from the workbook DCFD sent for your unit; do not copy sheets into a new file.",
)
METADATA_UNHIDDEN = register(
    "metadata-unhidden", "warning", "The hidden metadata sheet has been made visible",
    "Leave the _esps_meta sheet hidden and unchanged; it identifies the workbook.",
)
MISSING_SHEET = register(
    "missing-sheet", "error", "A required sheet is missing or has been renamed",
    "Rename the sheet back to its original name, or start from the original workbook.",
)
MISSING_HEADER = register(
    "missing-header", "error", "A required column heading is missing or has been changed",
    "Restore the column heading exactly as it was in the original workbook.",
)
MISSING_FIELD = register(
    "missing-field", "error", "A labelled field on the sheet is missing or relabelled",
    "Restore the label in column A exactly as it was in the original workbook.",
)
MACRO_ENABLED = register(
    "macro-enabled", "warning", "The workbook contains macros (saved as .xlsm)",
    "esps-cli reads only the values and never runs macros; save the workbook as an Excel "
    "Workbook (.xlsx) without macros.",
)
TOO_MANY_ROWS = register(
    "too-many-rows", "error", "A sheet has far more rows than a return can hold",
    "Delete the rows pasted below the table (select them, then Delete Rows), or start from "
    "the original workbook.",
)
