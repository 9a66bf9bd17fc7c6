"""The suite's real PostgreSQL, found in this order:

1. `LUNA_DB_TEST_PG_DSN` (a `postgresql://user:pw@host:port/db` URL), when set;
2. a testcontainers PostgresContainer, when a Docker engine answers;
3. a throwaway cluster from the local binaries (`tests.pgcluster`).

Each test that writes gets its own fresh database (`fresh_db`). The helpers
live in tests/pghelpers.py and are re-exported here.
"""

from __future__ import annotations

import os
import uuid
from types import SimpleNamespace
from urllib.parse import unquote, urlsplit

import pytest

from tests.pgcluster import LocalCluster, find_pg_bin
from tests.pghelpers import (  # noqa: F401  (re-exported for the tests)
    TEST_PASSWORD,
    PgServer,
    create_database,
    drop_database,
    fetch_all,
    pg_dump_schema,
    wait_for_replay,
    wait_until_replicated,
    wait_until_waiting_on_a_lock,
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
        unquote(parts.password or ""), "env", admin_database=unquote(parts.path.lstrip("/")) or "postgres",
    )


def _from_docker():
    """A PostgresContainer, or (None, None) when no Docker engine answers."""
    try:
        from testcontainers.community.postgres import PostgresContainer
    except ImportError:
        try:
            from testcontainers.postgres import PostgresContainer
        except ImportError:
            return None, None
    container = None
    try:
        # Without an engine the constructor itself raises docker.errors.DockerException.
        container = PostgresContainer("postgres:16", username="luna", password=TEST_PASSWORD)
        container.start()
        server = PgServer(
            container.get_container_host_ip(), int(container.get_exposed_port(5432)), "luna",
            TEST_PASSWORD, "docker",
        )
    except Exception:
        if container is not None:
            try:
                container.stop()
            except Exception:
                pass
        return None, None
    return server, container


@pytest.fixture(scope="session")
def pg_server():
    """The session's PostgreSQL server, as a PgServer."""
    server = _from_environment()
    if server:
        yield server
        return
    server, container = _from_docker()
    if server:
        try:
            yield server
        finally:
            container.stop()
        return
    cluster = LocalCluster(user="luna", password=TEST_PASSWORD).start()
    try:
        yield PgServer.of(cluster, "local")
    finally:
        cluster.destroy()


@pytest.fixture
def fresh_db(pg_server):
    """A new empty database (.name, .dsn, .url, .server), dropped after the test."""
    name = f"lt_{uuid.uuid4().hex[:12]}"
    create_database(pg_server, name)
    try:
        yield SimpleNamespace(name=name, dsn=pg_server.dsn(name), url=pg_server.url(name), server=pg_server)
    finally:
        drop_database(pg_server, name)


@pytest.fixture
def second_db(pg_server):
    """Another empty database beside `fresh_db` (its name), for side-by-side comparison."""
    name = f"lt_{uuid.uuid4().hex[:12]}"
    create_database(pg_server, name)
    try:
        yield name
    finally:
        drop_database(pg_server, name)


@pytest.fixture(scope="session")
def pg_standby(pg_server):
    """A hot standby of the session's primary (local binaries only).

    Databases created on the primary show up after replay: wait_until_replicated().
    """
    if pg_server.kind != "local":
        pytest.skip(f"hot standby needs the local PostgreSQL binaries (server from {pg_server.kind})")
    standby = pg_server.cluster.add_standby()
    try:
        yield PgServer.of(standby, "standby")
    finally:
        pg_server.cluster.standbys.remove(standby)
        standby.destroy()


@pytest.fixture
def private_cluster():
    """A LocalCluster of the test's own, which the test may stop and start."""
    try:
        find_pg_bin()
    except RuntimeError as error:
        pytest.skip(f"a private server needs the local PostgreSQL binaries: {error}")
    cluster = LocalCluster(user="luna", password=TEST_PASSWORD).start()
    try:
        yield cluster
    finally:
        cluster.destroy()


_ORACLE_TESTS: set[str] = set()


def pytest_collection_modifyitems(config, items):
    # By marker, not keyword: a parameter id such as [oracle] is a keyword too.
    _ORACLE_TESTS.update(item.nodeid for item in items if item.get_closest_marker("oracle"))


def pytest_terminal_summary(terminalreporter):
    """One line on the live Oracle tests, so a CI log says whether they ran."""
    ran, skipped, reasons = set(), set(), set()
    for reports in terminalreporter.stats.values():
        for report in reports:
            if getattr(report, "nodeid", None) not in _ORACLE_TESTS:
                continue
            if report.skipped:
                skipped.add(report.nodeid)
                if isinstance(report.longrepr, tuple):
                    reasons.add(report.longrepr[2].removeprefix("Skipped: "))
            elif report.when == "call":
                ran.add(report.nodeid)
    if ran or skipped:
        why = f" ({'; '.join(sorted(reasons))})" if reasons else ""
        terminalreporter.write_line(f"oracle tests: {len(ran)} ran, {len(skipped - ran)} skipped{why}")
