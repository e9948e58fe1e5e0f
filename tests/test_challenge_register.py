"""Community review in the register, on both engines: challenges, responses and releases are
append-only and their rules are the database's own; an upheld challenge reopens an indicator
for moderation (scores agreed or not) and the moderated score it led to is traced from it."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from esps_cli.register import Register
from esps_cli.register.challenges import (
    add_challenges,
    add_release,
    add_response,
    challenges,
    parse_ref,
    releases,
    reopened,
)

from .conftest import CYCLE
from .test_register import integrity_error, new, raw


def challenge_row(**more: Any) -> dict[str, Any]:
    row = {"cycle": CYCLE, "challenge_key": "k1", "group_id": "cpeg-w",
           "group_name": "Westminster CPEG", "unit": "TP-CW", "indicator": "OD1.1",
           "theme": "", "challenged": "The score ignores the stop and search complaints.",
           "evidence": "Minutes of our March meeting", "reply_by": "meeting",
           "received_on": "2011-01-10", "source": "meeting.csv", "source_sha256": "",
           "form_id": ""}
    return {**row, **more}


def test_challenge_rules_are_the_databases_own(register_at: str) -> None:
    with Register.open(register_at) as reg:
        [cid] = add_challenges(reg, [challenge_row()])
        assert add_challenges(reg, [challenge_row()]) == []  # the same key: on record already
        [challenge] = challenges(reg, CYCLE)
        add_response(reg, challenge, responder="dcfa03", outcome="not-upheld",
                     response="We looked at the complaints data and the score stands.",
                     responded_on=date(2011, 1, 20), combined_before=3)
    refused = integrity_error(register_at)
    with raw(register_at) as conn:
        for sql, why in (
            ("UPDATE challenges SET challenged = 'x'", "challenges are append-only"),
            ("DELETE FROM challenge_responses", "responses to challenges are append-only"),
            ("INSERT INTO challenges (cycle, challenge_key, group_id, group_name, unit, "
             "indicator, theme, challenged, reply_by, received_on, source, recorded_at) VALUES "
             f"('{CYCLE}', 'k2', 'g', 'G', 'TP-CW', 'OD1.1', '', '  ', 'writing', "
             "'2011-01-10', 's', 't')", "needs what is challenged"),
            ("INSERT INTO challenges (cycle, challenge_key, group_id, group_name, unit, "
             "indicator, theme, challenged, reply_by, received_on, source, recorded_at) VALUES "
             f"('{CYCLE}', 'k3', 'g', 'G', 'TP-CW', '', '', 'why', 'writing', "
             "'2011-01-10', 's', 't')", "an indicator or theme"),
            (f"INSERT INTO challenge_responses (challenge_id, cycle, unit, responder, outcome, "
             f"response, responded_on, responded_at, events_before) VALUES ({cid}, '{CYCLE}', "
             "'TP-CW', 'dcfa04', 'upheld', 'a second answer given', '2011-01-21', 't', 0)",
             "answered once"),
        ):
            with pytest.raises(refused, match=why):
                conn.execute(sql)


def test_releases_count_up_and_a_correction_says_what_changed(register_at: str) -> None:
    with Register.open(register_at) as reg:
        first = add_release(reg, cycle=CYCLE, released_on=date(2011, 10, 1),
                            signed_off="Diversity Board minute 11/07",
                            pre_release_access=["Deputy Commissioner"], changes="",
                            edition="{}", edition_sha256="0" * 64)
        assert first.version == 1
        with pytest.raises(Exception, match="what changed"):
            add_release(reg, cycle=CYCLE, released_on=date(2011, 11, 1), signed_off="B 11/09",
                        pre_release_access=[], changes=" ", edition="{}",
                        edition_sha256="0" * 64)
        second = add_release(reg, cycle=CYCLE, released_on=date(2011, 11, 1),
                             signed_off="B 11/09", pre_release_access=[],
                             changes="TP-CW OD1.1 moderated after challenge C1",
                             edition="{}", edition_sha256="0" * 64)
        assert [r.version for r in releases(reg, CYCLE)] == [1, second.version] == [1, 2]
    with raw(register_at) as conn, pytest.raises(integrity_error(register_at),
                                                 match="next version number"):
        conn.execute("INSERT INTO releases (cycle, version, released_on, signed_off, "
                     "pre_release_access, changes, edition, edition_sha256, published_at) "
                     f"VALUES ('{CYCLE}', 4, '2011-12-01', 'B', '[]', 'skips 3', '{{}}', 'x', "
                     "'t')")


def test_an_upheld_challenge_reopens_agreed_scores_and_traces_the_new_score(
    register_at: str,
) -> None:
    with Register.open(register_at) as reg:
        reg.record(new(role="linked", assessor="dcfa01", score=3))
        reg.record(new(role="unlinked", assessor="dcfa05", score=3))
        add_challenges(reg, [challenge_row()])
        [challenge] = challenges(reg, CYCLE)
        assert reopened(reg, CYCLE) == set()
        add_response(reg, challenge, responder="dcfa09", outcome="partly-upheld",
                     response="The complaints data was not in the evidence; we look again.",
                     responded_on=date(2011, 1, 20), combined_before=3)
        assert reopened(reg, CYCLE) == {("TP-CW", "OD1.1")}
        # The database lets a third DCFA moderate although linked and unlinked agree ...
        event = reg.record(new(role="moderated", assessor="dcfa03", score=2,
                               comment="complaints data shows a gap"))
        [traced] = challenges(reg, CYCLE)
        assert traced.rescore is not None
        assert (traced.rescore.event_id, traced.rescore.score,
                traced.rescore.moderator) == (event.id, 2, "dcfa03")
        assert traced.response is not None and traced.response.combined_before == 3
        assert reopened(reg, CYCLE) == set()
        # ... but never one of the unit's own assessors.
        with pytest.raises(Exception, match="cannot moderate"):
            reg.record(new(role="moderated", assessor="dcfa05", score=1, comment="x y"))


@pytest.mark.parametrize(("text", "number"), [("12", 12), ("C12", 12), ("c-3", 3),
                                              ("C", None), ("x1", None), ("", None)])
def test_challenge_references(text: str, number: int | None) -> None:
    assert parse_ref(text) == number


def test_a_register_that_lost_a_table_says_it_is_damaged(register_at: str) -> None:
    from typer.testing import CliRunner

    from esps_cli.cli.app import app
    from esps_cli.domain.paths import EXAMPLES_DIR

    with Register.open(register_at) as reg:
        add_challenges(reg, [challenge_row()])
    with raw(register_at) as conn:
        conn.execute("DROP TABLE challenge_responses")
    result = CliRunner().invoke(app, ["challenge", "list", "--register", register_at,
                                      "--cycle", CYCLE, "--units",
                                      str(EXAMPLES_DIR / "units.csv")])
    assert result.exit_code == 2, result.output
    assert "is damaged" in result.output and "challenge_responses" in result.output
    assert "Traceback" not in result.output
