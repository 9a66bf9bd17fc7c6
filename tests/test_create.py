"""`luna-db create` on a real PostgreSQL: the result is reflected and compared with the models."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from luna_db_tools.db.tool_tables import is_schema_object
from luna_db_tools.schemas import load_models
from luna_db_tools.script import history as schema_history
from tests.clirunner import invoke
from tests.pghelpers import drop_database, engine, fetch_all

SCHEMAS = ["streams", "backport3"]


@pytest.mark.pgversions
@pytest.mark.parametrize("schema", SCHEMAS)
def test_create_builds_the_schema_exactly_as_the_models_say(fresh_db, schema):
    result = invoke("create", "--schema", schema, "--dsn", fresh_db.dsn)
    assert result.exit_code == 0, result.stderr
    assert f"created {schema}" in result.stdout
    assert fresh_db.server.password not in result.output

    metadata = load_models(schema).metadata
    with engine(fresh_db).connect() as connection:
        inspector = sa.inspect(connection)
        assert set(inspector.get_table_names()) == set(metadata.tables) | {"alembic_version", "luna_db_audit"}

        # Alembic's own comparison: columns, types, nullability, server
        # defaults, keys, indexes, uniques and comments.
        context = MigrationContext.configure(
            connection,
            opts={"compare_type": True, "compare_server_default": True, "include_object": is_schema_object},
        )
        assert compare_metadata(context, metadata) == []

        for table in metadata.tables.values():
            assert inspector.get_table_comment(table.name)["text"] == table.comment
            reflected = {c["name"]: c for c in inspector.get_columns(table.name)}
            assert list(reflected) == [c.name for c in table.columns]
            for column in table.columns:
                assert column.comment, f"{table.name}.{column.name} has no comment in the models"
                assert reflected[column.name]["comment"] == column.comment
            # Named CHECK constraints, which Alembic does not compare.
            expected_checks = {
                c.name for c in table.constraints if isinstance(c, sa.CheckConstraint)
                and _applies_to_postgres(c)
            }
            assert {c["name"] for c in inspector.get_check_constraints(table.name)} == expected_checks
            expected_indexes = {i.name for i in table.indexes}
            reflected_indexes = {
                i["name"] for i in inspector.get_indexes(table.name)
                if not i.get("duplicates_constraint")  # the index behind a UNIQUE
            }
            assert reflected_indexes == expected_indexes

        views = set(metadata.info.get("views", {}))
        assert set(inspector.get_view_names()) == views
        for name in views:
            connection.execute(sa.text(f"SELECT * FROM {name}")).fetchall()

        version = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
        assert version == schema_history.heads(schema)


def _applies_to_postgres(constraint) -> bool:
    """Oracle-only checks (booleans stored as SMALLINT) are not created on PostgreSQL."""
    condition = getattr(constraint, "_ddl_if", None)
    return condition is None or condition.dialect in (None, "postgresql")


def test_create_streams_writes_its_primal_rows(fresh_db):
    assert invoke("create", "--schema", "streams", "--dsn", fresh_db.dsn).exit_code == 0
    with engine(fresh_db).connect() as connection:
        locks = connection.execute(sa.text("SELECT lock_name FROM single_process_lock")).scalars().all()
    assert locks == ["streams_master"]


def test_schema_is_inferred_from_the_database_name(fresh_db, pg_server):
    database = "luna_backport3"
    drop_database(pg_server, database)
    try:
        result = invoke("create", "--dsn", pg_server.dsn(database), "--create-database")
        assert result.exit_code == 0, result.stderr
        assert "created backport3" in result.stdout
    finally:
        drop_database(pg_server, database)


def test_a_database_holding_a_schema_table_is_refused_and_left_alone(fresh_db):
    with engine(fresh_db).begin() as connection:
        connection.execute(sa.text("CREATE TABLE stream (stream_id varchar(36) PRIMARY KEY, note text)"))
        connection.execute(sa.text("INSERT INTO stream VALUES ('s-1', 'precious')"))

    result = invoke("create", "--schema", "streams", "--dsn", fresh_db.dsn)

    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert "refusing to create streams" in result.stderr and "stream" in result.stderr
    with engine(fresh_db).connect() as connection:
        assert sa.inspect(connection).get_table_names() == ["stream"]
        rows = connection.execute(sa.text("SELECT stream_id, note FROM stream")).all()
    assert rows == [("s-1", "precious")]


def test_a_second_create_finds_it_created_and_a_foreign_table_is_refused(fresh_db):
    assert invoke("create", "--schema", "backport3", "--dsn", fresh_db.dsn).exit_code == 0
    again = invoke("create", "--schema", "backport3", "--dsn", fresh_db.dsn)
    assert again.exit_code == 0, again.output
    assert "already created" in again.output
    fetch_all(fresh_db.server, fresh_db.name, "CREATE TABLE not_ours (x int)")
    refused = invoke("create", "--schema", "backport3", "--dsn", fresh_db.dsn)
    assert refused.exit_code == 2
    assert "already holds" in refused.stderr


def test_create_database_creates_a_missing_database_with_a_name_that_needs_quoting(pg_server):
    database = "lt Create-DB"
    dsn = pg_server.dsn(database)
    try:
        result = invoke("create", "--schema", "streams", "--dsn", dsn, "--create-database")
        assert result.exit_code == 0, result.stderr
        assert f"created database {database}" in result.stdout
        # Running it again finds the database there, with the schema at its head: nothing to do.
        again = invoke("create", "--schema", "streams", "--dsn", dsn, "--create-database")
        assert again.exit_code == 0 and "already created" in again.output
        with pg_server.connect(database) as connection, connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM stream")
            assert cursor.fetchone() == (0,)
    finally:
        drop_database(pg_server, database)


def test_create_without_create_database_on_a_missing_database_fails_cleanly(pg_server):
    result = invoke(
        "create", "--schema", "streams", "--dsn", pg_server.dsn("lt_does_not_exist"),
        "--connect-retries", "1",
    )
    assert result.exit_code == 2  # bad input: a database name the server rejects
    assert "lt_does_not_exist" in result.stderr
    assert "Traceback" not in result.stderr
    assert pg_server.password not in result.stderr
