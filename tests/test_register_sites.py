"""Several sites: a register on PostgreSQL beside the SQLite default. Network filesystems
refused for SQLite, connection problems in one line, `register check` and `register copy`, and
the same flow giving the same summary on both engines."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from esps_cli.cli.app import app
from esps_cli.domain.paths import EXAMPLES_DIR
from esps_cli.errors import ConfigError
from esps_cli.register import (
    SCHEMA_VERSION,
    NewEvent,
    Register,
    RegisterConnectionError,
    locate,
)
from esps_cli.register.challenges import add_challenges, add_release, add_response, challenges
from esps_cli.register.maintenance import COPY_TABLES, check, copy_register
from esps_cli.register.netfs import mount_of, network_filesystem, windows_network_path

from .conftest import CYCLE
from .packs import record_returns
from .pgserver import ADVISOR_PASSWORD, Cluster
from .test_challenge_register import challenge_row

CALIBRATION_TABLES = ("calibration_seeds", "calibration_packs", "calibration_scores")
REVIEW_TABLES = ("workbook_issues", "unit_returns", "review_states")  # the review loop's

runner = CliRunner()


def mounts(tmp_path: Path, *lines: str) -> Path:
    """A mount table as the kernel writes /proc/mounts."""
    table = tmp_path / "mounts"
    table.write_text("".join(line + "\n" for line in lines))
    return table


# -- network filesystems -------------------------------------------------------------------


def test_the_mount_table_says_which_filesystem_holds_a_path(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    (shared / "local disk" / "deep").mkdir(parents=True)
    table = mounts(
        tmp_path,
        "/dev/vda / ext4 rw,relatime 0 0",
        f"fileserver:/exports/dcfd {shared} nfs4 rw,relatime,vers=4.2 0 0",
        # a local disk mounted inside the share, with a space escaped as the kernel does
        f"/dev/sdb1 {shared}/local\\040disk ext4 rw 0 0",
    )
    assert network_filesystem(shared / "esps.db", table) == (
        f"on nfs4 (fileserver:/exports/dcfd mounted at {shared})")
    assert network_filesystem(shared / "not" / "yet" / "made.db", table).startswith("on nfs4")
    assert network_filesystem(shared / "local disk" / "deep" / "esps.db", table) is None
    assert mount_of(shared / "local disk", table)[1] == "ext4"
    assert network_filesystem(tmp_path / "esps.db", table) is None
    # A folder that only starts with the share's name is not on it.
    beside = tmp_path / "shared-not"
    beside.mkdir()
    assert network_filesystem(beside / "esps.db", table) is None


@pytest.mark.parametrize("fstype", ["nfs", "nfs4", "cifs", "smb3", "smbfs", "fuse.sshfs",
                                    "sshfs", "9p", "afs", "ceph", "glusterfs"])
def test_every_network_filesystem_type_is_recognised(tmp_path: Path, fstype: str) -> None:
    table = mounts(tmp_path, "/dev/vda / ext4 rw 0 0", f"server:/x {tmp_path} {fstype} rw 0 0")
    assert network_filesystem(tmp_path / "esps.db", table) == (
        f"on {fstype} (server:/x mounted at {tmp_path})")


@pytest.mark.parametrize("fstype", ["ext4", "xfs", "btrfs", "tmpfs", "overlay", "zfs", "fuse"])
def test_local_filesystems_are_not_network_ones(tmp_path: Path, fstype: str) -> None:
    table = mounts(tmp_path, f"somewhere {tmp_path} {fstype} rw 0 0")
    assert network_filesystem(tmp_path / "esps.db", table) is None


def test_an_unreadable_mount_table_is_no_network(tmp_path: Path) -> None:
    assert network_filesystem(tmp_path / "esps.db", tmp_path / "no-such-table") is None


def test_windows_unc_paths_are_network_paths() -> None:
    assert windows_network_path(r"\\fileserver\dcfd\esps.db") == (
        r"a UNC network path (\\fileserver\dcfd)")
    assert windows_network_path("//fileserver/dcfd/esps.db") is not None
    assert windows_network_path(r"\\?\UNC\fileserver\dcfd\esps.db") == "a UNC network path"
    assert windows_network_path(r"\\?\C:\data\esps.db") is None
    assert windows_network_path(r"C:\data\esps.db") is None
    assert network_filesystem(r"\\fileserver\dcfd\esps.db") is not None


def test_a_sqlite_register_on_a_network_share_is_refused_or_read_only(tmp_path: Path) -> None:
    path = tmp_path / "esps.db"
    with Register.open(path) as reg:  # made on what is, for now, a local disk
        reg.record(NewEvent(cycle=CYCLE, unit="TP-CW", indicator="OD1.1", role="linked",
                            assessor="dcfa01", score=3))
    table = mounts(tmp_path, "/dev/vda / ext4 rw 0 0",
                   f"//fs01/dcfd {tmp_path} cifs rw,vers=3.1.1 0 0")
    with pytest.raises(ConfigError) as refused:
        Register.open(path, mounts_file=table)
    message = str(refused.value)
    assert f"the register {path} is on a network filesystem (on cifs (//fs01/dcfd" in message
    assert "PostgreSQL" in message and "--allow-network-sqlite" in message
    with pytest.raises(ConfigError, match="network filesystem"):
        Register.open(tmp_path / "new.db", mounts_file=table)
    assert not (tmp_path / "new.db").exists()
    # Allowed: read, never write.
    with Register.open(path, allow_network_sqlite=True, mounts_file=table) as reg:
        assert reg.read_only
        assert reg.current(CYCLE, "TP-CW", "OD1.1").linked.score == 3
        with pytest.raises(ConfigError, match="open read-only"):
            reg.record(NewEvent(cycle=CYCLE, unit="TP-CW", indicator="OD1.1",
                                role="linked", assessor="dcfa01", score=4))
    with Register.open(path) as reg:
        assert reg.event_count() == 1


# -- connection problems: one line, exit 2, never the password ------------------------------

UNITS = str(EXAMPLES_DIR / "units.csv")


def esps(*args: str, register: str):
    return runner.invoke(app, [*args, "--register", register, "--units", UNITS,
                               "--cycle", CYCLE])


@pytest.fixture
def silent_port() -> int:
    """A TCP port on 127.0.0.1 that accepts connections and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    yield server.getsockname()[1]
    server.close()


