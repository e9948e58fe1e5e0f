"""Reading what people type: UK dates from text, numbers stored as text, N/A spellings."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from esps_cli.domain.normalise import (
    clean,
    is_blank,
    is_na,
    parse_date,
    parse_number,
    parse_rating,
    uk,
)

SCORES = [1, 2, 3, 4]


@pytest.mark.parametrize("typed,expected", [
    ("13/04/2010", date(2010, 4, 13)),
    ("13-04-2010", date(2010, 4, 13)),
    ("13.04.2010", date(2010, 4, 13)),
    (" 5/4/2010 ", date(2010, 4, 5)),  # the UK reading: 5 April, not 4 May
    ("13/04/2010 00:00:00", date(2010, 4, 13)),
    ("1 April 2010", date(2010, 4, 1)),
    ("1st April 2010", date(2010, 4, 1)),
    ("1 Apr 2010", date(2010, 4, 1)),
    ("1-Apr-2010", date(2010, 4, 1)),
    ("Tuesday 13 April 2010", date(2010, 4, 13)),
    ("April 13, 2010", date(2010, 4, 13)),
    ("2010-04-13", date(2010, 4, 13)),
])
def test_dates_typed_as_text_read_as_uk_dates(typed, expected):
    parsed = parse_date(typed)
    assert (parsed.value, parsed.status) == (expected, "text")
    assert f"{expected.day} {expected:%B %Y}" in parsed.note  # says what was read, in words


@pytest.mark.parametrize("typed,expected,words", [
    ("13/04/10", date(2010, 4, 13), "two-digit year"),
    ("13/04/95", date(1995, 4, 13), "two-digit year"),
    ("April 2010", date(2010, 4, 1), "no day"),
    (40281, date(2010, 4, 13), "Excel date serial"),
])
def test_ambiguous_dates_are_read_with_a_note_of_the_choice(typed, expected, words):
    parsed = parse_date(typed)
    assert (parsed.value, parsed.status) == (expected, "ambiguous")
    assert words in parsed.note


@pytest.mark.parametrize("typed,words", [
    ("04/13/2010", "type 13/04/2010"),  # US order: no month 13
    ("31/02/2010", "not a valid date"),
    ("2010", "a year"),
    (2010, "not a date"),
    ("next week", "not a date"),
    ("1/2/3", "dd/mm/yyyy"),
    (True, "not a date"),
    (time(10, 30), "a time"),
])
def test_invalid_dates(typed, words):
    parsed = parse_date(typed)
    assert (parsed.value, parsed.status) == (None, "invalid")
    assert words in parsed.note


def test_real_dates_and_blanks():
    assert parse_date(date(2010, 4, 13)).status == "ok"
    assert parse_date(datetime(2010, 4, 13, 9, 30)).value == date(2010, 4, 13)
    for blank in (None, "", "   ", "\u00a0"):
        assert parse_date(blank).status == "blank"


@given(st.dates(min_value=date(1970, 1, 1), max_value=date(2069, 12, 31)))
def test_any_uk_date_round_trips(d):
    assert parse_date(uk(d)).value == d
    assert parse_date(f"{d.day} {d:%B %Y}").value == d
    assert parse_date(d.isoformat()).value == d
    assert parse_date(f"{d.day:02d}/{d.month:02d}/{d.year % 100:02d}").value == d


@pytest.mark.parametrize("typed,value,status", [
    (3, 3, "ok"), (3.0, 3, "ok"), ("3", 3, "text"), (" 4 ", 4, "text"), ("2.0", 2, "text"),
    ("N/A", "N/A", "ok"), ("n/a", "N/A", "ok"), (" NA ", "N/A", "ok"), ("n.a.", "N/A", "ok"),
    ("Not applicable", "N/A", "ok"), ("N / A", "N/A", "ok"),
    (None, None, "blank"), ("  ", None, "blank"),
    (5, None, "invalid"), (2.5, None, "invalid"), ("good", None, "invalid"),
    ("nan", None, "invalid"), (True, None, "invalid"),
])
def test_ratings(typed, value, status):
    parsed = parse_rating(typed, SCORES)
    assert (parsed.value, parsed.status) == (value, status)


def test_numbers_and_text():
    assert parse_number("1,000").value == 1000.0
    assert parse_number("x").status == "invalid"
    assert clean("  a \n b\u00a0c  ") == "a b c" and clean(None) == "" and clean(3.0) == "3"
    assert is_blank(" \t ") and not is_blank(0)
    assert is_na("n/a") and not is_na("na na") and not is_na(None)
