"""The finding model: a stable code with its severity, title, hint and message template, and
what a check found."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Severity = Literal["error", "warning"]


class Code(BaseModel):
    model_config = ConfigDict(frozen=True)
    code: str
    severity: Severity
    title: str
    hint: str
    # The finding's message as a str.format template of the values a check passes
    # ("{indicator_id} has {count} evidence row(s)"); "" for a code whose checks still write
    # the sentence themselves. Not part of the catalogue's JSON (--list-codes).
    message: str = Field(default="", exclude=True)

    def says(self, **values: object) -> str:
        """The message for these values (the template filled in)."""
        if not self.message:
            raise ValueError(f"finding code {self.code!r} has no message template")
        return self.message.format(**values)


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


def register(code: str, severity: Severity, title: str, hint: str, message: str = "") -> Code:
    """Add a code to the catalogue (once), with the template of its findings' message."""
    if code in _CATALOGUE:
        raise ValueError(f"finding code {code!r} registered twice")
    entry = Code(code=code, severity=severity, title=title, hint=hint, message=message)
    _CATALOGUE[code] = entry
    return entry


def catalogue() -> list[Code]:
    """Every finding code, sorted by code."""
    return sorted(_CATALOGUE.values(), key=lambda c: c.code)


def finding(
    code: Code,
    file: str,
    message: str | None = None,
    *,
    sheet: str = "",
    cell: str = "",
    indicator_id: str = "",
    hint: str | None = None,
    severity: Severity | None = None,
    **values: object,
) -> Finding:
    """What a check found. The message is the code's template filled with the values (and
    the file, sheet, cell and indicator); a sentence passed as message is taken as it is."""
    if message is None:
        message = code.says(file=file, sheet=sheet, cell=cell, indicator_id=indicator_id,
                            **values)
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


