"""The finding model: a stable code with its severity, title and hint, and what a check found."""

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


