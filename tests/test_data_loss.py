"""The data-loss guard: downgrades that would destroy rows refuse,
naming each table and row count, unless --allow-data-loss; --dry-run and
--sql say the same."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from luna_db_tools.analysis.data_loss import Destruction, destructions_in_sql
from luna_db_tools.command.data_loss import count_losses
from tests.clirunner import invoke
from tests.pghelpers import fetch_all

pytestmark = [pytest.mark.pgversions, pytest.mark.pgedges]


def _streams_with_rows(db, streams: int = 3) -> None:
    assert invoke("upgrade", "--schema", "streams", "--dsn", db.dsn).exit_code == 0
    fetch_all(db.server, db.name, f"""
        INSERT INTO stream (stream_id, account_id, data, event_handler, policies, status)
        SELECT md5(g::text), 'acc', '{{}}', '{{}}', '{{}}', 'pending' FROM generate_series(1, {streams}) g""")
    fetch_all(db.server, db.name, "INSERT INTO restart (stream_id) SELECT stream_id FROM stream")
    fetch_all(db.server, db.name, "INSERT INTO location (stream_id, city) SELECT stream_id, 'Moscow' FROM stream LIMIT 2")


def _current(db) -> list[str]:
    return json.loads(invoke("status", "--schema", "streams", "--dsn", db.dsn, "--json").stdout)["current"]


def test_a_downgrade_that_would_drop_tables_with_rows_refuses_naming_each_and_changes_nothing(fresh_db):
    _streams_with_rows(fresh_db)
    result = invoke("downgrade", "s0002", "--schema", "streams", "--dsn", fresh_db.dsn)
    assert result.exit_code == 2
    assert "refusing to downgrade" in result.stderr
    assert "table restart: 3 rows dropped by s0003" in result.stderr
    assert "table location: 2 rows dropped by s0003" in result.stderr
    assert "handler" not in result.stderr  # empty: nothing lost
    assert "--allow-data-loss" in result.stderr
    assert _current(fresh_db) == ["s0005"]
    assert fetch_all(fresh_db.server, fresh_db.name, "SELECT count(*) FROM restart") == [(3,)]

    accepted = invoke("downgrade", "s0002", "--allow-data-loss", "--schema", "streams", "--dsn", fresh_db.dsn)
    assert accepted.exit_code == 0, accepted.stderr
    assert "data loss accepted (--allow-data-loss): table restart: 3 rows dropped by s0003" in accepted.output
    assert _current(fresh_db) == ["s0002"]


def test_downgrading_an_empty_database_to_base_loses_nothing_and_runs(fresh_db):
    """The primal row `create` inserts (streams' master lock) is no one's data."""
    assert invoke("upgrade", "--schema", "streams", "--dsn", fresh_db.dsn).exit_code == 0
    result = invoke("downgrade", "base", "--schema", "streams", "--dsn", fresh_db.dsn)
    assert result.exit_code == 0, result.stderr
    assert _current(fresh_db) == []


def test_dry_run_shows_the_same_losses_with_counts(fresh_db):
    _streams_with_rows(fresh_db, streams=5)
    text = invoke("downgrade", "base", "--dry-run", "--schema", "streams", "--dsn", fresh_db.dsn)
    assert text.exit_code == 0
    assert "would destroy table stream: 5 rows dropped by s0001" in text.output
    assert "would destroy table restart: 5 rows dropped by s0003" in text.output
    document = json.loads(invoke("downgrade", "base", "--dry-run", "--json", "--schema", "streams",
                                 "--dsn", fresh_db.dsn).stdout)
    assert {(loss["table"], loss["rows"]) for loss in document["data_loss"]} == {
        ("stream", 5), ("restart", 5), ("location", 2),
    }
    refused = invoke("downgrade", "base", "--schema", "streams", "--dsn", fresh_db.dsn)
    for loss in document["data_loss"]:
        assert f"table {loss['table']}: {loss['rows']} rows" in refused.stderr


def test_sql_names_the_destructions_as_comments():
    script = invoke("downgrade", "--sql", "head:s0002", "--schema", "streams").stdout
    header = script.split("BEGIN;")[0]
    assert "-- luna-db: DATA LOSS" in header
    for table in ("handler", "restart", "location"):
        assert f"--   s0003: drops table {table}" in header
    assert "DATA LOSS" not in invoke("upgrade", "--sql", "base:head", "--schema", "streams").stdout


def test_the_rendered_sql_parser_finds_tables_columns_and_deleted_rows():
    sql = """
DROP TABLE location;
ALTER TABLE account DROP COLUMN email;
DELETE FROM stream WHERE status = 'x';
DROP VIEW stream_view;
DROP INDEX CONCURRENTLY IF EXISTS ix_log_stream_id_time;
UPDATE alembic_version SET version_num='s0002';
DELETE FROM alembic_version WHERE version_num = 's0001';
"""
    found = destructions_in_sql("r1", "down", sql)
    moved = destructions_in_sql("r2", "down", "UPDATE account SET email = (SELECT k.email FROM kept k);\nDROP TABLE kept;\n")
    assert moved == []
    assert [(d.kind, d.table, d.column, d.where) for d in found] == [
        ("table", "location", None, None),
        ("column", "account", "email", None),
        ("rows", "stream", None, "status = 'x'"),
    ]


def test_columns_and_deletes_are_counted_live(fresh_db):
    assert invoke("upgrade", "b0001", "--schema", "backport3", "--dsn", fresh_db.dsn).exit_code == 0
    fetch_all(fresh_db.server, fresh_db.name, """
        INSERT INTO account (account_id, password, email) VALUES ('a1', 'h', 'a@x'), ('a2', 'h', NULL),
        ('a3', 'h', 'c@x')""")
    destructions = [
        Destruction("b0002", "up", "column", "account", column="email"),
        Destruction("b0002", "up", "column", "account", column="organization_name"),  # all NULL
        Destruction("b0002", "up", "rows", "account", where="email IS NULL"),
    ]
    with sa.create_engine(fresh_db.url, poolclass=sa.pool.NullPool).connect() as connection:
        losses = count_losses(connection, "backport3", destructions)
    assert [(loss.destruction.column, loss.rows) for loss in losses] == [("email", 2), (None, 1)]
    assert losses[0].describe() == "column account.email: 2 values dropped by b0002"
