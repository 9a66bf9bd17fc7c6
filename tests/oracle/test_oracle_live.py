"""luna-db against a live Oracle, through the CLI as operators run it.

Each test has an Oracle user of its own (`oracle_db`); what the commands
built is read back from that user's dictionary views (user_tables,
user_views, user_constraints, ...).
"""

from __future__ import annotations

import json

import oracledb
import pytest
import sqlalchemy as sa

from luna_db_tools.db.tool_tables import TOOL_TABLES
from luna_db_tools.models.base import Bool
from luna_db_tools.schemas import load_models
from luna_db_tools.script import history as schema_history
from tests.clirunner import invoke
from tests.oraclehelpers import model_name, oracle_name
from tests.pgcluster import free_port

pytestmark = pytest.mark.oracle

SCHEMAS = ["streams", "backport3"]


def cli_ok(*args):
    result = invoke(*args)
    assert result.exit_code == 0, result.stderr
    return result


def head_of(schema: str) -> str:
    (head,) = schema_history.heads(schema)
    return head


def metadata_of(schema: str) -> sa.MetaData:
    return load_models(schema).metadata


def views_of_models(schema: str) -> set[str]:
    return set(metadata_of(schema).info.get("views", {}))


def tables_of(db) -> set[str]:
    """The user's tables, by the models' names (`stream`, `group`)."""
    # BIN$...: dropped tables in the recycle bin, which some versions list.
    rows = db.fetch_all("SELECT table_name FROM user_tables WHERE table_name NOT LIKE 'BIN$%'")
    return {model_name(name) for (name,) in rows}


def views_of(db) -> set[str]:
    return {model_name(name) for (name,) in db.fetch_all("SELECT view_name FROM user_views")}


def version_of(db) -> list[str]:
    return [version for (version,) in db.fetch_all("SELECT version_num FROM alembic_version")]


def status_report(db, schema: str):
    """`status --json`: (exit code, the parsed report)."""
    result = invoke("status", "--json", "--schema", schema, "--dsn", db.dsn)
    assert result.exit_code in (0, 1), result.stderr
    return result.exit_code, json.loads(result.stdout)


# --- create -----------------------------------------------------------------------------


@pytest.mark.parametrize("schema", SCHEMAS)
def test_create_builds_every_table_and_view_and_stamps_the_head(oracle_db, schema):
    created = cli_ok("create", "--schema", schema, "--dsn", oracle_db.dsn)

    assert f"revision {head_of(schema)} (head)" in created.stdout
    assert tables_of(oracle_db) == set(metadata_of(schema).tables) | TOOL_TABLES
    assert views_of(oracle_db) == views_of_models(schema)
    assert version_of(oracle_db) == [head_of(schema)]
    invalid = oracle_db.fetch_all("SELECT object_type, object_name FROM user_objects WHERE status <> 'VALID'")
    assert invalid == []


@pytest.mark.parametrize("schema", SCHEMAS)
def test_bool_columns_are_numbers_guarded_by_their_named_checks(oracle_db, schema):
    cli_ok("create", "--schema", schema, "--dsn", oracle_db.dsn)
    metadata = metadata_of(schema)
    bool_columns = [
        (table.name, column.name)
        for table in metadata.tables.values() for column in table.columns if isinstance(column.type, Bool)
    ]
    assert bool_columns, f"{schema} has Bool columns (restart.restart, account.active)"

    for table, column in bool_columns:
        (data_type,) = oracle_db.fetch_all(
            "SELECT data_type FROM user_tab_columns WHERE table_name = :t AND column_name = :c",
            t=oracle_name(table), c=oracle_name(column),
        )[0]
        assert data_type == "NUMBER", f"{table}.{column}"

    # Every named CHECK of the models, the Oracle-only ones of Bool columns
    # included (ck_restart_restart, ck_account_active), is there and enforced.
    for table in metadata.tables.values():
        expected = {c.name for c in table.constraints if isinstance(c, sa.CheckConstraint)}
        present = {
            model_name(name): status
            for name, status in oracle_db.fetch_all(
                "SELECT constraint_name, status FROM user_constraints"
                " WHERE table_name = :t AND constraint_type = 'C' AND generated = 'USER NAME'",
                t=oracle_name(table.name),
            )
        }
        assert set(present) == expected, table.name
        assert set(present.values()) <= {"ENABLED"}, table.name
    for table, column in bool_columns:
        assert f"ck_{table}_{column}" in {c.name for c in metadata.tables[table].constraints}


def test_account_active_takes_only_0_and_1(oracle_db):
    cli_ok("create", "--schema", "backport3", "--dsn", oracle_db.dsn)

    oracle_db.execute("INSERT INTO account (account_id) VALUES ('a-default')")
    oracle_db.execute("INSERT INTO account (account_id, active) VALUES ('a-blocked', 0)")
    with pytest.raises(oracledb.IntegrityError, match="CK_ACCOUNT_ACTIVE"):  # ORA-02290
        oracle_db.execute("INSERT INTO account (account_id, active) VALUES ('a-two', 2)")
    rows = oracle_db.fetch_all("SELECT account_id, active FROM account ORDER BY account_id")
    assert rows == [("a-blocked", 0), ("a-default", 1)]


