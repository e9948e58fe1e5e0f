"""Unreadable returns belong to their unit: which unit a file name names."""

from __future__ import annotations

import pytest

from esps_cli.domain.units import Unit
from esps_cli.validation.attribution import unit_from_filename

UNITS = [
    Unit(code="TP-NI", name="Islington", business_group="TP", linked_dcfa="dcfa02"),
    Unit(code="TP-EK", name="Camden", business_group="TP", linked_dcfa="dcfa02"),
    Unit(code="SO_HEATHROW", name="Heathrow", business_group="SO", linked_dcfa="dcfa01"),
    Unit(code="TP", name="A unit coded like a prefix", business_group="TP", linked_dcfa="x"),
]


@pytest.mark.parametrize(("name", "code", "cycle", "how"), [
    ("TP-NI_Islington_2010-11.xlsx", "TP-NI", "2010-11", "naming convention"),
    ("tp-ni_Islington_2010-11.xlsx", "TP-NI", "2010-11", "naming convention"),
    ("sub/TP-EK_Camden_2011-12.xlsx", "TP-EK", "2011-12", "naming convention"),
    # generate writes SO_HEATHROW as SO-HEATHROW (file-name safe)
    ("SO-HEATHROW_Heathrow_2010-11.xlsx", "SO_HEATHROW", "2010-11", "naming convention"),
    ("Islington TP-NI return.xlsx", "TP-NI", "", "unit code in the name"),
    ("ESPS return (TP-EK) v2.xlsx", "TP-EK", "", "unit code in the name"),
    ("TP-NI_Islington_2010-11_marked-up.xlsx", "TP-NI", "2010-11", "naming convention"),
])
def test_a_name_that_names_one_unit(name: str, code: str, cycle: str, how: str):
    got = unit_from_filename(name, UNITS)
    assert got is not None
    assert (got.unit_code, got.cycle, got.how) == (code, cycle, how)


@pytest.mark.parametrize("name", [
    "Westminster ESPS return v2.xlsx",  # no code at all
    "TP-NI and TP-EK joint return.xlsx",  # two units: ambiguous
    "TP-NIX_Islington_2010-11.xlsx",  # a longer code is not TP-NI
    "return-TP-NI.xlsx",  # not a word of its own
])
def test_a_name_that_does_not_say_for_sure(name: str):
    assert unit_from_filename(name, UNITS) is None


def test_the_convention_wins_over_a_code_elsewhere_in_the_name():
    got = unit_from_filename("TP-EK_Camden after TP-NI merger_2010-11.xlsx", UNITS)
    assert got is not None and got.unit_code == "TP-EK"


def test_a_prefix_code_matches_only_as_a_word():
    got = unit_from_filename("TP_Territorial_2010-11.xlsx", UNITS)
    assert got is not None and got.unit_code == "TP"
    assert unit_from_filename("TP-EK_Camden_2010-11.xlsx", UNITS).unit_code == "TP-EK"
