"""Fixtures of the live Oracle tests: the session's server and a schema per test.

See tests/oraclehelpers.py for where the server comes from. Without
`LUNA_DB_TEST_ORACLE_DSN` and without a Docker engine every test here is
skipped, quickly: the engine is pinged with a short timeout before any
container is tried.

A server older than a schema needs (Oracle 11.2: streams needs 12.1) skips
that schema's tests, said per test; test_oracle_versions_live checks that
luna-db refuses it there instead.
"""

from __future__ import annotations

import os

import pytest

from luna_db_tools.db.server_version import OLDEST_ORACLE, oracle_version
from tests.oraclehelpers import (
    NO_SERVER_REASON,
    create_test_user,
    docker_engine_answers,
    drop_test_user,
    server_from_environment,
    start_container,
)

#: CI that provides an Oracle server sets this: then a missing server fails the tests instead of skipping them.
REQUIRED = os.environ.get("LUNA_DB_TEST_ORACLE_REQUIRED", "") not in ("", "0")


def _no_server(reason: str):
    if REQUIRED:
        pytest.fail(f"LUNA_DB_TEST_ORACLE_REQUIRED is set, but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def oracle_server():
    """The session's Oracle server, as an OracleServer with a privileged user."""
    server = server_from_environment()
    if server:
        yield server
        return
    if not docker_engine_answers():
        _no_server(NO_SERVER_REASON)
    try:
        server, container = start_container()
    except Exception as error:
        # An engine that answers but cannot run the image (no network to
        # pull it, too little memory) is no failure of luna-db.
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
        _no_server(f"no Oracle server: Docker answered, but the Oracle container did not start: {first_line}")
    try:
        yield server
    finally:
        container.stop()


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "oracle_schema(name): the test builds that schema; skipped on an Oracle too old for it")


@pytest.fixture(scope="session")
def oracle_release(oracle_server) -> tuple[int, int]:
    """(major, minor) of the session's Oracle server, as the driver reports it: (11, 2), (23, 0)."""
    with oracle_server.connect() as connection:
        return oracle_version(connection.version)


def schema_of(item) -> str | None:
    """The schema a live test builds: its `schema` parameter, or its oracle_schema marker."""
    callspec = getattr(item, "callspec", None)
    if callspec is not None and "schema" in callspec.params:
        return callspec.params["schema"]
    marker = item.get_closest_marker("oracle_schema")
    return marker.args[0] if marker else None


@pytest.fixture(autouse=True)
def _only_schemas_the_server_holds(request):
    """Skip a test of a schema the server is too old for (streams on 11.2); the refusal is tested instead."""
    schema = schema_of(request.node)
    if schema is None or "oracle_db" not in request.fixturenames:
        return
    release = request.getfixturevalue("oracle_release")
    needed = OLDEST_ORACLE[schema]
    if release < needed:
        pytest.skip(
            f"Oracle {release[0]}.{release[1]} is older than the {schema} schema needs"
            f" ({needed[0]}.{needed[1]}): luna-db refuses it (test_oracle_versions_live)")


@pytest.fixture
def oracle_db(oracle_server):
    """A new empty Oracle schema (its own user), dropped with CASCADE after the test.

    An OracleSchema: .dsn (`oracle://user:pw@host:port/?service_name=service`),
    .dsn_without_scheme, .dsn_via(*addresses), .host, .port, .service,
    .address, and .connect() / .fetch_all(sql) / .execute(sql) as the user.
    """
    schema = create_test_user(oracle_server)
    try:
        yield schema
    finally:
        drop_test_user(oracle_server, schema.user)
