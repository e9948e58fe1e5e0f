"""A score on the framework's scale: reading one from a typed or stored value.

A value that is not a score raises ScoreProblem, which carries the finding code that import
results report (findings/catalogue.py, section "importing scores").
"""

from __future__ import annotations

import math
import re
import string
from datetime import date, datetime
from typing import Any

from esps_cli.domain.framework import Scale
from esps_cli.findings import MODERATION_REASON_TOO_SHORT, SCORE_INVALID, Code


class ScoreProblem(ValueError):
    """One problem with one value (collected by callers into a list), with its code."""

    def __init__(self, message: str, code: Code = SCORE_INVALID) -> None:
        super().__init__(message)
        self.code = code


_INT_TEXT = re.compile(r"^[+]?[0-9]+(?:\.0*)?$")


def scale_text(scale: Scale) -> str:
    return f"{scale.minimum}-{scale.maximum}"


def parse_score(value: Any, scale: Scale) -> int:
    """A score on the scale from a typed or stored value: 3, 3.0, "3" and "3.0" are 3.

    Raises ScoreProblem for anything else (blank, text, fractions, dates, off the scale).
    """
    if type(value) is str and value.isascii() and value.isdigit() \
            and scale.minimum <= int(value) <= scale.maximum:  # the scale is consecutive
        return int(value)  # the usual case, on 100,000 rows of a CSV
    not_whole = f"is not a whole number on the scale {scale_text(scale)}"
    if isinstance(value, bool):
        raise ScoreProblem(f"score {value!r} {not_whole}")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise ScoreProblem(f"score {value:g} {not_whole}")
        number = int(value)
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            raise ScoreProblem("score is blank")
        if not _INT_TEXT.match(text):
            raise ScoreProblem(f"score {text!r} {not_whole}")
        number = int(float(text))
    elif value is None:
        raise ScoreProblem("score is blank")
    else:
        shown = value.isoformat() if isinstance(value, date | datetime) else repr(value)
        raise ScoreProblem(f"score {shown} {not_whole}")
    if number not in scale.scores:
        raise ScoreProblem(f"score {number} is not on the scale {scale_text(scale)}")
    return number


def cell_text(value: Any) -> str:
    """A cell's value as stripped text (3.0 -> "3", dates ISO)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value).strip()


def reason_problem(reason: str) -> ScoreProblem | None:
    """Why a moderation reason says nothing: blank, only marks (".", "-"), a single word or
    one word repeated ("agreed agreed").

    A reason is at least two different words with letters in them ("agreed at panel",
    "evidence seen"); case and the marks around a word do not make it another.
    """
    words = {w.strip(string.punctuation + "\u2018\u2019\u201c\u201d").casefold()
             for w in reason.split() if any(ch.isalpha() for ch in w)}
    if len(words) >= 2:
        return None
    shown = f"{reason.strip()!r} " if reason.strip() else ""
    return ScoreProblem(
        f"the moderation reason {shown}says nothing: give the reason in a few words (at least "
        "two different), e.g. 'evidence of the plan seen'",
        MODERATION_REASON_TOO_SHORT)
