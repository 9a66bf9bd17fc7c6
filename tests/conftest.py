"""The suite's real PostgreSQL, found in this order:

1. `LUNA_DB_TEST_PG_DSN` (a `postgresql://user:pw@host:port/db` URL), when set;
2. a testcontainers PostgresContainer, when a Docker engine answers;
3. a throwaway cluster from the local binaries (`luna_db_tools.pgcluster`).

Each test that writes gets its own fresh database (`fresh_db`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from types import SimpleNamespace
from urllib.parse import unquote, urlsplit

import psycopg2
import pytest

from luna_db_tools.pgcluster import LocalCluster, find_pg_bin, luna_dsn

# Contains % on purpose: passwords must survive every layer, and never show.
TEST_PASSWORD = "Sup3r-Secret%pw"


@dataclass(frozen=True)
class PgServer:
    host: str
    port: int
    user: str
    password: str = field(repr=False)
    kind: str
    cluster: LocalCluster | None = field(default=None, compare=False, repr=False)

    def dsn(self, database: str = "postgres") -> str:
        """LUNA DSN form."""
        return luna_dsn(self.user, self.password, self.host, self.port, database)

    def url(self, database: str = "postgres") -> str:
        return "postgresql+psycopg2://" + self.dsn(database)

    def connect(self, database: str = "postgres"):
        return psycopg2.connect(
            host=self.host, port=self.port, user=self.user, password=self.password,
            dbname=database, connect_timeout=10,
        )


def pytest_configure(config):
    config.addinivalue_line("markers", "oracle: needs a live Oracle server (LUNA_DB_TEST_ORACLE_DSN or Docker)")
    config.addinivalue_line("markers", "alembic: pytest-alembic's built-in tests")


def _from_environment() -> PgServer | None:
    url = os.environ.get("LUNA_DB_TEST_PG_DSN")
    if not url:
        return None
    parts = urlsplit(url)
    return PgServer(
        parts.hostname or "127.0.0.1", parts.port or 5432, unquote(parts.username or "postgres"),
        unquote(parts.password or ""), "env",
    )


def _from_docker():
    try:
        try:
            from testcontainers.community.postgres import PostgresContainer
        except ImportError:
            from testcontainers.postgres import PostgresContainer

        container = PostgresContainer("postgres:16", username="luna", password=TEST_PASSWORD)
        container.start()
    except Exception:  # no engine: the constructor raises DockerException
        return None, None
    server = PgServer(
        container.get_container_host_ip(), int(container.get_exposed_port(5432)), "luna",
        TEST_PASSWORD, "docker",
    )
    return server, container


@pytest.fixture(scope="session")
def pg_server():
    server = _from_environment()
    if server:
        yield server
        return
    server, container = _from_docker()
    if server:
        yield server
        container.stop()
        return
    cluster = LocalCluster(user="luna", password=TEST_PASSWORD).start()
    try:
        yield PgServer(cluster.host, cluster.port, cluster.user, cluster.password, "local", cluster)
    finally:
        cluster.destroy()


def _administer(server: PgServer, statement: str) -> None:
    """Run a statement that cannot run in a transaction (CREATE/DROP DATABASE)."""
    admin = server.connect()
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(statement)
    finally:
        admin.close()


def create_database(server: PgServer, name: str) -> None:
    _administer(server, f'CREATE DATABASE "{name}"')


def drop_database(server: PgServer, name: str) -> None:
    _administer(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def fresh_db(pg_server):
    """A new empty database, dropped after the test."""
    name = f"lt_{uuid.uuid4().hex[:12]}"
    create_database(pg_server, name)
    yield SimpleNamespace(name=name, dsn=pg_server.dsn(name), url=pg_server.url(name), server=pg_server)
    drop_database(pg_server, name)


@pytest.fixture
def second_db(pg_server):
    """Another empty database beside `fresh_db`, for side-by-side comparison."""
    name = f"lt_{uuid.uuid4().hex[:12]}"
    create_database(pg_server, name)
    yield name
    drop_database(pg_server, name)


@pytest.fixture(scope="session")
def pg_standby(pg_server):
    """A hot standby of the session's primary (local binaries only)."""
    if pg_server.kind != "local":
        pytest.skip(f"a hot standby needs the local PostgreSQL binaries (server from {pg_server.kind})")
    standby = pg_server.cluster.add_standby()
    return PgServer(standby.host, standby.port, standby.user, standby.password, "standby", standby)


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


@pytest.fixture
def private_cluster():
    """A server of the test's own, which the test may stop and start."""
    try:
        find_pg_bin()
    except RuntimeError as error:
        pytest.skip(str(error))
    cluster = LocalCluster(user="luna", password=TEST_PASSWORD).start()
    yield cluster
    cluster.destroy()


def pg_dump_schema(server: PgServer, database: str) -> str:
    """`pg_dump --schema-only`, without the noise that differs between two dumps."""
    try:
        pg_dump = str(find_pg_bin() / "pg_dump")  # the server's own version
    except RuntimeError:
        pg_dump = shutil.which("pg_dump") or "pg_dump"
    dump = subprocess.run(
        [pg_dump, "--schema-only", "--no-owner", "--no-privileges", "-h", server.host,
         "-p", str(server.port), "-U", server.user, database],
        env={**os.environ, "PGPASSWORD": server.password}, capture_output=True, text=True, check=True,
    ).stdout
    kept = [
        line for line in dump.splitlines()
        if line.strip() and not line.startswith("--") and not line.startswith("SET ")
        and not line.startswith("SELECT pg_catalog.set_config")
        and not line.startswith("\\restrict") and not line.startswith("\\unrestrict")
    ]
    return "\n".join(kept)


def wait_until_waiting_on_a_lock(server, database: str = "postgres", timeout: float = 30) -> None:
    """Wait until a luna-db session on `server` (a PgServer or LocalCluster) waits on a lock."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        connection = psycopg2.connect(
            host=server.host, port=server.port, user=server.user, password=server.password, dbname=database,
        )
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE application_name = 'luna-db' AND wait_event_type = 'Lock'"
                )
                if cursor.fetchone()[0]:
                    return
        finally:
            connection.close()
        time.sleep(0.1)
    pytest.fail("luna-db never waited on the lock")
