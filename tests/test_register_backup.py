"""Backups that are proven (issue 24): `esps register backup FILE` then `esps register
restore-check FILE` on both engines; a backup edited after it was made fails the check."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from esps_cli.cli.app import app
from esps_cli.domain.paths import EXAMPLES_DIR
from esps_cli.register import Register, locate

from .conftest import CYCLE
from .packs import record_returns
from .pgserver import Cluster

runner = CliRunner()


def _filled(register: str) -> None:
    with Register.open(register) as reg:
        record_returns(reg, ["TP-EK", "TP-BS"])
    done = runner.invoke(app, ["score", "import", str(EXAMPLES_DIR / "scores.csv"),
                               "--any-unlinked", "--register", register, "--units",
                               str(EXAMPLES_DIR / "units.csv"), "--cycle", CYCLE])
    assert done.exit_code == 0, done.output


def test_a_backup_round_trip_is_proven_and_an_edited_backup_is_caught(
    register_at: str, tmp_path: Path, postgres_cluster: Cluster
) -> None:
    _filled(register_at)
    pg = locate(register_at).engine == "postgresql"
    backup = tmp_path / ("esps.dump" if pg else "esps-backup.db")
    made = runner.invoke(app, ["register", "backup", str(backup), "--register", register_at])
    assert made.exit_code == 0, made.output
    assert "prove it: esps register restore-check" in made.output
    again = runner.invoke(app, ["register", "backup", str(backup), "--register", register_at])
    assert again.exit_code == 2 and "already exists" in again.output
    scratch = ["--scratch", postgres_cluster.url("postgres", "esps")] if pg else []
    checked = runner.invoke(app, ["register", "restore-check", str(backup), *scratch,
                                  "--format", "json"])
    assert checked.exit_code == 0, checked.output
    assert '"sound": true' in checked.output and '"audit chain"' in checked.output
    if pg:
        missing = runner.invoke(app, ["register", "restore-check", str(backup)])
        assert missing.exit_code == 2 and "pass --scratch" in missing.output
        return
    conn = sqlite3.connect(backup, isolation_level=None)  # someone edits a score in it
    conn.execute("DROP TRIGGER score_events_no_update")
    conn.execute("UPDATE score_events SET score = 1 WHERE id = 3")
    conn.close()
    broken = runner.invoke(app, ["register", "restore-check", str(backup)])
    assert broken.exit_code == 1, broken.output
    assert "score_events row 3" in broken.output


def test_restore_check_refuses_a_file_that_is_not_a_backup(tmp_path: Path) -> None:
    other = tmp_path / "notes.db"
    other.write_text("not a register", encoding="utf-8")
    done = runner.invoke(app, ["register", "restore-check", str(other)])
    assert done.exit_code == 2
    assert "is not a register backup" in done.output
