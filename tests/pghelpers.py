"""Helpers for tests against a real PostgreSQL (the fixtures are in conftest.py).

Import them from here (`from tests.pghelpers import pg_dump_schema`);
conftest re-exports them for the tests that import them from there.
"""

from __future__ import annotations

import queue
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field

import psycopg2
import pytest
import sqlalchemy as sa

from tests.pgcluster import LocalCluster, client_environment, find_pg_bin, luna_dsn

# Contains % on purpose: passwords must survive every layer, and never show.
TEST_PASSWORD = "Sup3r-Secret%pw"


@dataclass(frozen=True)
class PgServer:
    """Where the tests' server is, and how to reach it."""

    host: str
    port: int
    user: str
    password: str = field(repr=False)
    kind: str  # "env", "docker", "local" or "standby"
    admin_database: str = "postgres"  # where CREATE/DROP DATABASE run
    cluster: LocalCluster | None = field(default=None, compare=False, repr=False)

    @classmethod
    def of(cls, cluster: LocalCluster, kind: str) -> "PgServer":
        return cls(cluster.host, cluster.port, cluster.user, cluster.password, kind, cluster=cluster)

    @property
    def bin_dir(self):
        """The directory of this server's own client programs (pg_dump), when known."""
        return self.cluster.bin_dir if self.cluster is not None else None

    def dsn(self, database: str = "postgres") -> str:
        """The LUNA DSN `user:pw@host:port/database` (percent-encoded)."""
        return luna_dsn(self.user, self.password, self.host, self.port, database)

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL (psycopg2 driver)."""
        return "postgresql+psycopg2://" + self.dsn(database)

    def connect(self, database: str = "postgres"):
        return psycopg2.connect(
            host=self.host, port=self.port, user=self.user, password=self.password,
            dbname=database, connect_timeout=10,
        )


def _administer(server: PgServer, statement: str) -> None:
    """Run a statement that cannot run in a transaction (CREATE/DROP DATABASE)."""
    admin = server.connect(server.admin_database)
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(statement)
    finally:
        admin.close()


def create_database(server: PgServer, name: str) -> None:
    _administer(server, f'CREATE DATABASE "{name}"')


def drop_database(server: PgServer, name: str) -> None:
    if server_major(server) >= 13:
        _administer(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        return
    # PostgreSQL 12 has no DROP DATABASE ... WITH (FORCE): end the sessions first.
    _administer(server, f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
                        " AND pid <> pg_backend_pid()")
    _administer(server, f'DROP DATABASE IF EXISTS "{name}"')


def fetch_all(server, database: str, sql: str, params=None) -> list[tuple]:
    """The rows of one statement (autocommit, so a write sticks); [] when it returns none."""
    connection = psycopg2.connect(
        host=server.host, port=server.port, user=server.user, password=server.password,
        dbname=database, connect_timeout=10,
    )
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else []
    finally:
        connection.close()


def engine(db):
    """A SQLAlchemy Engine on a test database (`fresh_db`, `head_db`); no pool: each connect is a session of its own."""
    return sa.create_engine(db.url, poolclass=sa.pool.NullPool)


def server_major(server) -> int:
    """The server's major version (15, 17, 18, ...)."""
    return int(fetch_all(server, server.admin_database, "SHOW server_version_num")[0][0]) // 10000


def wait_until_replicated(standby: PgServer, database: str, timeout: float = 15) -> None:
    """Wait until a database created on the primary can be opened on the standby."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            standby.connect(database).close()
            return
        except psycopg2.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def wait_for_replay(primary: PgServer, standby: PgServer, timeout: float = 15) -> None:
    """Wait until the standby has replayed everything the primary has written so far."""
    # The insert position, not pg_current_wal_lsn() (the write position): with
    # synchronous_commit=off a commit can be in the WAL buffers, not yet written.
    (lsn,) = fetch_all(primary, primary.admin_database, "SELECT pg_current_wal_insert_lsn()::text")[0]
    deadline = time.monotonic() + timeout
    while not fetch_all(standby, "postgres", "SELECT pg_wal_lsn_diff(pg_last_wal_replay_lsn(), %s) >= 0", (lsn,))[0][0]:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the standby did not replay up to {lsn} in {timeout}s")
        time.sleep(0.05)


def wait_until_running(server, database: str, pid: int, timeout: float = 30) -> None:
    """Wait until the backend `pid` runs a statement (`active` in pg_stat_activity)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if fetch_all(server, database, "SELECT 1 FROM pg_stat_activity WHERE pid = %s AND state = 'active'", (pid,)):
            return
        time.sleep(0.02)
    pytest.fail(f"backend {pid} never ran its statement")