@pytest.fixture
def closed_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now
    return port


def _problems(cluster: Cluster, tmp_path: Path, silent: int, closed: int) -> dict[str, tuple]:
    db = cluster.new_database()
    nowhere = tmp_path / "no-server"
    nowhere.mkdir()
    return {
        "wrong password": (cluster.url(db, "advisor", "Wrong-pa55word"),
                           "the password was refused"),
        "no password": (cluster.url(db, "advisor"), "asks for a password and none was given"),
        "missing database": (cluster.url("no_such_register", "clerk"),
                             "the database does not exist on that server"),
        "server down (socket)": (f"postgresql://clerk:Some-pa55word@/{db}?host={nowhere}",
                                 "no PostgreSQL server is answering there"),
        "server down (tcp)": (f"postgresql://clerk:Some-pa55word@127.0.0.1:{closed}/{db}",
                              "no PostgreSQL server is answering there"),
        "timeout": (f"postgresql://clerk:Some-pa55word@127.0.0.1:{silent}/{db}"
                    "?connect_timeout=2&sslmode=disable",
                    "the server did not answer in time"),
    }


def test_connection_problems_are_one_clear_line_without_the_password(
    postgres_cluster: Cluster, tmp_path: Path, silent_port: int, closed_port: int
) -> None:
    for name, (url, expected) in _problems(postgres_cluster, tmp_path, silent_port,
                                           closed_port).items():
        with pytest.raises(RegisterConnectionError) as exc:
            Register.open(url)
        message = str(exc.value)
        assert expected in message, (name, message)
        assert message.startswith(f"cannot connect to the register {locate(url)}: "), name
        assert "\n" not in message and "pa55word" not in message, (name, message)
        for command in (("score", "show", "TP-CW"), ("score", "set", "TP-CW", "OD1.1", "3",
                                            "--role", "linked", "--assessor", "dcfa01")):
            result = esps(*command, register=url)
            assert result.exit_code == 2, (name, command, result.output)
            assert expected in result.output and "pa55word" not in result.output, name
            assert "Traceback" not in result.output
            assert result.output.count("error:") == 1, result.output