@pytest.mark.oracle_schema("streams")
def test_a_service_inserts_a_stream_without_name_or_description(oracle_db):
    cli_ok("create", "--schema", "streams", "--dsn", oracle_db.dsn)

    # What the Streams service sends for a stream created without them.
    oracle_db.execute(
        "INSERT INTO stream (stream_id, account_id, data, event_handler, policies, status)"
        " VALUES ('s-1', 'acc', '{}', '{}', '{}', 'pending')"
    )
    assert oracle_db.fetch_all("SELECT stream_id, version FROM stream") == [("s-1", 1)]
    # '' is NULL on Oracle (models.base.EmptyString); the models read it back as ''.
    from luna_db_tools.config.settings import ConnectionOptions, resolve_settings
    from luna_db_tools.db.connect import connect
    from luna_db_tools.models import streams

    settings = resolve_settings(ConnectionOptions(schema="streams", dsn=oracle_db.dsn))
    table = streams.Stream.__table__
    with connect(settings) as connection:
        assert tuple(connection.execute(sa.select(table.c.name, table.c.description)).one()) == ("", "")


# --- upgrade and downgrade ------------------------------------------------------------------


@pytest.mark.parametrize("schema", SCHEMAS)
def test_upgrade_from_base_to_head_then_downgrade_to_base(oracle_db, schema):
    upgraded = cli_ok("upgrade", "--schema", schema, "--dsn", oracle_db.dsn)

    for entry in schema_history.history(schema):
        assert f"upgraded to {entry['id']}" in upgraded.stdout
    assert tables_of(oracle_db) == set(metadata_of(schema).tables) | TOOL_TABLES
    assert views_of(oracle_db) == views_of_models(schema)
    assert version_of(oracle_db) == [head_of(schema)]

    cli_ok("downgrade", "base", "--schema", schema, "--dsn", oracle_db.dsn)

    assert tables_of(oracle_db) <= TOOL_TABLES
    assert views_of(oracle_db) == set()
    assert version_of(oracle_db) == []


@pytest.mark.parametrize("schema", SCHEMAS)
@pytest.mark.parametrize("build", ["create", "upgrade"])
def test_status_after_create_or_upgrade_is_at_head_without_drift(oracle_db, build, schema):
    """Both ways to the head leave what the models describe, as Oracle reflects it."""
    cli_ok(build, "--schema", schema, "--dsn", oracle_db.dsn)

    code, report = status_report(oracle_db, schema)

    assert report["current"] == [head_of(schema)] and report["pending"] == []
    assert report["at_head"] is True
    assert not report["drift"], report["drift"]
    assert code == 0


# --- views --------------------------------------------------------------------------------


@pytest.mark.oracle_schema("streams")
def test_views_are_dropped_and_recreated_and_still_select(oracle_db):
    # Without the scheme, as a DBA's runbook may write it: --db-type says Oracle.
    target = ("--schema", "streams", "--db-type", "oracle", "--dsn", oracle_db.dsn_without_scheme)
    cli_ok("create", *target)
    oracle_db.execute("DROP VIEW group_view")

    recreated = cli_ok("views", *target)

    assert "recreated views: stream_view, group_view" in recreated.stdout
    assert views_of(oracle_db) == views_of_models("streams")
    assert oracle_db.fetch_all("SELECT count(*) FROM stream_view") == [(0,)]
    assert oracle_db.fetch_all("SELECT count(*) FROM group_view") == [(0,)]
    # Recreating views that all exist works too.
    cli_ok("views", *target)
    assert views_of(oracle_db) == views_of_models("streams")


def test_views_of_a_schema_without_views(oracle_db):
    cli_ok("create", "--schema", "backport3", "--dsn", oracle_db.dsn)
    result = cli_ok("views", "--schema", "backport3", "--dsn", oracle_db.dsn)
    assert "recreated views: (none)" in result.stdout


# --- drift -------------------------------------------------------------------------------


@pytest.mark.oracle_schema("streams")
def test_status_names_a_column_added_outside_the_models(oracle_db):
    cli_ok("create", "--schema", "streams", "--dsn", oracle_db.dsn)
    oracle_db.execute("ALTER TABLE stream ADD extra NUMBER")

    code, report = status_report(oracle_db, "streams")

    assert code == 1
    assert report["at_head"] is True
    assert {"kind": "extra column", "object": "stream.extra", "detail": ""} in report["drift"]


# --- several hosts ----------------------------------------------------------------------------


@pytest.mark.oracle_schema("streams")
def test_a_dead_host_first_is_passed_over(oracle_db):
    dead = f"127.0.0.1:{free_port()}"
    dsn = "oracle://" + oracle_db.dsn_via(dead, oracle_db.address)

    cli_ok("create", "--schema", "streams", "--dsn", dsn)
    current = cli_ok("current", "--schema", "streams", "--dsn", dsn)

    assert current.stdout.strip() == f"{head_of('streams')} (head)"
    assert "stream" in tables_of(oracle_db)

