"""Each schema's migration history on a real PostgreSQL: parity with `create`,
the stairway up and down, and rows that survive the way."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import sqlalchemy as sa

from luna_db_tools.script import history as schema_history
from tests.clirunner import ROOT, invoke
from tests.pghelpers import engine, pg_dump_schema

SCHEMAS = ["streams", "backport3"]


def revisions(schema):
    return [entry["id"] for entry in schema_history.history(schema)]


def cli_ok(*args):
    result = invoke(*args)
    assert result.exit_code == 0, result.stderr
    return result


@pytest.mark.parametrize("schema", SCHEMAS)
def test_history_has_at_least_three_revisions_and_one_head(schema):
    assert len(revisions(schema)) >= 3
    assert len(schema_history.heads(schema)) == 1


@pytest.mark.pgversions
@pytest.mark.parametrize("schema", SCHEMAS)
def test_upgrade_head_from_empty_builds_what_create_builds(fresh_db, second_db, pg_server, schema, request):
    cli_ok("create", "--schema", schema, "--dsn", fresh_db.dsn)
    upgraded = cli_ok("upgrade", "--schema", schema, "--dsn", pg_server.dsn(second_db))
    for revision in revisions(schema):
        assert f"upgraded to {revision}" in upgraded.stdout
    assert f"is at revision {schema_history.heads(schema)[0]}" in upgraded.stdout

    created_dump = pg_dump_schema(pg_server, fresh_db.name)
    upgraded_dump = pg_dump_schema(pg_server, second_db)
    assert "CREATE TABLE" in created_dump
    assert created_dump == upgraded_dump


@pytest.mark.pgversions
@pytest.mark.pgedges
@pytest.mark.parametrize("schema", SCHEMAS)
def test_stairway_every_downgrade_restores_the_previous_shape(fresh_db, pg_server, schema):
    """Up one revision at a time recording the schema, then down one at a time
    comparing with the record, then up again: every step is reversible."""
    ids = revisions(schema)
    shapes = {}
    for revision in ids:
        cli_ok("upgrade", revision, "--schema", schema, "--dsn", fresh_db.dsn)
        shapes[revision] = pg_dump_schema(pg_server, fresh_db.name)
    for revision, previous in reversed(list(zip(ids[1:], ids[:-1]))):
        cli_ok("downgrade", "-1", "--schema", schema, "--dsn", fresh_db.dsn)
        assert pg_dump_schema(pg_server, fresh_db.name) == shapes[previous], f"downgrade of {revision}"
        cli_ok("upgrade", "+1", "--schema", schema, "--dsn", fresh_db.dsn)
        assert pg_dump_schema(pg_server, fresh_db.name) == shapes[revision], f"re-upgrade of {revision}"
        cli_ok("downgrade", "-1", "--schema", schema, "--dsn", fresh_db.dsn)
    cli_ok("downgrade", "base", "--schema", schema, "--dsn", fresh_db.dsn)
    with engine(fresh_db).connect() as connection:
        assert set(sa.inspect(connection).get_table_names()) <= {"alembic_version", "luna_db_audit"}
    cli_ok("upgrade", "head", "--schema", schema, "--dsn", fresh_db.dsn)
    assert pg_dump_schema(pg_server, fresh_db.name) == shapes[ids[-1]]


@pytest.mark.pgversions
def test_streams_rows_survive_and_every_stream_gets_its_restart_row(fresh_db):
    ids = revisions("streams")
    cli_ok("upgrade", ids[0], "--schema", "streams", "--dsn", fresh_db.dsn)
    with engine(fresh_db).begin() as connection:
        for n in range(3):
            connection.execute(
                sa.text(
                    "INSERT INTO stream (stream_id, account_id, data, event_handler, policies, status)"
                    " VALUES (:id, 'acc', '{}', '{}', '{}', 'pending')"
                ),
                {"id": f"stream-{n}"},
            )
        connection.execute(sa.text("INSERT INTO log (stream_id, status) VALUES ('stream-0', 'pending')"))

    cli_ok("upgrade", "head", "--schema", "streams", "--dsn", fresh_db.dsn)

    with engine(fresh_db).connect() as connection:
        streams = connection.execute(sa.text("SELECT stream_id FROM stream ORDER BY 1")).scalars().all()
        restarts = connection.execute(
            sa.text("SELECT stream_id, restart, attempt_count, delay FROM restart ORDER BY 1")
        ).all()
        logs = connection.execute(sa.text("SELECT stream_id, status FROM log")).all()
        locks = connection.execute(sa.text("SELECT lock_name FROM single_process_lock")).scalars().all()
        listed = connection.execute(sa.text("SELECT count(*) FROM stream_view")).scalar()
    assert streams == ["stream-0", "stream-1", "stream-2"]
    assert restarts == [(s, False, 10, 60) for s in streams]
    assert logs == [("stream-0", "pending")]
    assert locks == ["streams_master"]
    assert listed == 3



def test_streams_downgrade_keeps_streams_where_the_shape_allows(fresh_db):
    ids = revisions("streams")
    cli_ok("upgrade", "head", "--schema", "streams", "--dsn", fresh_db.dsn)
    with engine(fresh_db).begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO stream (stream_id, account_id, data, event_handler, policies, status)"
                " VALUES ('s-lost', 'acc', '{}', '{}', '{}', 'handler_lost')"
            )
        )
    cli_ok("downgrade", ids[0], "--schema", "streams", "--dsn", fresh_db.dsn)
    with engine(fresh_db).connect() as connection:
        rows = connection.execute(sa.text("SELECT stream_id, status FROM stream")).all()
    # handler_lost did not exist before: such streams go back to 'restart',
    # the status from which a handler picks a stream up again.
    assert rows == [("s-lost", "restart")]


def test_backport3_credentials_move_keeps_accounts_and_tokens(fresh_db):
    ids = revisions("backport3")
    cli_ok("upgrade", ids[0], "--schema", "backport3", "--dsn", fresh_db.dsn)
    with engine(fresh_db).begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO account (account_id, active, password, email, organization_name)"
                " VALUES ('a-1', true, 'pw-hash', 'a@example.org', 'Org')"
            )
        )
        connection.execute(
            sa.text("INSERT INTO account_token (token_id, account_id, token_info) VALUES ('t-1', 'a-1', 'tok')")
        )
    cli_ok("upgrade", "head", "--schema", "backport3", "--dsn", fresh_db.dsn)
    with engine(fresh_db).connect() as connection:
        assert connection.execute(sa.text("SELECT account_id, active FROM account")).all() == [("a-1", True)]
        assert connection.execute(sa.text("SELECT token_id, token FROM account_token")).all() == [("t-1", "tok")]

    cli_ok("downgrade", ids[0], "--schema", "backport3", "--dsn", fresh_db.dsn)
    with engine(fresh_db).connect() as connection:
        account = connection.execute(
            sa.text("SELECT account_id, active, password, email, organization_name FROM account")
        ).one()
        token = connection.execute(sa.text("SELECT token_id, token_info FROM account_token")).one()
    assert account[:2] == ("a-1", True)
    assert token == ("t-1", "tok")


@pytest.mark.pgversions
@pytest.mark.parametrize("schema", SCHEMAS)
def test_status_and_current_follow_the_database(fresh_db, schema):
    ids = revisions(schema)
    behind = invoke("status", "--schema", schema, "--dsn", fresh_db.dsn, "--json")
    assert behind.exit_code == 1
    import json

    report = json.loads(behind.stdout)
    assert report["current"] == [] and report["pending"] == ids and report["heads"] == [ids[-1]]

    cli_ok("upgrade", ids[1], "--schema", schema, "--dsn", fresh_db.dsn)
    report = json.loads(invoke("status", "--schema", schema, "--dsn", fresh_db.dsn, "--json").stdout)
    assert report["current"] == [ids[1]] and report["pending"] == ids[2:]
    assert invoke("current", "--schema", schema, "--dsn", fresh_db.dsn).stdout.strip() == ids[1]

    cli_ok("upgrade", "--schema", schema, "--dsn", fresh_db.dsn)
    at_head = invoke("status", "--schema", schema, "--dsn", fresh_db.dsn)
    assert at_head.exit_code == 0
    assert "at head" in at_head.stdout


@pytest.mark.pgversions
def test_dry_run_plans_without_changing_anything(fresh_db):
    ids = revisions("backport3")
    result = invoke("upgrade", "--schema", "backport3", "--dsn", fresh_db.dsn, "--dry-run", "--json")
    assert result.exit_code == 0, result.stderr
    import json

    plan = json.loads(result.stdout)
    assert [step["revision"] for step in plan["steps"]] == ids
    assert all(step["message"] for step in plan["steps"])
    with engine(fresh_db).connect() as connection:
        assert sa.inspect(connection).get_table_names() == []


def test_stamp_records_a_revision_without_running_it(fresh_db):
    ids = revisions("streams")
    cli_ok("stamp", ids[-1], "--schema", "streams", "--dsn", fresh_db.dsn)
    with engine(fresh_db).connect() as connection:
        assert set(sa.inspect(connection).get_table_names()) == {"alembic_version", "luna_db_audit"}
        assert connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == ids[-1]


def test_views_are_recreated(head_db):
    fresh_db = head_db("streams")
    with engine(fresh_db).begin() as connection:
        connection.execute(sa.text("DROP VIEW group_view"))
    result = cli_ok("views", "--schema", "streams", "--dsn", fresh_db.dsn)
    assert "group_view" in result.stdout and "stream_view" in result.stdout
    with engine(fresh_db).connect() as connection:
        assert set(sa.inspect(connection).get_view_names()) == {"stream_view", "group_view"}


@pytest.mark.parametrize(
    "args",
    [
        ("upgrade", "nosuchrev"),
        ("downgrade", "nosuchrev"),
        ("stamp", "nosuchrev"),
    ],
)
def test_unknown_revision_is_bad_input(fresh_db, args):
    result = invoke(*args, "--schema", "streams", "--dsn", fresh_db.dsn)
    assert result.exit_code == 2
    assert "nosuchrev" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.pgversions
def test_a_failing_revision_leaves_the_database_at_the_last_completed_one(fresh_db):
    """A table in the way of a later revision makes that revision fail; PostgreSQL
    rolls it back and the database stays at the revision before."""
    ids = revisions("streams")
    cli_ok("upgrade", ids[1], "--schema", "streams", "--dsn", fresh_db.dsn)
    with engine(fresh_db).begin() as connection:
        connection.execute(sa.text("CREATE TABLE location (in_the_way integer)"))
    result = invoke("upgrade", "--schema", "streams", "--dsn", fresh_db.dsn)
    assert result.exit_code == 1
    assert f"in revision {ids[2]}" in result.stderr
    assert f"the database is at revision {ids[1]}" in result.stderr
    with engine(fresh_db).connect() as connection:
        assert connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == ids[1]
        assert "restart" not in sa.inspect(connection).get_table_names()


@pytest.mark.parametrize("schema", SCHEMAS)
def test_plain_alembic_with_x_arguments(fresh_db, schema):
    """People and tools that drive Alembic directly: `alembic -x schema -x dsn upgrade head`."""
    alembic = [sys.executable, "-m", "alembic"]
    environ = {**os.environ, "PYTHONPATH": str(ROOT)}
    upgrade = subprocess.run(
        [*alembic, "-x", f"schema={schema}", "-x", f"dsn={fresh_db.dsn}", "upgrade", "head"],
        cwd=ROOT, capture_output=True, text=True, env=environ, timeout=120,
    )
    assert upgrade.returncode == 0, upgrade.stderr
    assert fresh_db.server.password not in upgrade.stderr + upgrade.stdout
    current = subprocess.run(
        [*alembic, "-x", f"schema={schema}", "-x", f"dsn={fresh_db.dsn}", "current"],
        cwd=ROOT, capture_output=True, text=True, env=environ, timeout=120,
    )
    assert current.returncode == 0, current.stderr
    assert schema_history.heads(schema)[0] in current.stdout


@pytest.mark.parametrize("schema", SCHEMAS)
def test_the_head_read_without_alembic_is_alembics_head(schema):
    from luna_db_tools.script.revisions import head_revision

    assert [head_revision(schema)] == schema_history.heads(schema)
