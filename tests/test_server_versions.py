"""Servers luna-db supports, and the one-line refusal of one it does not.

A PostgreSQL 11 server (npm's build, fetched by tests.pgbinaries) is real:
luna-db must refuse it at connect, exit 2, before it creates or reads
anything. The Oracle bounds are checked on the version strings python-oracledb
gives (no Oracle server here). The table of PostgreSQL features older majors
lack is checked against the server the suite runs on (each major under
`make test-versions`).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from luna_db_tools.db import server_version
from luna_db_tools.db.statistics import estimate, row_estimates
from tests.clirunner import invoke
from tests.pgbinaries import fetch_npm_server
from tests.pgcluster import LocalCluster
from tests.pghelpers import PgServer, fetch_all


@pytest.mark.parametrize("number, version", [(120022, (12, 22)), (180001, (18, 1)), (90624, (9, 6)), (110022, (11, 22))])
def test_libpq_version_numbers_read_as_major_and_minor(number, version):
    assert server_version.postgresql_version(number) == version


def test_postgresql_12_to_18_and_newer_pass_and_11_is_refused_naming_both():
    for major in (12, 15, 18, 19):
        assert server_version.refusal("postgres", (major, 0), "streams", "pg01:5432") is None
    refused = server_version.refusal("postgres", (11, 22), None, "pg01:5432")
    assert str(refused) == ("pg01:5432 runs PostgreSQL 11.22: luna-db supports PostgreSQL 12 to 18;"
                            " upgrade the server first")
    assert refused.exit_code == 2


@pytest.mark.parametrize("schema, version, refused", [
    ("backport3", "11.2.0.4.0", False), ("backport3", "11.1.0.7.0", True),
    ("streams", "11.2.0.4.0", True), ("streams", "12.1.0.2.0", False), ("streams", "21.3.0.0.0", False),
    (None, "11.2.0.4.0", False), (None, "10.2.0.5.0", True),
])
def test_oracle_bounds_follow_the_schema(schema, version, refused):
    answer = server_version.refusal("oracle", server_version.oracle_version(version), schema, "ora01:1521")
    assert (answer is not None) == refused
    if schema == "streams" and refused:
        assert "the streams schema needs Oracle 12.1 or newer" in str(answer) and "identity" in str(answer)


@pytest.fixture(scope="module")
def postgresql_11():
    cluster = LocalCluster(user="luna", password="s3cret-eleven", bin_dir=fetch_npm_server(11)).start()
    try:
        server = PgServer.of(cluster, "local")
        fetch_all(server, "postgres", "CREATE DATABASE luna_streams")
        yield server
    finally:
        cluster.destroy()


@pytest.mark.parametrize("command, database", [
    (["status"], "luna_streams"),
    (["create"], "luna_streams"),
    (["upgrade"], "luna_streams"),
    (["create", "--create-database"], "luna_backport3"),  # refused before the database is created
])
def test_a_postgresql_11_server_is_refused_in_one_line_before_anything_is_written(postgresql_11, command, database):
    result = invoke(*command, "--dsn", postgresql_11.dsn(database))
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0] == (f"luna-db: error: 127.0.0.1:{postgresql_11.port} runs PostgreSQL 11.22:"
                        " luna-db supports PostgreSQL 12 to 18; upgrade the server first")
    assert "s3cret-eleven" not in result.output
    assert fetch_all(postgresql_11, "postgres", "SELECT datname FROM pg_database WHERE datname LIKE 'luna%'") == [
        ("luna_streams",)]
    assert fetch_all(postgresql_11, "luna_streams", "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace") == [
        (0,)]


def _has_on_the_server(connection, feature: str) -> bool:
    """Whether the server really has `feature`, asked of the server itself."""
    if feature == "nulls_not_distinct":
        return connection.execute(sa.text(
            "SELECT count(*) FROM pg_attribute WHERE attrelid = 'pg_index'::regclass"
            " AND attname = 'indnullsnotdistinct'")).scalar() == 1
    if feature == "client_connection_check_interval":
        return connection.execute(sa.text(
            "SELECT count(*) FROM pg_settings WHERE name = 'client_connection_check_interval'")).scalar() == 1
    if feature == "security_invoker":
        try:
            with connection.begin_nested():
                connection.execute(sa.text("CREATE VIEW invoker_view WITH (security_invoker = true) AS SELECT 1 AS x"))
            return True
        except sa.exc.DBAPIError as error:  # unrecognized parameter "security_invoker"
            assert "security_invoker" in str(error.orig), error
            return False
    assert feature == "reltuples_unknown", f"no check of {feature} on a server: add one here"
    connection.execute(sa.text("CREATE TABLE never_analysed (id int)"))
    return connection.execute(sa.text(
        "SELECT reltuples FROM pg_class WHERE oid = 'never_analysed'::regclass")).scalar() == -1


@pytest.mark.pgversions
@pytest.mark.parametrize("feature", sorted(server_version.POSTGRESQL_FEATURES))
def test_the_table_of_server_features_says_what_this_server_has(fresh_db, feature):
    engine = sa.create_engine(fresh_db.url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            assert server_version.postgresql_has(connection, feature) == _has_on_the_server(connection, feature)
            connection.rollback()
    finally:
        engine.dispose()


@pytest.mark.pgversions
def test_row_estimates_are_unknown_before_the_first_analyze_and_counted_after(fresh_db):
    fetch_all(fresh_db.server, fresh_db.name, "CREATE TABLE never_analysed (id int)")
    fetch_all(fresh_db.server, fresh_db.name, "CREATE TABLE analysed_empty (id int)")
    fetch_all(fresh_db.server, fresh_db.name, "CREATE TABLE analysed (id int)")
    fetch_all(fresh_db.server, fresh_db.name, "INSERT INTO analysed SELECT generate_series(1, 5000)")
    fetch_all(fresh_db.server, fresh_db.name, "ANALYZE analysed")
    fetch_all(fresh_db.server, fresh_db.name, "ANALYZE analysed_empty")
    engine = sa.create_engine(fresh_db.url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            estimates = row_estimates(connection)
            modern = server_version.postgresql_has(connection, "reltuples_unknown")
    finally:
        engine.dispose()
    assert estimates["never_analysed"] is None
    assert estimates["analysed"] == 5000
    # An analysed empty table: 0 rows from 14 on; before, indistinguishable from never analysed.
    assert estimates["analysed_empty"] == (0 if modern else None)


@pytest.mark.parametrize("reltuples, relpages, modern, expected", [
    (-1, 0, True, None), (0, 0, True, 0), (0, 0, False, None), (0, 3, False, 0), (120.0, 2, False, 120),
    (None, None, False, None),
])
def test_a_row_estimate_reads_reltuples_as_the_servers_major_means_it(reltuples, relpages, modern, expected):
    assert estimate(reltuples, relpages, modern) == expected
