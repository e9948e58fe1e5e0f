"""A CSV import goes through its file more than once instead of holding its scores (issue 24):
the first read checks the file, the next checks it against the register, the last records it
in chunks, all in one transaction. Chunks are made tiny here so that a file of a few dozen
rows has many: a problem on its last row, a duplicate or a moderation across a chunk's edge
must give what one pass over a held file gave, and a refused file records nothing.

Also: a moderation of two scores closer than the moderation threshold is refused by esps,
naming them, before the database would refuse it (on both engines), unless a community
challenge to the indicator was upheld."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from esps_cli.cli.app import app
from esps_cli.domain.framework import Framework
from esps_cli.domain.paths import EXAMPLES_DIR
from esps_cli.domain.units import Advisor, Unit
from esps_cli.register import Register, store
from esps_cli.register.audit import verify
from esps_cli.register.challenges import add_challenges, add_response, challenges
from esps_cli.register.facts import record_cycle_facts
from esps_cli.scoring.csv_import import import_csv
from esps_cli.scoring.record import ScoreError, record_score
from esps_cli.scoring.roster import Roster

from .conftest import CYCLE
from .packs import record_returns

HEADER = "unit,indicator,role,assessor,score,comment\n"
CHUNK = 4  # events a chunk: 36 rows are 9 chunks


@pytest.fixture
def roster(framework: Framework, units: list[Unit], advisors: list[Advisor]) -> Roster:
    return Roster(framework, framework.cycle(CYCLE), units, advisors)


@pytest.fixture
def reg(register_at: str, units: list[Unit], monkeypatch: pytest.MonkeyPatch):
    """Three units with returns, unlinked DCFAs allocated and the cycle's rules recorded
    (threshold 2), on each engine; chunks of CHUNK events."""
    monkeypatch.setattr(store, "_CHUNK", CHUNK)
    with Register.open(register_at) as register:
        record_returns(register, [u.code for u in units[:3]])
        register.allocate(CYCLE, {u.code: _unlinked(units, u) for u in units[:3]}, seed=1)
        record_cycle_facts(register, CYCLE, {u.code: u.linked_dcfa for u in units}, (1, 4), 2)
        yield register


def _unlinked(units: list[Unit], unit: Unit, skip: int = 0) -> str:
    others = sorted({u.linked_dcfa for u in units} - {unit.linked_dcfa})
    return others[skip]


def _scores(units: list[Unit], roster: Roster) -> list[str]:
    """Linked and unlinked scores for six indicators of three units: 36 rows (rows 2-37)."""
    rows = []
    for n, unit in enumerate(units[:3]):
        for k, ind in enumerate(roster.indicator_list[:6]):
            rows.append(f"{unit.code},{ind},linked,{unit.linked_dcfa},{1 + (n + k) % 4},")
            rows.append(f"{unit.code},{ind},unlinked,{_unlinked(units, unit)},"
                        f"{1 + (n + 2 * k) % 4},seen")
    return rows


def _write(path: Path, rows: list[str]) -> Path:
    path.write_text(HEADER + "".join(f"{r}\n" for r in rows), encoding="utf-8")
    return path


@pytest.mark.parametrize("log_at_end", [10, 50_000])  # audit entries per chunk / at the end
def test_a_problem_on_the_last_row_of_many_chunks_records_nothing(
    reg: Register, roster: Roster, units: list[Unit], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, log_at_end: int,
) -> None:
    monkeypatch.setattr(store, "_LOG_AT_END", log_at_end)
    rows = _scores(units, roster)
    unit, ind = units[2], roster.indicator_list[6]
    wrong = _unlinked(units, unit, skip=1)  # not the allocated one: the register says so
    for last, problem in (
        (f"{unit.code},{ind},unlinked,{wrong},2,seen",
         (38, "score-wrong-assessor", f"{wrong} is not the unlinked DCFA allocated to "
          f"{unit.code} ({_unlinked(units, unit)}); pass --any-unlinked to accept another")),
        (f"{unit.code},{ind},linked,{unit.linked_dcfa},5,",
         (38, "score-invalid", "score 5 is not on the scale 1-4")),
    ):
        result = import_csv(reg, roster, _write(tmp_path / "scores.csv", [*rows, last]))
        assert result.status == "rejected"
        assert [(p.row, p.code, p.message) for p in result.problems] == [problem]
        assert reg.event_count() == 0
        assert reg.count("imports") == 0
    result = import_csv(reg, roster, _write(tmp_path / "scores.csv", rows))
    assert (result.status, result.recorded, result.by_role) == (
        "imported", 36, {"linked": 18, "unlinked": 18})
    assert reg.event_count() == 36
    assert sorted(e.id for e in reg.history(CYCLE))[-1] - sorted(
        e.id for e in reg.history(CYCLE))[0] == 35
    assert verify(reg.database).intact
    # the same scores again change nothing; one changed score is the one recorded
    rows[-1] = rows[-1].replace(",seen", ",seen again")
    again = import_csv(reg, roster, _write(tmp_path / "again.csv", rows))
    assert (again.status, again.recorded, again.unchanged) == ("imported", 1, 35)
    assert verify(reg.database).intact


def test_a_duplicate_across_chunks_is_found_and_every_problem_listed(
    reg: Register, roster: Roster, units: list[Unit], tmp_path: Path,
) -> None:
    rows = _scores(units, roster)
    first = rows[0]
    unit, ind = units[0], roster.indicator_list[0]
    rows.append(first.replace(",linked,", ",LINKED,"))  # row 38: row 2 again, other case
    rows.append(f"{units[1].code},{ind},moderated,{units[2].linked_dcfa},3,")  # row 39
    result = import_csv(reg, roster, _write(tmp_path / "scores.csv", rows))
    assert [(p.row, p.code, p.message) for p in result.problems] == [
        (38, "score-duplicate", f"{unit.code} {ind} linked appears twice (first at row 2)"),
        (39, "score-moderation-unexplained",
         "a moderated score needs a comment saying how it was agreed"),
    ]
    assert reg.event_count() == 0


def test_a_moderation_settles_scores_given_chunks_before_it_at_the_threshold(
    reg: Register, roster: Roster, units: list[Unit], tmp_path: Path,
) -> None:
    """Moderation needs the two scores to differ by the threshold (2) or more: at 2 it is
    recorded and settles the events of the same file; at 1 esps refuses it by name."""
    unit, moderator = units[0], _unlinked(units, units[0], skip=1)
    ind = roster.indicator_list
    rows = _scores(units, roster)  # unit 0: linked 1 + k % 4, unlinked 1 + 2k % 4
    assert (rows[2].split(",")[4], rows[3].split(",")[4]) == ("2", "3")  # ind[1]: 1 apart
    assert (rows[4].split(",")[4], rows[5].split(",")[4]) == ("3", "1")  # ind[2]: 2 apart
    near = f"{unit.code},{ind[1]},moderated,{moderator},2,agreed at panel"
    apart = f"{unit.code},{ind[2]},moderated,{moderator},2,agreed at panel"
    result = import_csv(reg, roster, _write(tmp_path / "near.csv", [*rows, apart, near]))
    assert [(p.row, p.code, p.message) for p in result.problems] == [(39, (
        "score-moderation-not-needed"), (
        f"nothing to moderate: {unit.code} {ind[1]}'s linked and unlinked scores differ by 1 "
        "(linked 2, unlinked 3), less than the moderation threshold of 2, so they combine "
        "without moderation; drop this moderated score (only an upheld community challenge "
        "to the indicator allows moderating it)"))]
    assert reg.event_count() == 0
    result = import_csv(reg, roster, _write(tmp_path / "apart.csv", [*rows, apart]))
    assert (result.status, result.recorded, result.by_role["moderated"]) == ("imported", 37, 1)
    pair = reg.current(CYCLE, unit.code, ind[2])
    assert pair.moderated is not None and pair.linked and pair.unlinked
    assert (pair.moderated.moderates_linked, pair.moderated.moderates_unlinked) == (
        pair.linked.id, pair.unlinked.id)
    assert verify(reg.database).intact


def test_score_moderate_of_agreeing_scores_is_refused_by_esps_unless_a_challenge_was_upheld(
    reg: Register, roster: Roster, units: list[Unit],
) -> None:
    unit, moderator = units[0], _unlinked(units, units[0], skip=1)
    ind = roster.indicator_list
    for k, (linked, unlinked) in enumerate(((3, 3), (3, 2), (3, 1))):
        record_score(reg, roster, unit=unit.code, indicator=ind[k], role="linked",
                     score=linked, assessor=unit.linked_dcfa)
        record_score(reg, roster, unit=unit.code, indicator=ind[k], role="unlinked",
                     score=unlinked, assessor=_unlinked(units, unit))
    for k, scores in ((0, "agree (both 3)"), (1, "differ by 1 (linked 3, unlinked 2)")):
        with pytest.raises(ScoreError) as refused:
            record_score(reg, roster, unit=unit.code, indicator=ind[k], role="moderated",
                         score=3, assessor=moderator, comment="agreed at panel")
        assert [p.split(", less than")[0] for p in refused.value.problems] == [
            f"nothing to moderate: {unit.code} {ind[k]}'s linked and unlinked scores {scores}"]
    assert record_score(reg, roster, unit=unit.code, indicator=ind[2], role="moderated",
                        score=2, assessor=moderator, comment="agreed at panel").recorded
    add_challenges(reg, [{
        "cycle": CYCLE, "challenge_key": "k1", "group_id": "g1", "group_name": "Group",
        "unit": unit.code, "indicator": ind[0], "theme": "", "challenged": "the score",
        "evidence": "", "reply_by": "writing", "received_on": "2010-11-01",
        "source": "form.xlsx", "source_sha256": "", "form_id": ""}])
    [challenge] = challenges(reg, CYCLE)
    add_response(reg, challenge, responder=moderator, outcome="partly-upheld",
                 response="looked at again", responded_on=date(2010, 11, 2), combined_before=3)
    assert record_score(reg, roster, unit=unit.code, indicator=ind[0], role="moderated",
                        score=2, assessor=moderator, comment="looked at again").recorded
    with pytest.raises(ScoreError):  # the challenge was about another indicator
        record_score(reg, roster, unit=unit.code, indicator=ind[1], role="moderated",
                     score=3, assessor=moderator, comment="agreed at panel")
    assert reg.event_count() == 8


def test_score_moderate_cli_names_the_scores_and_exits_2(tmp_path: Path, units: list[Unit],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ESPS_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    db, unit = tmp_path / "scores.db", units[0]
    with Register.open(db) as register:
        record_returns(register, [u.code for u in units])
    common = ["--register", str(db), "--cycle", CYCLE, "--units",
              str(EXAMPLES_DIR / "units.csv")]
    runner = CliRunner()
    assert runner.invoke(app, ["allocate", "--seed", "1", *common]).exit_code == 0
    with Register.open(db) as register:
        allocated = register.allocations(CYCLE)[unit.code]
    third = next(a for a in sorted({u.linked_dcfa for u in units})
                 if a not in (unit.linked_dcfa, allocated))
    for role, who in (("linked", unit.linked_dcfa), ("unlinked", allocated)):
        done = runner.invoke(app, ["score", "set", unit.code, "OD1.1", "4", "--role", role,
                                   "--assessor", who, *common])
        assert done.exit_code == 0, done.output
    done = runner.invoke(app, ["score", "moderate", unit.code, "OD1.1", "3", "--assessor",
                               third, "--comment", "agreed at panel", *common])
    assert done.exit_code == 2
    assert (f"nothing to moderate: {unit.code} OD1.1's linked and unlinked scores agree "
            "(both 4), less than the moderation threshold of 2") in " ".join(done.output.split())
    assert "Traceback" not in done.output


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"])
def test_a_csv_is_read_a_block_at_a_time_as_if_whole(ending: str) -> None:
    """Lines are made a block (about a million characters) at a time: a quoted cell's line
    break across a block's edge, and every kind of line ending, read as from the whole text."""
    import csv
    import io

    from esps_cli.io.tables import csv_row_stream

    filler = "".join(f"TP-{n:05d},OD1.1,linked,dcfa01,3,plain{ending}" for n in range(30_000))
    edge = 1 << 20  # where the first block ends: at the first "\n" from here
    prefix = filler[:filler.rfind(ending, 0, edge - 100) + len(ending)]
    head = 'TP-X,OD1.2,linked,dcfa01,2,"'
    cell = "x" * (edge - len(prefix) - len(head) - 3) + f"two{ending}lines, quoted"
    text = f'{prefix}{head}{cell}"{ending}{filler}'
    if "\n" in ending:  # the block ends inside the quoted cell
        assert text.index(head) < text.find("\n", edge) < text.index("lines, quoted")
    rows = list(csv_row_stream(text.encode(), "scores.csv"))
    assert rows == list(csv.reader(io.StringIO(text, newline="")))
    assert ["TP-X", "OD1.2", "linked", "dcfa01", "2", cell] in rows
    assert len(rows) == prefix.count(ending) + 1 + 30_000
