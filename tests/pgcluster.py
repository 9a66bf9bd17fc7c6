"""A throwaway PostgreSQL cluster from the local server binaries.

`make demo`, the test suite and the benchmarks need a real server, and must
neither depend on one being installed and running nor touch one that is:
this starts a private server in a temporary directory on a free 127.0.0.1
port, optionally with a hot standby (`pg_basebackup -R`), and removes it all
at the end. The binaries refuse to run as root, so as root they run as the
`postgres` OS user.
"""

from __future__ import annotations

import atexit
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import psycopg2

from tests.pgbinaries import select_binaries

# Clusters started and not yet destroyed, for the atexit clean-up.
_alive: list["LocalCluster"] = []

# Durability is pointless for a throwaway server, and costs most of its time.
_SETTINGS = (
    "listen_addresses=127.0.0.1", "fsync=off", "synchronous_commit=off", "full_page_writes=off",
    "max_connections=100", "wal_level=replica", "max_wal_senders=5",
)
_HBA_LINES = (
    "host all all 127.0.0.1/32 scram-sha-256",
    "host replication all 127.0.0.1/32 scram-sha-256",
)


def find_pg_bin() -> Path:
    """The server binaries' directory the environment selects (see pgbinaries:
    LUNA_DB_TEST_PG_BIN or PG_BIN, LUNA_DB_TEST_PG=12|...|18, else the system's)."""
    return select_binaries().bin_dir


