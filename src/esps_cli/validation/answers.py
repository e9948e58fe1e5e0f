"""What a unit answered in a return, compactly, for comparing one return with the next.

`answers_of` reads the workbook's Indicators and Evidence tables as the unit filled them in:
per indicator its rating (a number or N/A, as typed), N/A reason and narrative, and its
evidence rows. Text is compared with runs of whitespace collapsed, so re-saving a workbook or
re-wrapping a narrative is not a change; anything typed differently is.

`compare` lists what changed between two returns of a unit: the indicators whose rating (or
N/A reason), narrative or evidence changed, and the findings fixed and new.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from esps_cli.domain.normalise import clean
from esps_cli.findings import Finding
from esps_cli.workbook.reader import ReturnedWorkbook

EVIDENCE_KEYS = ("title", "description", "type", "location", "date", "owner")


class _Model(BaseModel):
    # A model's validator is built when it is first used, not at import: a nested model
    # (validated as part of another) never builds its own (start-up time).
    model_config = ConfigDict(defer_build=True)


def _text(value: Any) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() \
            else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return clean(value)


def answers_of(rw: ReturnedWorkbook) -> dict[str, Any]:
    """{"indicators": {id: {"rating", "na_reason", "narrative"}}, "evidence": {id: [rows]}}:
    only what is filled in, evidence rows sorted (moving a row is not a change)."""
    indicators: dict[str, dict[str, str]] = {}
    if rw.indicators is not None:
        for row in rw.indicators.rows:
            ind_id = clean(row.values.get("indicator_id"))
            given = {k: _text(row.values.get(k)) for k in ("rating", "na_reason", "narrative")}
            if ind_id and ind_id not in indicators and any(given.values()):
                indicators[ind_id] = {k: v for k, v in given.items() if v}
    evidence: dict[str, list[list[str]]] = {}
    if rw.evidence is not None:
        for row in rw.evidence.rows:
            values = [_text(row.values.get(k)) for k in EVIDENCE_KEYS]
            if any(values):
                ind_id = clean(row.values.get("indicator_id"))
                evidence.setdefault(ind_id, []).append(values)
    return {"indicators": indicators,
            "evidence": {k: sorted(rows) for k, rows in sorted(evidence.items())}}


def compact_findings(findings: list[Finding]) -> list[list[str]]:
    """Findings as the register keeps them: [code, severity, sheet, cell, indicator, message]."""
    return [[f.code, f.severity, f.sheet, f.cell, f.indicator_id, f.message] for f in findings]


class IndicatorChange(_Model):
    indicator_id: str
    changed: list[str]  # "rating 2 -> 3", "N/A reason", "narrative", "evidence (1 -> 2 rows)"


class FindingChange(_Model):
    code: str
    severity: str
    where: str
    message: str


class Resubmission(_Model):
    """How a return differs from the unit's return before it (recorded in the register)."""

    previous_file: str
    previous_received_at: datetime
    identical: str = ""  # "file" (the same bytes), "answers" (the same answers), or ""
    indicators_changed: list[IndicatorChange] = []
    findings_fixed: list[FindingChange] = []
    findings_new: list[FindingChange] = []


def _rating_change(before: dict[str, str], after: dict[str, str]) -> list[str]:
    out = []
    if before.get("rating", "") != after.get("rating", ""):
        out.append(f"rating {before.get('rating') or 'blank'} -> {after.get('rating') or 'blank'}")
    if before.get("na_reason", "") != after.get("na_reason", ""):
        out.append("N/A reason")
    if before.get("narrative", "") != after.get("narrative", ""):
        out.append("narrative")
    return out


def changed_indicators(before: dict[str, Any], after: dict[str, Any]) -> list[IndicatorChange]:
    """Indicators (in the later return's order, then any only in the earlier) that changed."""
    b_ind, a_ind = before.get("indicators", {}), after.get("indicators", {})
    b_ev, a_ev = before.get("evidence", {}), after.get("evidence", {})
    ids = list(dict.fromkeys([*a_ind, *a_ev, *b_ind, *b_ev]))
    out: list[IndicatorChange] = []
    for ind_id in ids:
        changed = _rating_change(b_ind.get(ind_id, {}), a_ind.get(ind_id, {}))
        rows_before, rows_after = b_ev.get(ind_id, []), a_ev.get(ind_id, [])
        if rows_before != rows_after:
            changed.append(f"evidence ({len(rows_before)} -> {len(rows_after)} rows)")
        if changed:
            out.append(IndicatorChange(indicator_id=ind_id or "(no indicator id)",
                                       changed=changed))
    return out


def _key(f: list[str]) -> tuple[str, ...]:
    return (f[0], f[2], f[3], f[4])  # code, sheet, cell, indicator


def _as_change(f: list[str]) -> FindingChange:
    where = f[2] + (f"!{f[3]}" if f[3] else "") if f[2] else f[4]
    return FindingChange(code=f[0], severity=f[1], where=where, message=f[5])


def finding_changes(before: list[list[str]], after: list[list[str]]
                    ) -> tuple[list[FindingChange], list[FindingChange]]:
    """(fixed, new): findings of the earlier return gone from the later, and the reverse."""
    b_keys, a_keys = {_key(f) for f in before}, {_key(f) for f in after}
    return ([_as_change(f) for f in before if _key(f) not in a_keys],
            [_as_change(f) for f in after if _key(f) not in b_keys])
