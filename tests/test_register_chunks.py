"""An import's events are written, and a cycle's current scores read, in chunks (issue 16:
memory stays flat on 100,000 rows). The chunks are made tiny here so that a unit's scores,
and a moderation and the scores it settles, fall on both sides of a chunk's edge: the result
must be the same as one row at a time."""

from __future__ import annotations

import pytest

from esps_cli.register import NewEvent, Register, store
from esps_cli.register.audit import verify

from .conftest import CYCLE
from .packs import record_returns

INDICATORS = ("OD1.1", "OD1.2", "OD1.3")


def _event(unit: str, indicator: str, role: str, assessor: str, score: int) -> NewEvent:
    return NewEvent(cycle=CYCLE, unit=unit, indicator=indicator, role=role,  # type: ignore[arg-type]
                    assessor=assessor, score=score, comment="agreed at moderation")


@pytest.mark.parametrize("write, read", [(1, 1), (2, 3), (3, 2), (10_000, 10_000)])
def test_chunked_writes_and_reads_match_one_at_a_time(register_at, monkeypatch, write, read):
    monkeypatch.setattr(store, "_CHUNK", write)
    monkeypatch.setattr(store, "_READ_CHUNK", read)
    events = [_event(unit, ind, role, who, score)
              for unit in ("TP-CW", "TP-EK") for ind in INDICATORS
              for role, who, score in (("linked", "dcfa01", 4), ("unlinked", "dcfa05", 1))]
    # a later linked score replaces the first; the moderation settles the replacement
    events += [_event("TP-CW", "OD1.2", "linked", "dcfa01", 2),
               _event("TP-CW", "OD1.2", "moderated", "dcfa10", 3)]
    with Register.open(register_at) as reg:
        record_returns(reg, ["TP-CW", "TP-EK"])
        recorded = reg.record_many(events)
        current = reg.current_scores(CYCLE)
        intact = verify(reg.database).intact
    assert [e.id for e in recorded] == list(range(1, len(events) + 1))
    assert sorted(current) == [(u, i) for u in ("TP-CW", "TP-EK") for i in INDICATORS]
    moderated = current[("TP-CW", "OD1.2")]
    assert (moderated.linked.id, moderated.linked.score) == (13, 2)
    assert (moderated.moderated.moderates_linked, moderated.moderated.moderates_unlinked) \
        == (13, 4)
    assert current[("TP-EK", "OD1.3")].unlinked.score == 1
    assert intact
