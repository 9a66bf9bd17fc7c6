"""Offline scripts (`--sql`) for both schemas and both dialects; no database needed.

A DBA runs these as written (psql, SQL*Plus, SQLcl), so the tests read them
statement by statement.
"""

from __future__ import annotations

import re

import pytest

from luna_db_tools.schemas import load_models
from luna_db_tools.script import history as schema_history
from tests.clirunner import invoke
from tests.sqlscripts import DIALECTS, SCHEMAS, statements


def created_tables(script: str) -> set[str]:
    return {name.strip('"').lower() for name in re.findall(r"CREATE TABLE (?:IF NOT EXISTS )?(\"?\w+\"?)", script)}


@pytest.mark.parametrize("db_type", DIALECTS)
@pytest.mark.parametrize("schema", SCHEMAS)
def test_create_sql_creates_every_table_view_and_stamps_the_head(schema, db_type):
    result = invoke("create", "--sql", "--schema", schema, "--db-type", db_type)
    assert result.exit_code == 0, result.stderr
    script = result.stdout
    models = load_models(schema)
    assert created_tables(script) == set(models.metadata.tables) | {"alembic_version"}
    for view in models.metadata.info.get("views", {}):
        assert re.search(rf"CREATE (OR REPLACE )?VIEW {view}\b", script)
    head = schema_history.heads(schema)[0]
    assert f"INSERT INTO alembic_version (version_num) VALUES ('{head}')" in script
    assert script.startswith("-- luna-db ")
    assert "COMMENT ON COLUMN" in script
    if db_type == "postgres":
        # One transaction around everything, the stamp included.
        assert [line for line in script.splitlines() if line in ("BEGIN;", "COMMIT;")] == ["BEGIN;", "COMMIT;"]
        assert script.rstrip().endswith("COMMIT;")


@pytest.mark.parametrize("schema", SCHEMAS)
def test_oracle_create_sql_is_true_to_oracle(schema):
    script = invoke("create", "--sql", "--schema", schema, "--db-type", "oracle").stdout
    for statement in statements(script, "oracle"):
        assert not statement.rstrip().endswith(";"), "SQL*Plus terminator is '/', not ';'"
        assert not re.search(r"\bBOOLEAN\b", statement), statement
        assert not re.search(r"\bJSON\b", statement), statement
        assert "RETURNING" not in statement
        for identifier in re.findall(r"\b(?:CONSTRAINT|INDEX|TABLE|VIEW)\s+\"?(\w+)", statement):
            assert len(identifier) <= 30, identifier
    # streams' times default to UTC now; backport3's have no default (the service writes them).
    assert ("SYS_EXTRACT_UTC(SYSTIMESTAMP)" in script) == (schema == "streams")
    assert "VARCHAR2(36 CHAR)" in script
    assert "CLOB" in script
    assert script.startswith("-- luna-db") and "WHENEVER SQLERROR EXIT" in script


@pytest.mark.parametrize("db_type", DIALECTS)
@pytest.mark.parametrize("schema", SCHEMAS)
def test_upgrade_and_downgrade_scripts_cover_the_whole_history(schema, db_type):
    ids = [entry["id"] for entry in schema_history.history(schema)]
    up = invoke("upgrade", "--sql", "--schema", schema, "--db-type", db_type)
    assert up.exit_code == 0, up.stderr
    assert "CREATE TABLE alembic_version" in up.stdout
    for below, revision in zip([""] + ids[:-1], ids):
        assert f"-- Running upgrade {below} -> {revision}" in up.stdout  # Alembic's own log line
    assert f"UPDATE alembic_version SET version_num='{ids[-1]}'" in up.stdout
    assert created_tables(up.stdout) >= set(load_models(schema).metadata.tables)

    down = invoke("downgrade", "--sql", "base", "--schema", schema, "--db-type", db_type)
    assert down.exit_code == 0, down.stderr
    assert "DELETE FROM alembic_version" in down.stdout
    assert "DROP TABLE" in down.stdout

    for script in (up.stdout, down.stdout):
        assert not re.search(r"RETURNING\s+\S+\s+INTO", script)
        if db_type == "oracle":
            assert not re.search(r"\bBOOLEAN\b", script)
            assert "CREATE INDEX CONCURRENTLY" not in script


def test_postgres_upgrade_script_builds_the_log_index_concurrently_outside_a_transaction():
    script = invoke("upgrade", "--sql", "--schema", "streams", "--db-type", "postgres").stdout
    index = script.index("CREATE INDEX CONCURRENTLY")
    # The statement before it must have ended the revision's transaction.
    before = script[:index]
    assert before.rfind("COMMIT") > before.rfind("BEGIN")


def test_offline_scripts_need_no_database_and_show_no_password():
    result = invoke(
        "upgrade", "--sql", "--schema", "streams", "--dsn", "luna:Offline-Secret-7@nowhere.invalid/luna_streams",
    )
    assert result.exit_code == 0, result.stderr
    assert "Offline-Secret-7" not in result.output


def test_offline_downgrade_needs_an_absolute_target():
    result = invoke("downgrade", "--sql", "-1", "--schema", "streams")
    assert result.exit_code == 2
    assert "absolute" in result.stderr


@pytest.mark.parametrize("command", [["create", "--sql"], ["upgrade", "--sql"], ["downgrade", "--sql", "base"]])
def test_postgres_scripts_start_with_the_online_runs_session_limits(command):
    script = invoke(*command, "--schema", "streams").stdout
    body = [line for line in script.splitlines() if line and not line.startswith("--")]
    assert body[:2] == ["SET lock_timeout = '5000ms';", "SET statement_timeout = '3600000ms';"]


def test_the_session_limits_of_an_offline_script_follow_the_options():
    script = invoke("upgrade", "--sql", "--schema", "streams", "--db-lock-timeout", "2.5", "--db-statement-timeout", "0").stdout
    assert "SET lock_timeout = '2500ms';" in script and "SET statement_timeout = '0ms';" in script


def test_the_lock_timeouts_say_whose_wait_they_bound_and_keep_their_old_names():
    """--statement-lock-timeout is the server's lock_timeout per statement, --migration-lock-timeout
    luna-db's wait for another run's migration lock; the old names mean the same."""
    new = invoke("upgrade", "--sql", "--schema", "streams", "--statement-lock-timeout", "2.5").stdout
    old = invoke("upgrade", "--sql", "--schema", "streams", "--db-lock-timeout", "2.5").stdout
    assert "SET lock_timeout = '2500ms';" in new
    assert new == old
    help_text = invoke("upgrade", "--help").stdout
    assert "--migration-lock-timeout" in help_text and "--statement-lock-timeout" in help_text


def test_s0003s_batched_fill_ends_with_its_catch_up_and_oracle_keeps_one_statement():
    """Online and in a DBA's script alike, the rows the keyset passed get their row after the last batch."""
    script = invoke("upgrade", "--sql", "s0002:s0003", "--schema", "streams").stdout
    block = script[script.index("DO $luna$"):script.index("$luna$;")]
    catch_up = block[block.index("END LOOP;"):]
    assert "INSERT INTO restart" in catch_up and "NOT EXISTS" in catch_up and "ON CONFLICT DO NOTHING" in catch_up
    assert "RAISE NOTICE 'restart rows for existing streams: % rows caught up" in catch_up
    oracle = invoke("upgrade", "--sql", "s0002:s0003", "--schema", "streams", "--db-type", "oracle").stdout
    fills = [s for s in statements(oracle, "oracle") if s.startswith("INSERT INTO restart")]
    assert len(fills) == 1 and "WHERE NOT EXISTS" in fills[0]
