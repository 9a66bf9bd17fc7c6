"""Live Oracle: what the offline checks cannot show. Run wherever an Oracle server is
reachable (tests/oraclehelpers.py); skipped, with the reason, everywhere else."""

from __future__ import annotations

import json
import threading
import time

import pytest

from luna_db_tools import commands
from luna_db_tools.locking import migration_lock
from luna_db_tools.pgcluster import free_port
from luna_db_tools.schemas import load_models
from luna_db_tools.settings import ConnectionOptions, resolve_settings
from tests.clirunner import invoke, run_process

pytestmark = pytest.mark.oracle

SCHEMAS = ["streams", "backport3"]


def ok(*args: str):
    result = invoke(*args)
    assert result.exit_code == 0, result.stderr
    return result


def status_of(db, schema: str) -> tuple[int, dict]:
    result = invoke("status", "--schema", schema, "--dsn", db.dsn, "--json")
    return result.exit_code, json.loads(result.stdout)


@pytest.mark.parametrize("schema", SCHEMAS)
def test_create_builds_every_table_and_view_and_stamps_the_head(oracle_db, schema):
    ok("create", "--schema", schema, "--dsn", oracle_db.dsn)
    models = load_models(schema)
    assert oracle_db.tables() >= set(models.metadata.tables) | {"alembic_version", "luna_db_audit"}
    assert oracle_db.views() == set(models.metadata.info.get("views", {}))
    assert oracle_db.query("SELECT version_num FROM alembic_version") == [(commands.heads(schema)[0],)]
    # Booleans: NUMBER columns with their named CHECK (x IN (0, 1)).
    checks = {name.lower() for (name,) in oracle_db.query(
        "SELECT constraint_name FROM user_constraints WHERE constraint_type = 'C' AND generated = 'USER NAME'"
    )}
    expected = {c.name for t in models.metadata.tables.values() for c in t.constraints
                if c.__class__.__name__ == "CheckConstraint"}
    assert expected <= checks
    code, status = status_of(oracle_db, schema)
    assert code == 0 and status["drift"] == [] and status["unfinished"] == [], status


def test_a_stream_without_name_or_description_inserts_and_reads_back_empty(oracle_db):
    """'' is NULL on Oracle: the EmptyString columns take it, and the models give '' back."""
    import sqlalchemy as sa

    from luna_db_tools.connection import connect
    from luna_db_tools.models import streams

    ok("create", "--schema", "streams", "--dsn", oracle_db.dsn)
    settings = resolve_settings(ConnectionOptions(schema="streams", dsn=oracle_db.dsn))
    with connect(settings) as connection:
        connection.execute(sa.insert(streams.Stream.__table__).values(
            stream_id="s-1", account_id="a-1", name="", data="{}", event_handler="{}", policies="{}",
            status="pending",
        ))
        connection.commit()
        row = connection.execute(sa.select(streams.Stream.__table__.c.name, streams.Stream.__table__.c.description)).one()
    assert tuple(row) == ("", "")


@pytest.mark.parametrize("schema", SCHEMAS)
def test_upgrade_from_base_to_head_and_down_to_base(oracle_db, schema):
    ok("upgrade", "--schema", schema, "--dsn", oracle_db.dsn)
    tables = set(load_models(schema).metadata.tables)
    assert oracle_db.tables() >= tables
    code, status = status_of(oracle_db, schema)
    assert code == 0 and status["at_head"] and status["drift"] == [], status
    ok("downgrade", "base", "--schema", schema, "--dsn", oracle_db.dsn)
    assert not oracle_db.tables() & tables
    assert oracle_db.views() == set()


def test_views_are_dropped_and_recreated(oracle_db):
    ok("create", "--schema", "streams", "--dsn", oracle_db.dsn)
    ok("views", "--schema", "streams", "--dsn", oracle_db.dsn)
    assert oracle_db.views() == {"stream_view", "group_view"}
    assert oracle_db.query("SELECT count(*) FROM stream_view") == [(0,)]


def test_status_names_a_column_added_by_hand(oracle_db):
    ok("create", "--schema", "backport3", "--dsn", oracle_db.dsn)
    oracle_db.execute("ALTER TABLE account ADD extra NUMBER")
    code, status = status_of(oracle_db, "backport3")
    assert code == 1
    assert {"kind": "extra column", "object": "account.extra", "detail": ""} in status["drift"]


def test_a_dead_host_first_in_the_address_list_is_passed_over(oracle_db):
    server = oracle_db.server
    dsn = (f"oracle://{oracle_db.user}:{oracle_db.password}@127.0.0.1:{free_port()},"
           f"{server.host}:{server.port}/{server.service}")
    result = ok("current", "--schema", "streams", "--dsn", dsn, "--connect-retries", "1")
    assert "base" in result.stdout


def test_the_migration_lock_makes_a_second_run_wait_and_bounds_the_wait(oracle_db):
    settings = resolve_settings(ConnectionOptions(schema="backport3", dsn=oracle_db.dsn))
    release = threading.Event()
    held = threading.Event()

    def hold():
        with migration_lock(settings, timeout=30):
            held.set()
            release.wait(60)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(60)
        began = time.monotonic()
        refused = run_process("upgrade", "--schema", "backport3", "--dsn", oracle_db.dsn, "--lock-timeout", "2")
        assert refused.returncode == 1, refused.stderr
        assert "migration lock" in refused.stderr and "held by" in refused.stderr
        assert time.monotonic() - began < 30
        waiter = run_process("upgrade", "--schema", "backport3", "--dsn", oracle_db.dsn, "--lock-timeout", "60",
                             background=True)
        time.sleep(3)
        release.set()
        _, stderr = waiter.communicate(timeout=120)
        assert waiter.returncode == 0, stderr
        assert "waiting for the migration lock" in stderr
    finally:
        release.set()
        holder.join()
    assert oracle_db.query("SELECT version_num FROM alembic_version") == [(commands.heads("backport3")[0],)]


def test_a_part_applied_revision_is_reported_and_completed_by_a_rerun(oracle_db):
    """b0002 fails after its DDL has dropped columns (Oracle commits each): status says
    part-applied; once the obstacle is gone, a rerun steps over what is done."""
    ok("upgrade", "b0001", "--schema", "backport3", "--dsn", oracle_db.dsn)
    # Constraint names are unique per schema: b0002's RENAME CONSTRAINT will hit this one.
    oracle_db.execute("CREATE TABLE obstacle (x NUMBER CONSTRAINT uq_account_token_token UNIQUE)")
    failed = invoke("upgrade", "--schema", "backport3", "--dsn", oracle_db.dsn)
    assert failed.exit_code == 1
    assert "b0002" in failed.stderr
    columns = {name.lower() for (name,) in oracle_db.query(
        "SELECT column_name FROM user_tab_columns WHERE table_name = 'ACCOUNT'")}
    assert "password" not in columns  # part of b0002 is done...
    assert oracle_db.query("SELECT version_num FROM alembic_version") == [("b0001",)]  # ...but not recorded
    code, status = status_of(oracle_db, "backport3")
    assert code == 1
    assert [(s["revision"], s["direction"], s["state"]) for s in status["unfinished"]] == [("b0002", "up", "part-applied")]

    oracle_db.execute("DROP TABLE obstacle")
    rerun = invoke("upgrade", "--schema", "backport3", "--dsn", oracle_db.dsn)
    assert rerun.exit_code == 0, rerun.stderr
    assert "completing b0002" in rerun.stdout and "already done, skipped" in rerun.stdout
    code, status = status_of(oracle_db, "backport3")
    assert code == 0 and status["unfinished"] == [] and status["drift"] == [], status
