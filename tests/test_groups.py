"""The community groups list (groups.csv) and the privacy of its contacts."""

from __future__ import annotations

from pathlib import Path

import pytest

from esps_cli.community.groups import load_groups
from esps_cli.community.privacy import WITHHELD, contact_redactor
from esps_cli.domain.units import Unit
from esps_cli.errors import UnitsListError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "groups.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_groups_list_with_units_and_private_contacts(tmp_path: Path,
                                                       units: list[Unit]) -> None:
    groups = load_groups(write(tmp_path, (
        "id,name,area,units,contact\n"
        "cpeg-w,Westminster CPEG,Westminster,TP-CW; tp-bs,Jo Bloggs jo@example.net\n"
        "mpa,MPA Equalities Panel,London,,020 7202 0202\n")), units)
    assert [g.id for g in groups] == ["cpeg-w", "mpa"]
    assert groups[0].units == ("TP-CW", "TP-BS")  # codes as the units list spells them
    assert groups[0].covers("tp-cw") and not groups[0].covers("TP-FH")
    assert groups[1].covers("TP-FH")  # no units: every unit


def test_every_bad_row_of_a_groups_list_at_once(tmp_path: Path, units: list[Unit]) -> None:
    with pytest.raises(UnitsListError) as exc:
        load_groups(write(tmp_path, (
            "id,name,units\n"
            "g1,One,TP-CW\n"
            "g1,Again,TP-CW\n"
            ",No id,\n"
            "g3,,XX-99\n")), units)
    assert [(p.row, p.code) for p in exc.value.problems] == [
        (3, "list-duplicate"), (4, "list-missing-value"), (5, "list-missing-value"),
        (5, "group-unknown-unit")]
    assert "XX-99" in str(exc.value)


def test_contacts_and_any_phone_or_email_are_withheld(tmp_path: Path,
                                                      units: list[Unit]) -> None:
    groups = load_groups(write(tmp_path, (
        "id,name,contact\n"
        "g1,Westminster CPEG,Jo Bloggs; jo.bloggs@example.net; 07700 900123\n")), units)
    redact = contact_redactor(groups)
    text = ("Call JO BLOGGS on 07700900123 or +44 (0)20 7946 0000, or write to "
            "jo.bloggs@example.net or chair@cpeg.org.uk. Westminster CPEG met on 12/03/2011 "
            "and counted 250 complaints.")
    out = redact(text)
    for private in ("JO BLOGGS", "07700900123", "7946", "jo.bloggs@", "chair@cpeg"):
        assert private.casefold() not in out.casefold()
    assert out.count(WITHHELD) == 5
    # The group's name, dates and counts are not contact details.
    assert "Westminster CPEG met on 12/03/2011 and counted 250 complaints." in out
