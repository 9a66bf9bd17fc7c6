"""Fixtures of the live Oracle tests: the session's server and a schema per test.

See tests/oraclehelpers.py for where the server comes from. Without
`LUNA_DB_TEST_ORACLE_DSN` and without a Docker engine every test here is
skipped, quickly: the engine is pinged with a short timeout before any
container is tried.
"""

from __future__ import annotations

import os

import pytest

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