def client_environment(password: str | None = None) -> dict[str, str]:
    """The environment of a PostgreSQL program we run: the caller's PG* variables (PGHOST,
    PGSSLMODE, ...) must not steer it; a password travels here, never in argv."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    if password is not None:
        env["PGPASSWORD"] = password
    return env


def luna_dsn(user: str, password: str, host: str, port: int, database: str) -> str:
    """`user:password@host:port/database`, percent-encoded: a LUNA DSN, and
    the tail of a SQLAlchemy URL."""
    return f"{quote(user, safe='')}:{quote(password, safe='')}@{host}:{port}/{quote(database, safe='')}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LocalCluster:
    """One throwaway PostgreSQL server (a primary, or a hot standby of one)."""

    def __init__(self, user: str = "luna", password: str = "luna", port: int | None = None,
                 bin_dir: Path | str | None = None):
        self.user = user
        self.password = password
        self.host = "127.0.0.1"
        self.port = port or 0
        # Absolute: the binaries run with the cluster's own directory as their cwd.
        self.bin_dir = Path(bin_dir).resolve() if bin_dir else find_pg_bin()
        self.base_dir: Path | None = None
        self.standbys: list[LocalCluster] = []
        self._is_standby = False
        self._run_as = "postgres" if os.geteuid() == 0 else None

    def __repr__(self) -> str:  # never the password
        return f"<LocalCluster {self.user}@{self.host}:{self.port} {self.base_dir}>"

    @property
    def data_dir(self) -> Path:
        if self.base_dir is None:
            raise RuntimeError("the cluster was not started (or was destroyed)")
        return self.base_dir / "data"

    def dsn(self, database: str = "postgres") -> str:
        """The LUNA DSN of a database on this server."""
        return luna_dsn(self.user, self.password, self.host, self.port, database)

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL of a database on this server."""
        return "postgresql+psycopg2://" + self.dsn(database)

    # --- life cycle ---------------------------------------------------------------

    def start(self) -> "LocalCluster":
        """Create the cluster and start it."""
        if self.base_dir is not None:
            raise RuntimeError(f"{self!r} was already started")
        self._make_base_dir()
        try:
            self._initdb()
            if self.port:
                self.start_again()
            else:
                self._start_on_a_free_port()
        except BaseException:
            self.destroy()
            raise
        return self

    def _start_on_a_free_port(self, attempts: int = 3) -> None:
        # Another process (a second xdist worker's server) may take the free port
        # between free_port() and the server's bind: then try another one.
        for attempt in range(attempts):
            self.port = free_port()
            try:
                self.start_again()
                return
            except RuntimeError as error:
                if "already in use" not in str(error) or attempt == attempts - 1:
                    raise

    def start_again(self) -> None:
        """Start the (stopped) server again, on its port, with its data."""
        settings = [f"port={self.port}", f"unix_socket_directories={self.base_dir}", *_SETTINGS]
        if self._is_standby:
            settings.append("hot_standby=on")
        log_file = self.base_dir / "server.log"
        try:
            self._run("pg_ctl", "-w", "-t", "60", "-D", str(self.data_dir), "-l", str(log_file),
                      "-o", " ".join(f"-c {s}" for s in settings), "start")
            self._wait_until_ready()
        except RuntimeError as error:
            raise RuntimeError(f"{error}\nserver log tail:\n{self.log_tail()}") from None

    def restart(self) -> None:
        """Stop the server if it runs, and start it again on the same port and data."""
        self.stop()
        self.start_again()

    def stop(self, mode: str = "fast") -> None:
        """Stop the server; nothing happens when it is not running."""
        if self.is_running():
            self._run("pg_ctl", "-w", "-t", "60", "-D", str(self.data_dir), "-m", mode, "stop", check=False)

    def is_running(self) -> bool:
        if self.base_dir is None or not self.data_dir.is_dir():
            return False
        # `pg_ctl status` checks the pid, where a killed server leaves its pid file behind.
        return self._run("pg_ctl", "status", "-D", str(self.data_dir), check=False).returncode == 0

    def destroy(self) -> None:
        """Stop the server (and its standbys) and remove all its files."""
        for standby in self.standbys:
            standby.destroy()
        self.standbys.clear()
        if self.base_dir is not None:
            self.stop("immediate")  # the data is thrown away: no checkpoint needed
            shutil.rmtree(self.base_dir, ignore_errors=True)
            self.base_dir = None
        if self in _alive:
            _alive.remove(self)

    def __enter__(self) -> "LocalCluster":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.destroy()

    def add_standby(self) -> "LocalCluster":
        """A hot standby streaming from this server, on its own port; destroyed with it."""
        standby = LocalCluster(self.user, self.password, bin_dir=self.bin_dir)
        standby._is_standby = True
        self.standbys.append(standby)
        try:
            standby._make_base_dir()
            standby._run(
                # A fast checkpoint (the default spreads it over seconds) and no flush to disk.
                "pg_basebackup", "-D", str(standby.data_dir), "-R", "-X", "stream", "-c", "fast", "--no-sync",
                "-h", self.host, "-p", str(self.port), "-U", self.user, password=self.password,
            )
            standby._write_primary_conninfo(self)
            standby._start_on_a_free_port()
        except BaseException:
            self.standbys.remove(standby)
            standby.destroy()
            raise
        return standby

    def _write_primary_conninfo(self, primary: "LocalCluster") -> None:
        """primary_conninfo with only the options every supported server's libpq knows.

        pg_basebackup -R writes every option its own libpq has (sslsni from
        14, channel_binding and ssl_min_protocol_version from 13); the
        client programs paired with an older npm server are newer, and the
        older server's walreceiver refuses an option it does not know.
        """
        def value(text: str) -> str:
            return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"

        conninfo = " ".join(f"{key}={value(str(val))}" for key, val in (
            ("host", primary.host), ("port", primary.port), ("user", primary.user), ("password", primary.password))
            if val is not None)
        auto_conf = self.data_dir / "postgresql.auto.conf"
        kept = [line for line in auto_conf.read_text().splitlines() if not line.startswith("primary_conninfo")]
        kept.append("primary_conninfo = '" + conninfo.replace("'", "''") + "'")
        auto_conf.write_text("\n".join(kept) + "\n")

    def log_tail(self, chars: int = 3000) -> str:
        log_file = self.base_dir / "server.log" if self.base_dir else None
        return log_file.read_text(errors="replace")[-chars:] if log_file and log_file.exists() else "(no log)"

    # --- helpers ------------------------------------------------------------------

    def _initdb(self) -> None:
        # initdb reads the password from a file; it exists only while initdb runs.
        password_file = self.base_dir / "pwfile"
        descriptor = os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as stream:
            stream.write(self.password + "\n")
        self._own(password_file)
        try:
            # --no-sync: flushing the new files to disk costs seconds, and the data is thrown away.
            self._run("initdb", "-D", str(self.data_dir), "-U", self.user, "--auth=scram-sha-256",
                      f"--pwfile={password_file}", "-E", "UTF8", "--locale=C", "--no-sync")
        finally:
            password_file.unlink()
        # initdb's own pg_hba.conf has these lines today; make sure of it.
        hba = self.data_dir / "pg_hba.conf"
        present = {" ".join(line.split()) for line in hba.read_text().splitlines()}
        missing = [line for line in _HBA_LINES if line not in present]
        if missing:
            with open(hba, "a") as stream:
                stream.write("".join(f"{line}\n" for line in missing))

    def _wait_until_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                connection = psycopg2.connect(host=self.host, port=self.port, user=self.user,
                                              password=self.password, dbname="postgres", connect_timeout=5)
                try:
                    with connection.cursor() as cursor:
                        cursor.execute("SELECT pg_is_in_recovery()")
                        if cursor.fetchone()[0] == self._is_standby:
                            return
                finally:
                    connection.close()
            except psycopg2.OperationalError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"PostgreSQL on port {self.port} did not become ready in {timeout}s")
            time.sleep(0.1)

    def _make_base_dir(self) -> None:
        self.base_dir = Path(tempfile.mkdtemp(prefix="luna-db-pg-"))
        _alive.append(self)
        self._own(self.base_dir)
        os.chmod(self.base_dir, 0o700)

    def _own(self, path: Path) -> None:
        if self._run_as:
            account = pwd.getpwnam(self._run_as)
            os.chown(path, account.pw_uid, account.pw_gid)

    def _run(self, program: str, *args: str, check: bool = True, password: str | None = None):
        env = client_environment(password)
        try:
            completed = subprocess.run(
                [str(self.bin_dir / program), *args], user=self._run_as, env=env, cwd=self.base_dir,
                capture_output=True, text=True,
            )
        except PermissionError:
            # As root they run as `postgres`, which must reach them (a venv under /root it cannot).
            raise RuntimeError(
                f"the {self._run_as or 'current'} OS user cannot run {self.bin_dir / program}:"
                " it needs read and execute access to that directory and every one above it"
            ) from None
        if check and completed.returncode != 0:
            output = (completed.stderr or completed.stdout).strip()[-2000:]
            raise RuntimeError(f"{program} failed (exit {completed.returncode}): {output}")
        return completed


@atexit.register
def _destroy_leftovers() -> None:
    """An aborted run must not leave postgres processes behind."""
    for cluster in list(_alive):
        try:
            cluster.destroy()
        except Exception:
            pass
