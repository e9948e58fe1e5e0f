"""Reading what people type into a workbook: dates, numbers and N/A, as a UK user meant them.

Pure functions, no I/O. Each returns a `Parsed` value with a status:

- ``blank``: nothing there (None, "", only spaces);
- ``ok``: a value of the right type, or text that is a plain spelling of it ("N/A", "n/a");
- ``text``: read from text the user typed where a date or number belongs ("13/04/2010",
  "1 April 2010", "3"); the reading is certain, but the cell should hold a real date or number;
- ``ambiguous``: read, but only by choosing between readings (a two-digit year, a month without
  a day, a bare number in a date cell); the note says which reading was chosen;
- ``invalid``: cannot be read ("31/02/2010", "04/13/2010", "next week").

Callers turn ``text`` and ``ambiguous`` into warnings and ``invalid`` into errors: nothing is
guessed silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Generic, Literal, TypeVar

T = TypeVar("T")
Status = Literal["blank", "ok", "text", "ambiguous", "invalid"]

NA = "N/A"
# Spellings of "not applicable" accepted in a rating cell (compared without spaces, dots,
# slashes and case).
_NA_SPELLINGS = {"na", "notapplicable"}

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
            ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
            ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}

# Excel serial numbers for 1 Jan 1990 and 31 Dec 2099: a bare number in this range in a date
# cell is probably a date whose cell lost its date format.
EXCEL_EPOCH = date(1899, 12, 30)
SERIAL_MIN, SERIAL_MAX = 32874, 73050


@dataclass(frozen=True, slots=True)
class Parsed(Generic[T]):
    value: T | None
    status: Status
    note: str = ""

    @property
    def usable(self) -> bool:
        """A value was read (possibly with a warning)."""
        return self.status in ("ok", "text", "ambiguous")


def clean(value: Any) -> str:
    """Text with runs of whitespace (including non-breaking spaces) collapsed; None -> ""."""
    if value is None:
        return ""
    if isinstance(value, str):
        text = value.strip()
        # Most cells need nothing more; only rewrite the ones that do (these tests are much
        # faster than splitting and joining every narrative).
        if not ("  " in text or "\n" in text or "\t" in text or "\r" in text
                or "\u00a0" in text):
            return text
        return " ".join(text.replace("\u00a0", " ").split())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).replace("\u00a0", " ").split())


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def is_na(value: Any) -> bool:
    """Whether a cell says "not applicable" in any of the usual spellings."""
    if not isinstance(value, str):
        return False
    squashed = re.sub(r"[\s./\\_-]+", "", value).casefold()
    return squashed in _NA_SPELLINGS


def uk(d: date) -> str:
    """A date the way the workbook shows it: 13/04/2010."""
    return f"{d.day:02d}/{d.month:02d}/{d.year}"


def long_uk(d: date) -> str:
    """A date in words, so a reading cannot be misread: 13 April 2010."""
    return f"{d.day} {d.strftime('%B')} {d.year}"


# -- dates --------------------------------------------------------------------------------

_NUMERIC = re.compile(r"^(\d{1,4})\s*([/.\-\s])\s*(\d{1,2})\s*\2\s*(\d{1,4})$")
_WORDS_DMY = re.compile(
    r"^(\d{1,2})(?:st|nd|rd|th)?(?:\s+of)?[\s\-/.]+([a-z]+)\.?,?[\s\-/.]+(\d{2,4})$"
)
_WORDS_MDY = re.compile(r"^([a-z]+)\.?[\s\-/.]+(\d{1,2})(?:st|nd|rd|th)?,?[\s\-/.]+(\d{4})$")
_WORDS_MY = re.compile(r"^([a-z]+)\.?[\s\-/.,]+(\d{4})$")
_WEEKDAY = re.compile(
    r"^(mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)[a-z]*\.?,?\s+", re.IGNORECASE
)
_TIME_SUFFIX = re.compile(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*(am|pm)?$", re.IGNORECASE)


def _make(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _year(text: str) -> tuple[int, bool]:
    """A year from 2 or 4 digits; True when it was two digits (a choice of century: 00-69 are
    read as 2000-2069, 70-99 as 1970-1999, as Excel does)."""
    y = int(text)
    if len(text) == 4:
        return y, False
    return (2000 + y if y < 70 else 1900 + y), True


def parse_date(value: Any) -> Parsed[date]:
    """A date cell's value as the UK date the user meant."""
    if is_blank(value):
        return Parsed(None, "blank")
    if isinstance(value, datetime):
        return Parsed(value.date(), "ok")
    if isinstance(value, date):
        return Parsed(value, "ok")
    if isinstance(value, bool):
        return Parsed(None, "invalid", f"{value!r} is not a date")
    if isinstance(value, time | timedelta):
        return Parsed(None, "invalid", f"{value} is a time, not a date")
    if isinstance(value, int | float):
        if SERIAL_MIN <= value <= SERIAL_MAX and float(value).is_integer():
            d = EXCEL_EPOCH + timedelta(days=int(value))
            return Parsed(
                d, "ambiguous",
                f"the number {int(value)} was read as an Excel date serial, {long_uk(d)}",
            )
        return Parsed(None, "invalid", f"the number {clean(value)} is not a date")
    if not isinstance(value, str):
        return Parsed(None, "invalid", f"{value!r} is not a date")
    return _parse_date_text(value)


