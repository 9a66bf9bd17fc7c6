"""The suite's real PostgreSQL, found in this order:

1. `LUNA_DB_TEST_PG_DSN` (a `postgresql://user:pw@host:port/db` URL), when set;
2. a testcontainers PostgresContainer, when a Docker engine answers;
3. a throwaway cluster from the local binaries (`tests.pgcluster`),
   of the PostgreSQL version the environment selects (`LUNA_DB_TEST_PG=12|...|18`
   or `LUNA_DB_TEST_PG_BIN`, see tests/pgbinaries.py; default 15).

Each test that writes gets its own fresh database (`fresh_db`), or a copy of
a template at a schema's head (`head_db`). Under pytest-xdist each worker
process has its own session, hence its own cluster: tests on different
workers share nothing. The helpers live in tests/pghelpers.py and are
re-exported here.
"""

from __future__ import annotations

import os
import uuid
from types import SimpleNamespace
from urllib.parse import unquote, urlsplit

import pytest

from tests.pgbinaries import select_binaries
from tests.pgcluster import LocalCluster, find_pg_bin
from tests.pghelpers import (  # noqa: F401  (re-exported for the tests)
    TEST_PASSWORD,
    HeadTemplates,
    PgServer,
    create_database,
    drop_database,
    engine,
    fetch_all,
    pg_dump_schema,
    wait_for_replay,
    wait_until_replicated,
    wait_until_running,
    wait_until_waiting_on_a_lock,
)


def pytest_configure(config):
    config.addinivalue_line("markers", "oracle: needs a live Oracle server (LUNA_DB_TEST_ORACLE_DSN or Docker)")
    config.addinivalue_line("markers", "alembic: pytest-alembic's built-in tests")
    config.addinivalue_line(
        "markers", "pgversions: also run on every supported PostgreSQL major (`make test-versions`)")
    config.addinivalue_line(
        "markers", "pgedges: a slow pgversions test that reads nothing the majors differ in (every one"
        " of 12 to 18 passed it): `make test-versions` runs it on the oldest and newest majors only (PG_EDGES)")


def pytest_report_header(config):
    """Which server the session runs on, so a CI log says which version was tested."""
    if os.environ.get("LUNA_DB_TEST_PG_DSN"):
        return "postgresql: LUNA_DB_TEST_PG_DSN"
    try:
        return f"postgresql: {select_binaries()}"
    except RuntimeError as error:
        return f"postgresql: {error}"


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
        # The local binaries' major, so that their pg_dump (never older than the server) fits.
        try:
            major = select_binaries().major
        except RuntimeError:
            major = 16
        container = PostgresContainer(f"postgres:{major}", username="luna", password=TEST_PASSWORD)
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
    # A version asked for by name runs from its binaries, never from a container.
    asked = any(os.environ.get(name) for name in ("LUNA_DB_TEST_PG", "LUNA_DB_TEST_PG_BIN"))
    server, container = (None, None) if asked else _from_docker()
    if server:
        try:
            yield server
        finally:
            container.stop()
        return
    cluster = LocalCluster(user="luna", password=TEST_PASSWORD, bin_dir=select_binaries().bin_dir).start()
    try:
        yield PgServer.of(cluster, "local")
    finally:
        cluster.destroy()


@pytest.fixture(scope="session")
def head_templates(pg_server):
    """Per session (so per xdist worker): one template database per schema at
    its head, built once by `luna-db create`, and its schema dump."""
    templates = HeadTemplates(pg_server)
    try:
        yield templates
    finally:
        templates.drop_all()


@pytest.fixture
def head_db(pg_server, head_templates):
    """`head_db(schema)`: a new database at the schema's head (a copy of the
    session's template, CREATE DATABASE ... TEMPLATE), dropped after the test;
    for tests that start at head rather than test how it is reached."""
    made: list[str] = []

    def make(schema: str) -> SimpleNamespace:
        name = f"lt_{uuid.uuid4().hex[:12]}"
        made.append(name)
        head_templates.copy(schema, name)
        return SimpleNamespace(name=name, dsn=pg_server.dsn(name), url=pg_server.url(name), server=pg_server)

    try:
        yield make
    finally:
        for name in made:
            drop_database(pg_server, name)


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
    cluster = LocalCluster(user="luna", password=TEST_PASSWORD, bin_dir=select_binaries().bin_dir).start()
    try:
        yield cluster
    finally:
        cluster.destroy()


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the xdist_group marks
def pytest_collection_modifyitems(config, items):
    for item in items:
        # By marker, not keyword: a parameter id such as [oracle] is a keyword too. A user
        # property travels in the reports, to the xdist controller that writes the summary.
        if item.get_closest_marker("oracle"):
            item.user_properties.append(("marker", "oracle"))
        # The standby replays every later write of its worker's primary: one worker has it.
        if "pg_standby" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("standby"))


def pytest_terminal_summary(terminalreporter):
    """One line on the live Oracle tests, so a CI log says whether they ran."""
    ran, skipped, reasons = set(), set(), set()
    for reports in terminalreporter.stats.values():
        for report in reports:
            if not isinstance(report, pytest.TestReport):  # e.g. deselected items
                continue
            if not any(tuple(p) == ("marker", "oracle") for p in report.user_properties):
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
