"""Fixtures of the live Oracle tests; see tests/oraclehelpers.py for how a server is found."""

from __future__ import annotations

import pytest

from tests.oraclehelpers import NO_ORACLE, create_schema, drop_schema, server_from_docker, server_from_environment


@pytest.fixture(scope="session")
def oracle_server():
    server = server_from_environment()
    if server is not None:
        yield server
        return
    server, container = server_from_docker()
    if server is None:
        pytest.skip(NO_ORACLE)
    yield server
    container.stop()


@pytest.fixture
def oracle_db(oracle_server):
    """An empty Oracle schema (a user of its own) for one test."""
    schema = create_schema(oracle_server)
    yield schema
    drop_schema(schema)
