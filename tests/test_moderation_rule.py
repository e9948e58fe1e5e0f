"""Moderation only where the two scores differ by the framework's threshold (issue 24), held
by the database on both engines once a cycle's rules are recorded (esps allocate) - except
where a community challenge to the indicator was upheld (issue 23): then a third DCFA may
moderate even two scores that agree."""

from __future__ import annotations

from datetime import date

import pytest

from esps_cli.register import NewEvent, Register, RegisterRuleError
from esps_cli.register.challenges import add_challenges, add_response, challenges
from esps_cli.register.facts import record_cycle_facts

from .conftest import CYCLE


def _score(reg: Register, indicator: str, role: str, assessor: str, value: int,
           comment: str = "") -> None:
    reg.record(NewEvent(cycle=CYCLE, unit="TP-CW", indicator=indicator, role=role,
                        assessor=assessor, score=value, comment=comment))


def test_moderation_needs_the_threshold_or_an_upheld_challenge(register_at: str) -> None:
    with Register.open(register_at) as reg:
        reg.allocate(CYCLE, {"TP-CW": "dcfa02"}, seed=1)
        record_cycle_facts(reg, CYCLE, {"TP-CW": "dcfa01"}, (1, 4), 2)
        for indicator, linked, unlinked in (("OD1.1", 3, 1), ("OD1.2", 3, 2), ("OD1.3", 3, 3)):
            _score(reg, indicator, "linked", "dcfa01", linked)
            _score(reg, indicator, "unlinked", "dcfa02", unlinked)
        _score(reg, "OD1.1", "moderated", "dcfa05", 2, "agreed at panel")  # 3 and 1: 2 apart
        for indicator in ("OD1.2", "OD1.3"):  # 1 apart, and agreed: nothing to moderate
            with pytest.raises(RegisterRuleError, match="differ by the cycle's moderation "
                                                        "threshold or more"):
                _score(reg, indicator, "moderated", "dcfa05", 2, "agreed at panel")
        add_challenges(reg, [{
            "cycle": CYCLE, "challenge_key": "k1", "group_id": "g1", "group_name": "Group",
            "unit": "TP-CW", "indicator": "OD1.3", "theme": "", "challenged": "the score",
            "evidence": "", "reply_by": "writing", "received_on": "2010-11-01",
            "source": "form.xlsx", "source_sha256": "", "form_id": ""}])
        [challenge] = challenges(reg, CYCLE)
        add_response(reg, challenge, responder="dcfa07", outcome="upheld",
                     response="looked at again", responded_on=date(2010, 11, 2),
                     combined_before=3)
        _score(reg, "OD1.3", "moderated", "dcfa05", 2, "looked at again after challenge")
        with pytest.raises(RegisterRuleError, match="differ by the cycle's moderation"):
            _score(reg, "OD1.2", "moderated", "dcfa05", 2, "agreed at panel")
        assert [e.role for e in reg.history(CYCLE, "TP-CW", "OD1.3")] == [
            "linked", "unlinked", "moderated"]