def wait_until_waiting_on_a_lock(server, database: str = "postgres", timeout: float = 30) -> None:
    """Wait until a luna-db session on `server` (a PgServer or LocalCluster) waits on a lock."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        waiting = fetch_all(
            server, database,
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'luna-db' AND wait_event_type = 'Lock'",
        )[0][0]
        if waiting:
            return
        time.sleep(0.1)
    pytest.fail("luna-db never waited on the lock")


def wait_until_a_lock_wait_lasted(server, database: str, seconds: float, timeout: float = 60) -> None:
    """Wait until a luna-db statement on `server` has waited on a lock for `seconds`
    (by the server's clock, from the statement's start)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        waited = fetch_all(
            server, database,
            "SELECT max(extract(epoch FROM clock_timestamp() - query_start)) FROM pg_stat_activity"
            " WHERE application_name = 'luna-db' AND wait_event_type = 'Lock'",
        )[0][0]
        if waited is not None and waited >= seconds:
            return
        time.sleep(0.1 if waited is None else min(0.5, max(0.02, seconds - float(waited))))
    pytest.fail(f"no luna-db statement waited on a lock for {seconds}s")


# pg_dump's lines that differ between two dumps of the same schema, or say nothing about it
# (\restrict carries a random key since 15.14).
_NOISE = ("--", "SET ", "SELECT pg_catalog.set_config", "\\restrict", "\\unrestrict")


def pg_dump_schema(server, database: str) -> str:
    """`pg_dump --schema-only` without its noise, so two databases' dumps compare with ==.

    pg_dump is a client: it runs as any OS user. It refuses a server of a newer
    major, and its output changes between versions, so it is the server's own:
    from the cluster's bin directory, else from the selected binaries.
    """
    bin_dir = getattr(server, "bin_dir", None)
    try:
        pg_dump = str((bin_dir or find_pg_bin()) / "pg_dump")
    except RuntimeError:
        pg_dump = shutil.which("pg_dump") or "pg_dump"
    env = client_environment(server.password)
    dump = subprocess.run(
        [pg_dump, "--schema-only", "--no-owner", "--no-privileges", "-h", server.host,
         "-p", str(server.port), "-U", server.user, "-d", database],
        env=env, capture_output=True, text=True,
    )
    if dump.returncode != 0:
        raise RuntimeError(f"pg_dump of {database} failed: {dump.stderr.strip()}")
    return "\n".join(line for line in dump.stdout.splitlines() if line.strip() and not line.startswith(_NOISE))


class HeadTemplates:
    """Template databases at each schema's head, built once by `luna-db create`
    and copied per test with CREATE DATABASE ... TEMPLATE (a file copy, far
    cheaper than running the DDL again), with their schema dumps."""

    def __init__(self, server: PgServer):
        self.server = server
        self._names: dict[str, str] = {}
        self._dumps: dict[str, str] = {}

    def template(self, schema: str) -> str:
        if schema not in self._names:
            from tests.clirunner import invoke  # the CLI, as in the tests

            name = f"lt_head_{schema}"
            drop_database(self.server, name)
            create_database(self.server, name)
            self._names[schema] = name
            result = invoke("create", "--schema", schema, "--dsn", self.server.dsn(name))
            if result.exit_code != 0:
                raise RuntimeError(f"luna-db create of the {schema} template failed: {result.stderr}")
        return self._names[schema]

    def copy(self, schema: str, name: str) -> None:
        _administer(self.server, f'CREATE DATABASE "{name}" TEMPLATE "{self.template(schema)}"')

    def dump(self, schema: str) -> str:
        """pg_dump_schema of a database that `luna-db create` built: the shape every
        way to head must end in."""
        if schema not in self._dumps:
            self._dumps[schema] = pg_dump_schema(self.server, self.template(schema))
        return self._dumps[schema]

    def drop_all(self) -> None:
        for name in self._names.values():
            drop_database(self.server, name)
        self._names.clear()


def read_until(stream, text: str, timeout: float = 30) -> str:
    """Read a running process's pipe line by line until a line holds `text`;
    returns what was read (the rest stays in the pipe). Fails after `timeout`."""
    lines: queue.Queue = queue.Queue()

    def reader():
        for line in iter(stream.readline, ""):
            lines.put(line)
            if text in line:
                return
        lines.put(None)  # end of the stream

    threading.Thread(target=reader, daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while True:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            pytest.fail(f"{text!r} not seen in {timeout}s; read: {''.join(seen)!r}")
        if line is None:
            pytest.fail(f"the stream ended before {text!r}; read: {''.join(seen)!r}")
        seen.append(line)
        if text in line:
            return "".join(seen)
