"""Who writes is who they are, on a PostgreSQL register with a login per advisor (issue 24):
`esps register roles` sets them up; the database then refuses, for a login that goes around
esps with its own client, every score the rules forbid; hides the other assessor's score of an
indicator until both are in; and refuses `--assessor` naming someone else unless the login
is a DCFD administrator's (then the login is recorded as having entered it).

One register for the module (the roles are the cluster's; each test works on its own units)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from esps_cli.domain.paths import EXAMPLES_DIR
from esps_cli.register import Register
from esps_cli.register.facts import record_cycle_facts

from .conftest import CYCLE
from .packs import record_returns
from .pgserver import Cluster
from .test_register import _env

PASSWORD = "Logins-are-people-7"
ALLOCATED = {"TP-CW": "dcfa02", "TP-BS": "dcfa03", "TP-EK": "dcfa04"}  # unit -> unlinked


def esps(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "esps_cli", *args, "--register", url], capture_output=True,
        text=True, env=_env(), timeout=120)


def score(url: str, unit: str, indicator: str, value: int, role: str, assessor: str,
          *more: str) -> subprocess.CompletedProcess[str]:
    command = "moderate" if role == "moderated" else "set"
    args = ["score", command, unit, indicator, str(value), "--assessor", assessor, *more,
            "--units", str(EXAMPLES_DIR / "units.csv"), "--cycle", CYCLE]
    if role != "moderated":
        args += ["--role", role]
    return esps(*args, url=url)


class Setup:
    def __init__(self, cluster: Cluster, database: str, roles: subprocess.CompletedProcess[str]):
        self.cluster, self.database, self.roles = cluster, database, roles

    def url(self, login: str) -> str:
        return self.cluster.url(self.database, login, PASSWORD)

    def connect(self, login: str) -> Any:
        import psycopg

        return psycopg.connect(self.url(login), autocommit=True)


@pytest.fixture(scope="module")
def setup(postgres_cluster: Cluster, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[Setup]:
    cluster = postgres_cluster
    database = cluster.new_database()
    with Register.open(cluster.url(database)) as reg:  # made by the clerk, as in real use
        record_returns(reg, list(ALLOCATED))
        reg.allocate(CYCLE, ALLOCATED, seed=1)
        record_cycle_facts(reg, CYCLE, {"TP-CW": "dcfa01", "TP-BS": "dcfa01",
                                        "TP-EK": "dcfa02"}, (1, 4), 2)
    roles = esps("register", "roles", "--advisors", str(EXAMPLES_DIR / "dcfas.csv"), "--admin",
                 "dcfd_admin", "--network", "10.1.0.0/16", url=cluster.url(database, "esps"))
    logins = [f"dcfa{n:02d}" for n in range(1, 11)] + ["dcfd_admin"]
    cluster.admin(*(f"ALTER ROLE {login} PASSWORD '{PASSWORD}'" for login in logins))
    yield Setup(cluster, database, roles)


def test_roles_are_created_owned_apart_and_printed_for_pg_hba(setup: Setup) -> None:
    assert setup.roles.returncode == 0, setup.roles.stdout + setup.roles.stderr
    out = setup.roles.stdout
    assert "logins recorded: 11 (0 already in place)" in out
    assert f"hostssl  {setup.database}  +esps_advisor  10.1.0.0/16  scram-sha-256" in out
    assert "esps  amira.haddad@example.org  dcfa01" in out
    with setup.connect("dcfa01") as conn:
        owners = {r[0] for r in conn.execute(
            "SELECT tableowner FROM pg_tables WHERE schemaname = 'public'")}
        assert owners == {"esps_owner"}
        held = conn.execute("SELECT pg_has_role('dcfa01', 'esps_owner', 'MEMBER'), "
                            "pg_has_role('dcfd_admin', 'esps_owner', 'MEMBER')").fetchone()
        assert held == (False, False)  # the tables' owner is no advisor's
    again = esps("register", "roles", "--advisors", str(EXAMPLES_DIR / "dcfas.csv"), "--admin",
                 "dcfd_admin", url=setup.cluster.url(setup.database, "esps"))
    assert again.returncode == 0, again.stderr
    assert "roles created: none (all in place)" in again.stdout
    assert "logins recorded: 0 (11 already in place)" in again.stdout


def _insert(conn: Any, login: str, unit: str, indicator: str, role: str, assessor: str,
            value: int, settles: tuple[int | None, int | None] = (None, None)) -> None:
    conn.execute(
        "INSERT INTO score_events (id, cycle, unit, indicator, role, assessor, score, comment, "
        "recorded_at, source, entered_by, moderates_linked, moderates_unlinked) VALUES ("
        "esps_next_id('score_events'), %s, %s, %s, %s, %s, %s, 'by hand', "
        "'2026-12-07T00:00:00+00:00', 'psql', %s, %s, %s)",
        (CYCLE, unit, indicator, role, assessor, value, login, *settles))


@pytest.mark.parametrize(("login", "role", "assessor", "value", "refusal"), [
    ("dcfa02", "linked", "dcfa02", 3, "a linked score comes only from the unit's linked DCFA"),
    ("dcfa02", "linked", "dcfa01", 3, "the login dcfa02 is advisor dcfa02: it cannot record "
                                      "a score as dcfa01"),
    ("dcfa01", "linked", "dcfa01", 5, "the score is not on the cycle's scale"),
    ("dcfa01", "linked", "dcfa01", 0, "the score is not on the cycle's scale"),
    ("dcfa05", "unlinked", "dcfa05", 3, "an unlinked score comes only from the unit's allocated "
                                        "unlinked DCFA"),
])
def test_a_login_going_around_esps_cannot_break_a_rule(
    setup: Setup, login: str, role: str, assessor: str, value: int, refusal: str
) -> None:
    import psycopg

    with setup.connect(login) as conn, pytest.raises(psycopg.errors.CheckViolation) as exc:
        _insert(conn, login, "TP-CW", "OD2.1", role, assessor, value)
    assert refusal in str(exc.value)


def test_the_rules_hold_at_their_boundaries_for_a_login(setup: Setup) -> None:
    import psycopg

    with setup.connect("dcfa01") as conn:
        _insert(conn, "dcfa01", "TP-CW", "OD2.2", "linked", "dcfa01", 4)  # the top of the scale
        _insert(conn, "dcfa01", "TP-CW", "OD2.2", "linked", "dcfa01", 1)  # and the bottom
        with pytest.raises(psycopg.errors.CheckViolation, match="name the login that enters"):
            conn.execute(
                "INSERT INTO score_events (id, cycle, unit, indicator, role, assessor, score, "
                "recorded_at, source, entered_by) VALUES (esps_next_id('score_events'), %s, "
                "'TP-CW', 'OD2.2', 'linked', 'dcfa01', 2, 'now', 'psql', 'dcfa09')", (CYCLE,))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("ALTER TABLE score_events DISABLE TRIGGER USER")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("INSERT INTO allocations (id, cycle, unit, unlinked_dcfa, allocated_at)"
                         " VALUES (99, %s, 'TP-CW', 'dcfa05', 'now')", (CYCLE,))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE score_events SET score = 2")


def test_the_other_assessor_s_score_is_hidden_until_both_are_in(setup: Setup) -> None:
    linked = score(setup.url("dcfa01"), "TP-BS", "OD1.1", 4, "linked", "dcfa01", "--comment",
                   "a strong plan")
    assert linked.returncode == 0, linked.stdout + linked.stderr

    def seen_by(login: str) -> tuple[list[Any], list[Any]]:
        with setup.connect(login) as conn:
            rows = conn.execute("SELECT assessor, score, comment FROM score_events WHERE "
                                "unit = 'TP-BS' AND indicator = 'OD1.1'").fetchall()
            entries = conn.execute("SELECT assessor, detail FROM audit_log WHERE unit = 'TP-BS' "
                                   "AND action = 'score'").fetchall()
        return rows, entries

    assert seen_by("dcfa03") == ([], [])  # the unlinked assessor sees neither score nor entry
    assert seen_by("dcfa01")[0] == [("dcfa01", 4, "a strong plan")]  # its own
    unlinked = score(setup.url("dcfa03"), "TP-BS", "OD1.1", 2, "unlinked", "dcfa03",
                     "--comment", "thin evidence")
    assert unlinked.returncode == 0, unlinked.stdout + unlinked.stderr
    rows, entries = seen_by("dcfa03")
    assert sorted(rows) == [("dcfa01", 4, "a strong plan"), ("dcfa03", 2, "thin evidence")]
    assert len(entries) == 2
    # Scores 4 and 2 differ by the threshold: a third DCFA may moderate; 3 and 3 may not.
    moderated = score(setup.url("dcfa06"), "TP-BS", "OD1.1", 3, "moderated", "dcfa06",
                      "--comment", "agreed at panel")
    assert moderated.returncode == 0, moderated.stdout + moderated.stderr
    for login, role in (("dcfa01", "linked"), ("dcfa03", "unlinked")):
        done = score(setup.url(login), "TP-BS", "OD1.2", 3, role, login)
        assert done.returncode == 0, done.stdout + done.stderr
    refused = score(setup.url("dcfa06"), "TP-BS", "OD1.2", 1, "moderated", "dcfa06",
                    "--comment", "agreed at panel")
    assert refused.returncode == 2  # esps says why before the database would refuse it
    assert ("nothing to moderate: TP-BS OD1.2's linked and unlinked scores agree (both 3), "
            "less than the moderation threshold of 2") in " ".join(refused.stderr.split())


def test_assessor_naming_someone_else_is_refused_unless_an_administrator(setup: Setup) -> None:
    mine = score(setup.url("dcfa02"), "TP-EK", "OD1.1", 3, "linked", "dcfa02")
    assert mine.returncode == 0, mine.stdout + mine.stderr
    other = score(setup.url("dcfa02"), "TP-EK", "OD1.1", 2, "unlinked", "dcfa04")
    assert other.returncode == 2
    assert "the login dcfa02 is advisor dcfa02: it cannot record a score as dcfa04" in \
        other.stderr
    admin = score(setup.url("dcfd_admin"), "TP-EK", "OD1.1", 2, "unlinked", "dcfa04")
    assert admin.returncode == 0, admin.stdout + admin.stderr
    with Register.open(setup.cluster.url(setup.database, "esps"), create=False) as reg:
        event = reg.current(CYCLE, "TP-EK", "OD1.1").unlinked
    assert event is not None and (event.assessor, event.entered_by) == ("dcfa04", "dcfd_admin")
    verified = esps("log", "--verify", url=setup.cluster.url(setup.database, "esps"))
    # The chain holds; what it flags is only the rows another test inserted by hand (psql).
    assert verified.returncode == 0 or "added outside esps" in verified.stdout, \
        verified.stdout + verified.stderr


def test_on_sqlite_the_operating_system_user_is_recorded_beside_the_assessor(
    tmp_path: Path
) -> None:
    import getpass

    from esps_cli.register import NewEvent

    with Register.open(tmp_path / "esps.db") as reg:
        event = reg.record(NewEvent(cycle=CYCLE, unit="TP-CW", indicator="OD1.1", role="linked",
                                    assessor="dcfa01", score=3))
    assert event.entered_by == getpass.getuser()


def test_checking_the_whole_register_through_an_advisor_s_login_is_refused(setup: Setup
                                                                           ) -> None:
    """Row-level security hides the other assessor's score from an advisor's login: the chain
    would look broken there, or "intact" over only the entries it sees (what --verify said
    before). esps says whose login it is and who may check, exit 2."""
    done = score(setup.url("dcfa01"), "TP-CW", "OD2.1", 3, "linked", "dcfa01")
    assert done.returncode == 0, done.stdout + done.stderr
    for args in (("log", "--verify"), ("register", "check")):
        refused = esps(*args, url=setup.url("dcfa02"))  # TP-CW's unlinked DCFA
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert (f"esps {' '.join(args)} needs to see every row, and the login dcfa02 is an "
                "advisor's: row-level security hides") in " ".join(refused.stderr.split())
        assert "Traceback" not in refused.stderr
        for login in ("dcfd_admin", "esps"):  # an administrator's login, the owner's
            url = setup.url(login) if login == "dcfd_admin" else setup.cluster.url(
                setup.database, "esps")
            checked = esps(*args, url=url)
            assert "needs to see every row" not in checked.stderr, checked.stderr
            assert checked.returncode in (0, 1), checked.stdout + checked.stderr
