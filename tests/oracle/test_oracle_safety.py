"""Live Oracle: the migration lock on its own session, and a part-applied revision
completed by a rerun (Oracle commits DDL statement by statement)."""

from __future__ import annotations

import json
import threading
import time

import pytest

from luna_db_tools.config.settings import ConnectionOptions, resolve_settings
from luna_db_tools.db.lock import migration_lock
from luna_db_tools.script import history as schema_history
from tests.clirunner import invoke, run_process

pytestmark = pytest.mark.oracle


def status_of(db, schema: str) -> tuple[int, dict]:
    result = invoke("status", "--schema", schema, "--dsn", db.dsn, "--json")
    return result.exit_code, json.loads(result.stdout)


def version_of(db) -> list[str]:
    return [row[0] for row in db.fetch_all("SELECT version_num FROM alembic_version")]


def test_the_migration_lock_makes_a_second_run_wait_and_bounds_the_wait(oracle_db):
    settings = resolve_settings(ConnectionOptions(schema="backport3", dsn=oracle_db.dsn))
    release, held = threading.Event(), threading.Event()

    def hold():
        with migration_lock(settings, timeout=30):
            held.set()
            release.wait(120)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(60)
        began = time.monotonic()
        refused = run_process("upgrade", "--schema", "backport3", "--dsn", oracle_db.dsn, "--lock-timeout", "2")
        assert refused.returncode == 1, refused.stderr
        assert "migration lock" in refused.stderr and "held by" in refused.stderr
        assert time.monotonic() - began < 60
        waiter = run_process("upgrade", "--schema", "backport3", "--dsn", oracle_db.dsn, "--lock-timeout", "90",
                             background=True)
        time.sleep(5)
        release.set()
        _, stderr = waiter.communicate(timeout=180)
        assert waiter.returncode == 0, stderr
        assert "waiting for the migration lock" in stderr
    finally:
        release.set()
        holder.join()
    assert version_of(oracle_db) == [schema_history.heads("backport3")[0]]


def test_a_part_applied_revision_is_reported_and_completed_by_a_rerun(oracle_db):
    """b0002 fails after its first DDL statements have committed: status says part-applied;
    once the obstacle is gone, a rerun steps over what is done and completes it."""
    assert invoke("upgrade", "b0001", "--schema", "backport3", "--dsn", oracle_db.dsn).exit_code == 0
    # Constraint names are unique per schema: b0002's RENAME CONSTRAINT runs into this one.
    oracle_db.execute("CREATE TABLE obstacle (x NUMBER CONSTRAINT uq_account_token_token UNIQUE)")
    failed = invoke("upgrade", "--schema", "backport3", "--dsn", oracle_db.dsn)
    assert failed.exit_code == 1
    assert "b0002" in failed.stderr
    columns = {name.lower() for (name,) in oracle_db.fetch_all(
        "SELECT column_name FROM user_tab_columns WHERE table_name = 'ACCOUNT'")}
    assert "password" not in columns  # part of b0002 is done...
    assert version_of(oracle_db) == ["b0001"]  # ...and not recorded
    code, status = status_of(oracle_db, "backport3")
    assert code == 1
    assert [(s["revision"], s["direction"], s["state"]) for s in status["unfinished"]] == [
        ("b0002", "up", "part-applied")
    ]

    oracle_db.execute("DROP TABLE obstacle")
    rerun = invoke("upgrade", "--schema", "backport3", "--dsn", oracle_db.dsn)
    assert rerun.exit_code == 0, rerun.stderr
    assert "completing b0002" in rerun.stdout and "already done, skipped" in rerun.stdout
    code, status = status_of(oracle_db, "backport3")
    assert code == 0 and status["unfinished"] == [] and status["drift"] == [], status