def _parse_date_text(raw: str) -> Parsed[date]:
    text = clean(raw).casefold()
    text = _TIME_SUFFIX.sub("", text).strip()
    text = _WEEKDAY.sub("", text)
    shown = clean(raw)

    m = _NUMERIC.match(text)
    if m:
        a, _sep, b, c = m.groups()
        if len(a) == 4:  # year first: 2010-04-13 (ISO) or 2010/04/13
            d = _make(int(a), int(b), int(c))
            if d and len(c) <= 2:
                return Parsed(d, "text", f"{shown!r} was read as {long_uk(d)}")
            return Parsed(None, "invalid", f"{shown!r} is not a valid date")
        if len(c) not in (2, 4) or len(a) > 2:
            return Parsed(None, "invalid", f"{shown!r} is not a date in dd/mm/yyyy form")
        day, month = int(a), int(b)
        year, two_digit = _year(c)
        d = _make(year, month, day)
        if d is None:
            us = _make(year, day, month)
            # Read month-first it is a date only when the month is over 12 (a day of 12 or less
            # fits every month), so no comparison with 12 is needed here.
            if us is not None:
                return Parsed(
                    None, "invalid",
                    f"{shown!r} is not a valid UK date (there is no month {month}); if you "
                    f"meant {long_uk(us)} (US month/day order), type {uk(us)}",
                )
            return Parsed(None, "invalid", f"{shown!r} is not a valid date")
        if two_digit:
            return Parsed(
                d, "ambiguous",
                f"{shown!r} has a two-digit year; it was read as {long_uk(d)}",
            )
        return Parsed(d, "text", f"{shown!r} was read as {long_uk(d)} (day/month/year)")

    m = _WORDS_DMY.match(text)
    if m and m.group(2) in MONTHS:
        year, two_digit = _year(m.group(3)) if len(m.group(3)) in (2, 4) else (0, False)
        d = _make(year, MONTHS[m.group(2)], int(m.group(1))) if year else None
        if d is None:
            return Parsed(None, "invalid", f"{shown!r} is not a valid date")
        if two_digit:
            return Parsed(d, "ambiguous", f"{shown!r} has a two-digit year; it was read as "
                                          f"{long_uk(d)}")
        return Parsed(d, "text", f"{shown!r} was read as {long_uk(d)}")

    m = _WORDS_MDY.match(text)
    if m and m.group(1) in MONTHS:
        d = _make(int(m.group(3)), MONTHS[m.group(1)], int(m.group(2)))
        if d is None:
            return Parsed(None, "invalid", f"{shown!r} is not a valid date")
        return Parsed(d, "text", f"{shown!r} was read as {long_uk(d)}")

    m = _WORDS_MY.match(text)
    if m and m.group(1) in MONTHS:
        d = date(int(m.group(2)), MONTHS[m.group(1)], 1)
        return Parsed(
            d, "ambiguous",
            f"{shown!r} gives no day; it was read as the first of the month, {long_uk(d)}",
        )

    if re.fullmatch(r"\d{4}", text):
        return Parsed(None, "invalid", f"{shown!r} is a year, not a date")
    return Parsed(None, "invalid", f"{shown!r} is not a date")


# -- numbers and ratings ------------------------------------------------------------------

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


def parse_number(value: Any) -> Parsed[float]:
    """A number, or text that is plainly a number ("3", " 3 ", "3.0")."""
    if is_blank(value):
        return Parsed(None, "blank")
    if isinstance(value, bool):
        return Parsed(None, "invalid", f"{value!r} is not a number")
    if isinstance(value, int | float):
        return Parsed(float(value), "ok")
    if isinstance(value, str):
        text = clean(value).replace(",", "")
        if _NUMBER.match(text):
            return Parsed(float(text), "text", f"{clean(value)!r} is a number stored as text")
    return Parsed(None, "invalid", f"{clean(value)!r} is not a number")


def parse_rating(value: Any, scores: list[int]) -> Parsed[int | str]:
    """A self-assessment rating: a score on the scale, or N/A (returned as "N/A")."""
    if is_blank(value):
        return Parsed(None, "blank")
    if is_na(value):
        return Parsed(NA, "ok")
    number = parse_number(value)
    if number.value is None:
        return Parsed(None, "invalid", f"{clean(value)!r} is not a rating")
    if not float(number.value).is_integer() or int(number.value) not in scores:
        return Parsed(None, "invalid", f"{clean(value)!r} is not on the scale")
    return Parsed(int(number.value), number.status, number.note)
