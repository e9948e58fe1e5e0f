"""A throw-away PostgreSQL 15 cluster for the tests, started by the tests themselves.

``initdb`` into a temporary folder, ``pg_ctl start`` listening only on a Unix socket in that
folder (no TCP), as an unprivileged user when the tests run as root (PostgreSQL refuses to run
as root), and stopped and removed at the end of the session. Each test gets its own database.

Roles: ``esps`` (superuser, trusted on the socket: the fixture's own admin), ``clerk`` (an
ordinary user who owns the test databases: the registers run as it, as in real use) and
``advisor`` (password only, for the wrong-password tests).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_BIN_DIRS = [Path(os.environ["ESPS_PG_BIN"])] if os.environ.get("ESPS_PG_BIN") else []
PG_BIN_DIRS += [Path(f"/usr/lib/postgresql/{v}/bin") for v in (15, 16, 17, 14)]
ADVISOR_PASSWORD = "s3cret-Horse-battery"
UNPRIVILEGED_USERS = ("esps-test", "nobody")


def find_bin() -> Path | None:
    for folder in PG_BIN_DIRS:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    found = shutil.which("initdb")
    return Path(found).parent if found and shutil.which("pg_ctl") else None


def _unprivileged_user() -> str | None:
    """The user to run the server as when we are root (None: not root)."""
    if os.geteuid() != 0:
        return None
    for name in UNPRIVILEGED_USERS:
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    subprocess.run(["useradd", "--system", "--no-create-home", "esps-test"], check=True)
    return "esps-test"


class Cluster:
    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.user = _unprivileged_user()
        # A short path under /tmp: a Unix socket path must stay under ~100 characters.
        self.base = Path(tempfile.mkdtemp(prefix="esps-pg-"))
        self.data = self.base / "data"
        self.socket_dir = str(self.base)
        if self.user:
            shutil.chown(self.base, user=self.user)

    def _run(self, *args: str, **kw) -> subprocess.CompletedProcess:
        cmd = [str(a) for a in args]
        if self.user:
            cmd = ["runuser", "-u", self.user, "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, cwd=self.base, **kw)

    def start(self) -> None:
        init = self._run(self.bindir / "initdb", "-D", self.data, "-U", "esps", "-A", "trust",
                         "-E", "UTF8", "--no-locale", "--no-sync")
        if init.returncode:
            raise RuntimeError(f"initdb failed: {init.stderr}")
        hba = ("local all esps trust\nlocal all clerk trust\n"
               "local all all scram-sha-256\n")
        (self.data / "pg_hba.conf").write_text(hba)
        opts = (f"-c listen_addresses='' -k {self.socket_dir} -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=60")
        started = self._run(self.bindir / "pg_ctl", "-D", self.data, "-o", opts, "-l",
                            self.base / "server.log", "-w", "-t", "60", "start")
        if started.returncode:
            log = (self.base / "server.log").read_text(errors="replace")
            raise RuntimeError(f"pg_ctl start failed: {started.stderr}\n{log}")
        self.admin(
            "CREATE ROLE clerk LOGIN",
            f"CREATE ROLE advisor LOGIN PASSWORD '{ADVISOR_PASSWORD}'",
        )

    def stop(self) -> None:
        self._run(self.bindir / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")

    def remove(self) -> None:
        shutil.rmtree(self.base, ignore_errors=True)

    def url(self, database: str, user: str = "clerk", password: str | None = None) -> str:
        auth = f"{user}:{password}" if password is not None else user
        return f"postgresql://{auth}@/{database}?host={self.socket_dir}"

    def admin(self, *statements: str) -> None:
        import psycopg

        with psycopg.connect(self.url("postgres", "esps"), autocommit=True) as conn:
            for sql in statements:
                conn.execute(sql)

    def new_database(self, owner: str = "clerk") -> str:
        name = "reg_" + uuid.uuid4().hex[:12]
        self.admin(f"CREATE DATABASE {name} OWNER {owner}")
        if owner == "advisor":
            self.admin(f"GRANT ALL ON DATABASE {name} TO advisor")
        return name


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Cluster]:
    """A running PostgreSQL for the whole session (per xdist worker)."""
    bindir = find_bin()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed here; "
                    ".ci/run installs the Debian package postgresql-15")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed: pip install -e '.[test,postgres]'")
    cluster = Cluster(bindir)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
        cluster.remove()


ENGINES = ("sqlite", "postgresql")


@pytest.fixture(params=ENGINES)
def register_at(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new, empty register location on each engine: a SQLite file or a PostgreSQL URL."""
    if request.param == "sqlite":
        return str(tmp_path / "esps.db")
    cluster: Cluster = request.getfixturevalue("postgres_cluster")
    return cluster.url(cluster.new_database())
