"""The finding model: a stable code with its severity, title, hint and message template, and
what a check found."""

from __future__ import annotations

from typing import Any, Literal, TypeVar

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
    return make_finding(code.code, severity or code.severity, file, sheet, cell, indicator_id,
                        message, code.hint if hint is None else hint)


# Every field of a made finding counts as set, as when each is passed to Finding(...). Shared:
# pydantic copies it before changing it (model_copy), as model_construct's callers may rely on.
_ALL_SET: set[str] = set(Finding.model_fields)
# The slots pydantic keeps a model's state in, set through their own descriptors (what
# object.__setattr__ finds for each name, without looking it up on every call).
_new = object.__new__
_set_values = BaseModel.__dict__["__dict__"].__set__
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__

M = TypeVar("M", bound=BaseModel)


def assembled(model: type[M], values: dict[str, Any], fields_set: set[str]) -> M:
    """A model (of no extra fields and no private attributes) of values already of the right
    types, every field given in the fields' order, without pydantic validating them again:
    what model_construct gives, made without its per-field work. fields_set is kept as it is
    (pydantic copies it before changing it), so one set may serve many models."""
    made = _new(model)
    _set_values(made, values)
    _set_fields_set(made, fields_set)
    _set_extra(made, None)
    _set_private(made, None)
    return made


def make_finding(code: str, severity: Severity, file: str, sheet: str, cell: str,
                 indicator_id: str, message: str, hint: str) -> Finding:
    """A Finding of values that are already of the right types (a catalogue code's, a check's
    strings), built without pydantic validating them again (assembled): a blank return
    carries about two hundred findings, and validating each was a tenth of a folder's time.
    Equal, field for field, to Finding(...) of the same values."""
    return assembled(Finding, {
        "code": code, "severity": severity, "file": file, "sheet": sheet, "cell": cell,
        "indicator_id": indicator_id, "message": message, "hint": hint}, _ALL_SET)