def test_the_right_password_works_and_is_never_printed(postgres_cluster: Cluster) -> None:
    url = postgres_cluster.url(postgres_cluster.new_database("advisor"), "advisor",
                               ADVISOR_PASSWORD)
    with Register.open(url) as reg:
        record_returns(reg, ["TP-CW"])
    result = esps("score", "set", "TP-CW", "OD1.1", "3", "--role", "linked", "--assessor",
                  "dcfa01", register=url)
    assert result.exit_code == 0, result.output
    allocated = esps("allocate", "--seed", "1", register=url)  # names the register it used
    assert allocated.exit_code == 0, allocated.output
    assert f"(register {locate(url)})" in " ".join(allocated.output.split())
    assert "advisor:***@" in str(locate(url))
    assert ADVISOR_PASSWORD not in result.output + allocated.output
    with Register.open(url) as reg:
        assert reg.current(CYCLE, "TP-CW", "OD1.1").linked.score == 3


def test_without_the_driver_the_message_names_the_extra(tmp_path: Path) -> None:
    """psycopg made unimportable in a child process, as on an install without the extra."""
    code = ("import sys; sys.modules['psycopg'] = None; "
            "from esps_cli.cli.app import main; sys.argv = ['esps', *sys.argv[1:]]; main()")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "src")}
    env.pop("ESPS_CONFIG", None)
    result = subprocess.run(
        [sys.executable, "-c", code, "score", "show", "TP-CW", "--register",
         "postgresql://clerk:Some-pa55word@db.example/esps", "--units", UNITS,
         "--cycle", CYCLE],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    assert result.returncode == 2, result.stderr
    assert "pip install 'esps-cli[postgres]'" in result.stderr
    assert "pa55word" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


# -- the same flow on both engines -----------------------------------------------------------

RETURNS = str(EXAMPLES_DIR / "returned")


def _flow(register: str) -> list[tuple[str, int, str]]:
    """The quick start's scoring flow, then every reading command; (step, exit code, output)
    with the register's name and the history's clock times taken out."""
    steps = {
        "allocate": ("allocate", "--seed", "2010", "--format", "json"),
        "import": ("score", "import", str(EXAMPLES_DIR / "scores.csv"), "--any-unlinked"),
        "import again": ("score", "import", str(EXAMPLES_DIR / "scores.csv"), "--any-unlinked"),
        "moderate": ("score", "moderate", "TP-EK", "OD3.1", "3", "--assessor", "dcfa03",
                     "--comment", "Agreed at moderation panel"),
        "refused": ("score", "set", "TP-EK", "OD1.1", "2", "--role", "unlinked",
                    "--assessor", "dcfa02"),
        "show": ("score", "show", "TP-EK"),
        "export": ("score", "export", "--format", "json"),
        "history": ("score", "export", "--history", "--format", "json"),
        "agreement": ("score", "agreement", "--format", "json"),
        "summary": ("summary", "--returns", RETURNS, "--format", "json", "--jobs", "1"),
    }
    with Register.open(register) as reg:
        record_returns(reg, ["TP-EK", "TP-BS"])  # the units examples/scores.csv scores
    out = []
    for step, args in steps.items():
        result = esps(*args, register=register)
        text = result.output.replace(str(locate(register)), "REGISTER")
        # "already imported ... at 2026-12-07 02:11 UTC": the minute may turn between engines
        text = re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", "DATE TIME UTC", text)
        if step == "history":
            events = json.loads(text)
            assert events and all(e.pop("recorded_at") for e in events)
            # who entered each: the login on PostgreSQL, the operating-system user on SQLite
            assert all(e.pop("entered_by") for e in events)
            text = json.dumps(events)
        if step == "summary":  # the chain's head hashes the clock times too
            text, found = re.subn(r'"chain_fingerprint": ?"\d+:[0-9a-f]{4}(-[0-9a-f]{4}){3}"',
                                  '"chain_fingerprint": "HEAD"', text)
            assert found == 1, text[:300]
        out.append((step, result.exit_code, text))
    return out


def test_the_same_flow_gives_the_same_outputs_on_sqlite_and_postgresql(
    postgres_cluster: Cluster, tmp_path: Path
) -> None:
    sqlite = _flow(str(tmp_path / "esps.db"))
    postgres = _flow(postgres_cluster.url(postgres_cluster.new_database()))
    assert [(step, code) for step, code, _ in sqlite] == [
        ("allocate", 0), ("import", 0), ("import again", 0), ("moderate", 0), ("refused", 2),
        ("show", 0), ("export", 0), ("history", 0), ("agreement", 0), ("summary", 1)]
    for (step, _, a), (_, _, b) in zip(sqlite, postgres, strict=True):
        assert a == b, step
    summary = json.loads(sqlite[-1][2])
    assert summary["organisation"]["units"] > 0


# -- register check and register copy ---------------------------------------------------------


def _filled(location: str) -> None:
    with Register.open(location) as reg:
        record_returns(reg, ["TP-EK", "TP-BS"])  # the units examples/scores.csv scores
    result = esps("allocate", "--seed", "2010", register=location)
    assert result.exit_code == 0, result.output
    for args in (("score", "import", str(EXAMPLES_DIR / "scores.csv"), "--any-unlinked"),
                 ("score", "moderate", "TP-EK", "OD3.1", "3", "--assessor", "dcfa03",
                  "--comment", "Agreed at moderation panel")):
        result = esps(*args, register=location)
        assert result.exit_code == 0, result.output
    with Register.open(location) as reg:  # community review: a challenge answered, a release
        add_challenges(reg, [challenge_row()])
        [challenge] = challenges(reg, CYCLE)
        add_response(reg, challenge, responder="dcfa03", outcome="upheld",
                     response="The complaints were not in the evidence; moderated again.",
                     responded_on=date(2011, 1, 20), combined_before=3)
        add_release(reg, cycle=CYCLE, released_on=date(2011, 2, 1), signed_off="Board 7",
                    pre_release_access=["Deputy Commissioner"], changes="", edition="{}",
                    edition_sha256="0" * 64)


@pytest.mark.parametrize("direction", ["sqlite to postgresql", "postgresql to sqlite"])
def test_copy_moves_every_row_and_the_copy_reads_the_same(
    postgres_cluster: Cluster, tmp_path: Path, direction: str
) -> None:
    sqlite, postgres = str(tmp_path / "esps.db"), postgres_cluster.url(
        postgres_cluster.new_database())
    source, target = (sqlite, postgres) if direction.startswith("sqlite") else (postgres, sqlite)
    _filled(source)
    report = copy_register(source, target)
    assert report.ok
    with Register.open(source) as a, Register.open(target) as b:
        counts = {t.table: (t.source_rows, t.target_rows) for t in report.tables}
        assert counts == {t: (a.count(t), a.count(t)) for t, _ in COPY_TABLES}
        assert counts["score_events"][0] > 100 and counts["imports"] == (1, 1)
        assert b.history(CYCLE) == a.history(CYCLE)  # ids, times, moderations: all of it
        assert b.current_scores(CYCLE) == a.current_scores(CYCLE)
        assert b.allocation_records(CYCLE) == a.allocation_records(CYCLE)
        # The copy goes on numbering where the original stopped.
        n = a.event_count()
        assert b.record(NewEvent(cycle=CYCLE, unit="TP-CW", indicator="OD1.1",
                                 role="linked", assessor="dcfa01", score=2)).id == n + 1
    assert check(target).sound
    # A register that already holds records is never a target.
    with pytest.raises(ConfigError, match="already holds records"):
        copy_register(source, target)


def test_check_finds_a_register_tampered_with_outside_esps(tmp_path: Path) -> None:
    path = str(tmp_path / "esps.db")
    _filled(path)
    report = check(path)
    assert report.sound, report.items
    assert [i.name for i in report.items] == [
        "database integrity", "schema version", "rules in the database", "audit coverage",
        "import log", "moderations", "scores", "audit chain"]
    import sqlite3

    conn = sqlite3.connect(path)
    conn.execute("DROP TRIGGER score_events_no_delete")
    conn.execute("DELETE FROM score_events WHERE id = 5")
    conn.commit()
    conn.close()
    report = check(path)
    assert not report.sound
    problems = {i.name: i.detail for i in report.items if i.status == "problem"}
    assert set(problems) == {"rules in the database", "import log", "audit chain"}
    assert "score_events_no_delete" in problems["rules in the database"]
    assert "score_events row 5, recorded by entry" in problems["audit chain"]
    assert "events, " in problems["import log"] and "found" in problems["import log"]


# -- the CLI: register check, register copy, and where the register is named ---------------------


def test_register_copy_and_check_on_the_command_line(
    postgres_cluster: Cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ESPS_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    sqlite = str(tmp_path / "esps.db")
    _filled(sqlite)
    url = postgres_cluster.url(postgres_cluster.new_database("advisor"), "advisor",
                               ADVISOR_PASSWORD)
    copied = runner.invoke(app, ["register", "copy", sqlite, url])
    assert copied.exit_code == 0, copied.output
    lines = [" ".join(line.split()) for line in copied.output.splitlines()]
    with Register.open(sqlite) as reg:
        events, allocations = reg.event_count(), reg.count("allocations")
        packs, entries = reg.count("pack_issues"), reg.count("audit_log")
        who = [(t, reg.count(t)) for t in ("unit_links", "cycle_rules", "advisor_logins")]
    assert lines == [
        f"copied {sqlite} to {locate(url)} (schema version {SCHEMA_VERSION})",
        "imports 1 -> 1 same",
        f"allocations {allocations} -> {allocations} same",
        f"score_events {events} -> {events} same",
        f"pack_issues {packs} -> {packs} same",
        *[f"{t} 0 -> 0 same" for t in REVIEW_TABLES],
        "challenge_forms 0 -> 0 same", "challenges 1 -> 1 same",
        "challenge_responses 1 -> 1 same", "releases 1 -> 1 same",
        *[f"{t} 0 -> 0 same" for t in CALIBRATION_TABLES],
        *[f"{t} {n} -> {n} same" for t, n in who],
        f"audit_log {entries} -> {entries} same",
        "every record arrived",
    ]
    assert ADVISOR_PASSWORD not in copied.output
    again = runner.invoke(app, ["register", "copy", sqlite, url])
    assert again.exit_code == 2 and "already holds records" in again.output
    assert ADVISOR_PASSWORD not in again.output
    same = runner.invoke(app, ["register", "copy", sqlite, sqlite])
    assert same.exit_code == 2 and "FROM and TO are the same register" in same.output

    checked = runner.invoke(app, ["register", "check", "--register", url, "--format", "json"])
    assert checked.exit_code == 0, checked.output
    data = json.loads(checked.output)
    assert (data["engine"], data["schema_version"], data["sound"]) == (
        "postgresql", SCHEMA_VERSION, True)
    assert data["counts"] == {"imports": 1, "allocations": allocations, "score_events": events,
                              "pack_issues": packs, "audit_log": entries,
                              **{t: 0 for t in (*REVIEW_TABLES, *CALIBRATION_TABLES)},
                              "challenge_forms": 0, "challenges": 1, "challenge_responses": 1,
                              "releases": 1, **dict(who)}
    # ESPS_REGISTER names the register when --register does not.
    monkeypatch.setenv("ESPS_REGISTER", url)
    text = runner.invoke(app, ["register", "check"])
    assert text.exit_code == 0, text.output
    assert f"register {locate(url)} (postgresql, schema version {SCHEMA_VERSION})" in text.output
    assert text.output.rstrip().endswith("sound") and ADVISOR_PASSWORD not in text.output


def test_esps_toml_may_name_a_postgresql_register(
    postgres_cluster: Cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = postgres_cluster.url(postgres_cluster.new_database())
    (tmp_path / "esps.toml").write_text(
        f'[esps]\nunits = "{UNITS}"\ncycle = "{CYCLE}"\nregister = "{url}"\n')
    monkeypatch.delenv("ESPS_REGISTER", raising=False)
    monkeypatch.setenv("ESPS_CONFIG", str(tmp_path / "esps.toml"))
    monkeypatch.chdir(tmp_path)
    with Register.open(url) as reg:
        record_returns(reg, ["TP-CW"])
    result = runner.invoke(app, ["score", "set", "TP-CW", "OD1.1", "3", "--role", "linked",
                                 "--assessor", "dcfa01"])
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "esps.db").exists()  # not a file named after the URL either
    assert list(tmp_path.iterdir()) == [tmp_path / "esps.toml"]
    with Register.open(url) as reg:
        assert reg.current(CYCLE, "TP-CW", "OD1.1").linked.score == 3


def test_register_check_exits_1_on_a_tampered_register(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ESPS_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    path = str(tmp_path / "esps.db")
    _filled(path)
    import sqlite3

    conn = sqlite3.connect(path)
    conn.execute("DROP TRIGGER allocations_no_update")
    conn.commit()
    conn.close()
    result = runner.invoke(app, ["register", "check", "--register", path])
    assert result.exit_code == 1
    assert "PROBLEM rules in the database: trigger(s) missing: " \
           "allocations_no_update" in " ".join(result.output.split())
    missing = runner.invoke(app, ["register", "check", "--register", str(tmp_path / "no.db")])
    assert missing.exit_code == 2 and "no score register at" in missing.output
    assert not (tmp_path / "no.db").exists()


def test_allow_network_sqlite_travels_with_the_location(tmp_path: Path) -> None:
    from esps_cli.register import register_location

    path = tmp_path / "esps.db"
    Register.open(path).close()
    table = mounts(tmp_path, f"server:/share {tmp_path} nfs rw 0 0")
    allowed = register_location(str(path), None, allow_network_sqlite=True)
    assert allowed.allow_network_sqlite
    with Register.open(allowed, mounts_file=table) as reg:
        assert reg.read_only and reg.event_count() == 0
    with pytest.raises(ConfigError, match="network filesystem"):
        Register.open(register_location(str(path), None), mounts_file=table)


def test_advisors_with_their_own_logins_record_but_cannot_rewrite_or_upgrade(
    postgres_cluster: Cluster, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The owner (clerk) creates the register; an advisor's login may read and add records,
    nothing more: the database refuses changes and schema upgrades to it."""
    import psycopg

    from esps_cli.register.migrations import MIGRATIONS, SCHEMA_VERSION_TABLE

    monkeypatch.delenv("ESPS_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    db = postgres_cluster.new_database()
    owner = postgres_cluster.url(db)
    advisor = postgres_cluster.url(db, "advisor", ADVISOR_PASSWORD)
    grants = ("GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA public TO advisor",
              "GRANT UPDATE ON schema_version TO advisor")  # LOCK ... EXCLUSIVE needs it
    with psycopg.connect(owner, autocommit=True) as conn:  # a register of schema version 1
        conn.execute(SCHEMA_VERSION_TABLE)
        for sql in MIGRATIONS[0].statements("postgresql"):
            conn.execute(sql)
        conn.execute("INSERT INTO schema_version VALUES (1, '2010-08-01T00:00:00+00:00')")
        for sql in grants:
            conn.execute(sql)
    refused = esps("score", "set", "TP-CW", "OD1.1", "3", "--role", "linked", "--assessor",
                   "dcfa01", register=advisor)
    assert refused.exit_code == 2
    assert "lacks the right to upgrade it" in refused.output
    assert "esps register upgrade" in " ".join(refused.output.split())
    upgraded = runner.invoke(app, ["register", "upgrade", "--register", owner])
    assert upgraded.exit_code == 0, upgraded.output
    assert f"upgraded from schema version 1 to {SCHEMA_VERSION}" in " ".join(
        upgraded.output.split())
    again = runner.invoke(app, ["register", "upgrade", "--register", owner])
    assert f"at schema version {SCHEMA_VERSION}: nothing to do" in " ".join(again.output.split())
    with psycopg.connect(owner, autocommit=True) as conn:  # the tables versions 3+ added
        conn.execute(grants[0])
    with Register.open(owner) as reg:
        record_returns(reg, ["TP-CW"])

    recorded = esps("score", "set", "TP-CW", "OD1.1", "3", "--role", "linked", "--assessor",
                    "dcfa01", register=advisor)
    assert recorded.exit_code == 0, recorded.output
    with psycopg.connect(advisor, autocommit=True) as conn:
        for sql in ("UPDATE score_events SET score = 1", "DELETE FROM score_events",
                    "UPDATE audit_log SET unit = 'x'", "DELETE FROM audit_log",
                    "DROP TRIGGER score_events_no_update ON score_events",
                    "ALTER TABLE score_events DISABLE TRIGGER ALL"):
            with pytest.raises(psycopg.Error):
                conn.execute(sql)
    assert check(owner).sound


def test_a_connection_lost_mid_command_is_one_line(postgres_cluster: Cluster) -> None:
    url = postgres_cluster.url(postgres_cluster.new_database())
    with Register.open(url) as reg:
        reg.record(NewEvent(cycle=CYCLE, unit="TP-CW", indicator="OD1.1", role="linked",
                            assessor="dcfa01", score=3))
        postgres_cluster.admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                               "WHERE usename = 'clerk'")
        with pytest.raises(RegisterConnectionError) as lost:
            reg.event_count()
        assert str(lost.value).startswith(f"lost the connection to the register {locate(url)}")
        assert "\n" not in str(lost.value)
        # a write after the loss: refused the same way
        with pytest.raises(RegisterConnectionError), reg.transaction():
            pass
