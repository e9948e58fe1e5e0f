"""make_finding builds findings without validating them again: each must be the same model,
field for field, as the validating constructor gives, in every use a report makes of it."""

from __future__ import annotations

import copy
import pickle

import pytest

from esps_cli.findings import Finding, catalogue, finding, make_finding
from esps_cli.validation.report import _FINDING


def _values(code: str, severity: str) -> dict[str, str]:
    return {"code": code, "severity": severity, "file": "Unit A.xlsx", "sheet": "Evidence",
            "cell": "C12", "indicator_id": "1.2", "message": f"{code} at C12 \u2014 \u00e9",
            "hint": "fix it"}


@pytest.mark.parametrize("entry", catalogue(), ids=lambda c: c.code)
def test_made_finding_equals_the_validated_one_for_every_code(entry: object) -> None:
    values = _values(entry.code, entry.severity)  # type: ignore[attr-defined]
    made = make_finding(*values.values())
    validated = Finding(**values)
    assert made == validated
    assert made.model_dump() == validated.model_dump() == values
    assert made.model_dump_json() == validated.model_dump_json()
    assert made.model_fields_set == validated.model_fields_set == set(values)
    assert made.model_dump(exclude_unset=True) == values
    assert hash(made) == hash(validated)
    assert made.where == "Unit A.xlsx Evidence!C12"


def test_wire_order_is_make_findings_parameter_order() -> None:
    # from_wire passes a finding's wire tuple positionally.
    assert _FINDING == ("code", "severity", "file", "sheet", "cell", "indicator_id",
                        "message", "hint")


def test_made_finding_pickles_copies_and_stays_frozen() -> None:
    made = make_finding(*_values(catalogue()[0].code, "error").values())
    assert pickle.loads(pickle.dumps(made)) == made
    assert copy.deepcopy(made) == made
    changed = made.model_copy(update={"cell": "D4"})
    assert (changed.cell, made.cell) == ("D4", "C12")
    # The shared fields-set is copied, not changed, by model_copy.
    assert made.model_fields_set == set(_FINDING)
    with pytest.raises(Exception, match="frozen"):
        made.cell = "Z9"  # type: ignore[misc]


def test_finding_fills_the_template_through_make_finding() -> None:
    entry = next(c for c in catalogue() if c.message and "{" not in c.message)
    f = finding(entry, "Unit B.xlsx", sheet="Cover", cell="B3")
    assert f == Finding(code=entry.code, severity=entry.severity, file="Unit B.xlsx",
                        sheet="Cover", cell="B3", message=entry.message, hint=entry.hint)
