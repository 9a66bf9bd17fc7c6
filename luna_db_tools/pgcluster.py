"""A throwaway PostgreSQL cluster from the local server binaries.

`make demo`, the test suite and the benchmarks need a real server and must
not depend on one being installed and running: this starts one in a
temporary directory on a free 127.0.0.1 port, optionally with a hot standby
(`pg_basebackup -R`), and removes it all at the end. The binaries refuse to
run as root, so as root they run as the `postgres` OS user.
"""

from __future__ import annotations

import atexit
import glob
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import quote

_alive: list["LocalCluster"] = []


def find_pg_bin() -> Path:
    """PG_BIN, else the newest /usr/lib/postgresql/*/bin, else where pg_ctl is on PATH."""
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    versions = glob.glob("/usr/lib/postgresql/*/bin/initdb")
    if versions:
        newest = max(versions, key=lambda p: [int(x) for x in re.findall(r"\d+", p)])
        return Path(newest).parent
    pg_ctl = shutil.which("pg_ctl")
    if pg_ctl:
        return Path(pg_ctl).parent
    raise RuntimeError(
        "no PostgreSQL server binaries: install the 'postgresql' package or set PG_BIN"
    )


def luna_dsn(user: str, password: str, host: str, port: int, database: str) -> str:
    """`user:password@host:port/database`, percent-encoded: a LUNA DSN, and
    the tail of a SQLAlchemy URL."""
    return f"{quote(user, safe='')}:{quote(password, safe='')}@{host}:{port}/{quote(database, safe='')}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LocalCluster:
    """One throwaway PostgreSQL server (primary or hot standby)."""

    def __init__(self, user: str = "luna", password: str = "luna", bin_dir: Path | None = None):
        self.user = user
        self.password = password
        self.host = "127.0.0.1"
        self.port = 0
        self.bin_dir = Path(bin_dir) if bin_dir else find_pg_bin()
        self.base_dir: Path | None = None
        self.standbys: list[LocalCluster] = []
        # As root, the server runs as `postgres`; otherwise as ourselves.
        self._run_as = "postgres" if os.geteuid() == 0 else None

    @property
    def data_dir(self) -> Path:
        assert self.base_dir is not None, "the cluster was not started"
        return self.base_dir / "data"

    def dsn(self, database: str = "postgres") -> str:
        """The LUNA DSN of a database on this server."""
        return luna_dsn(self.user, self.password, self.host, self.port, database)

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL of a database on this server."""
        return "postgresql+psycopg2://" + luna_dsn(self.user, self.password, self.host, self.port, database)

    # --- life cycle -----------------------------------------------------------------

    def start(self) -> "LocalCluster":
        self._make_base_dir()
        password_file = self.base_dir / "pwfile"
        password_file.write_text(self.password + "\n")
        self._own(password_file)
        try:
            self._run(
                "initdb", "-D", str(self.data_dir), "-U", self.user, "--auth=scram-sha-256",
                f"--pwfile={password_file}", "-E", "UTF8", "--locale=C",
            )
        finally:
            password_file.unlink()
        with open(self.data_dir / "pg_hba.conf", "a") as hba:
            hba.write("host all all 127.0.0.1/32 scram-sha-256\n")
            hba.write("host replication all 127.0.0.1/32 scram-sha-256\n")
        self.port = free_port()
        self.start_again()
        return self

    def start_again(self) -> None:
        """Start the server on its port with its data (after `stop`)."""
        options = " ".join(
            f"-c {setting}" for setting in (
                f"port={self.port}", "listen_addresses=127.0.0.1",
                f"unix_socket_directories={self.base_dir}", "fsync=off",
                "synchronous_commit=off", "full_page_writes=off", "max_connections=200",
                "wal_level=replica", "max_wal_senders=5", "hot_standby=on",
            )
        )
        log_file = self.base_dir / "server.log"
        try:
            self._run("pg_ctl", "-w", "-t", "60", "-D", str(self.data_dir), "-l", str(log_file), "-o", options, "start")
        except subprocess.CalledProcessError as error:
            tail = log_file.read_text()[-2000:] if log_file.exists() else ""
            raise RuntimeError(f"PostgreSQL did not start on port {self.port}:\n{tail}") from error
        if self not in _alive:
            _alive.append(self)

    def stop(self, mode: str = "fast") -> None:
        if self.base_dir and (self.data_dir / "postmaster.pid").exists():
            self._run("pg_ctl", "-w", "-D", str(self.data_dir), "-m", mode, "stop", check=False)

    def is_running(self) -> bool:
        return bool(self.base_dir) and (self.data_dir / "postmaster.pid").exists()

    def destroy(self) -> None:
        for standby in self.standbys:
            standby.destroy()
        self.standbys.clear()
        self.stop("immediate")
        if self.base_dir:
            shutil.rmtree(self.base_dir, ignore_errors=True)
            self.base_dir = None
        if self in _alive:
            _alive.remove(self)

    def __enter__(self) -> "LocalCluster":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.destroy()

    def add_standby(self) -> "LocalCluster":
        """A hot standby of this server, streaming from it, on its own port."""
        standby = LocalCluster(self.user, self.password, self.bin_dir)
        standby._make_base_dir()
        self._run(
            "pg_basebackup", "-D", str(standby.data_dir), "-R", "-X", "stream",
            "-h", self.host, "-p", str(self.port), "-U", self.user,
            env={**os.environ, "PGPASSWORD": self.password},
        )
        standby.port = free_port()
        standby.start_again()
        self.standbys.append(standby)
        return standby

    # --- helpers ----------------------------------------------------------------------

    def _make_base_dir(self) -> None:
        self.base_dir = Path(tempfile.mkdtemp(prefix="luna-db-pg-"))
        self._own(self.base_dir)
        os.chmod(self.base_dir, 0o700)

    def _own(self, path: Path) -> None:
        if self._run_as:
            account = pwd.getpwnam(self._run_as)
            os.chown(path, account.pw_uid, account.pw_gid)

    def _run(self, program: str, *args: str, check: bool = True, env=None):
        return subprocess.run(
            [str(self.bin_dir / program), *args], user=self._run_as, check=check,
            capture_output=True, text=True, env=env, cwd=self.base_dir,
        )


@atexit.register
def _destroy_leftovers() -> None:
    """An aborted run must not leave postgres processes behind."""
    for cluster in list(_alive):
        cluster.destroy()
