"""One migration at a time: concurrent replicas, a held lock, a bounded wait."""

from __future__ import annotations

import re
import time
from collections import Counter

import psycopg2
import pytest
import sqlalchemy as sa

from luna_db_tools.db.lock import MIGRATION_LOCK_KEY
from luna_db_tools.script import history as schema_history
from tests.clirunner import invoke, run_process
from tests.pghelpers import pg_dump_schema, read_until


def test_eight_replicas_upgrading_at_once_apply_each_revision_once(fresh_db, head_templates, pg_server):
    processes = [
        run_process("upgrade", "--schema", "streams", "--dsn", fresh_db.dsn, background=True)
        for _ in range(8)
    ]
    outputs = [process.communicate(timeout=180) for process in processes]
    for process, (_stdout, stderr) in zip(processes, outputs):
        assert process.returncode == 0, stderr
    applied = Counter(
        revision for stdout, _ in outputs for revision in re.findall(r"^upgraded to (\S+)", stdout, re.M)
    )
    assert applied == Counter({revision["id"]: 1 for revision in schema_history.history("streams")})
    with sa.create_engine(fresh_db.url, poolclass=sa.pool.NullPool).connect() as connection:
        audited = connection.execute(sa.text("SELECT revision FROM luna_db_audit WHERE direction = 'up' AND outcome = 'done'")).scalars().all()
    assert Counter(audited) == applied

    # The same shape as `luna-db create` builds.
    assert pg_dump_schema(pg_server, fresh_db.name) == head_templates.dump("streams")


def _hold_lock(server, database):
    holder = psycopg2.connect(
        host=server.host, port=server.port, user=server.user, password=server.password,
        dbname=database, application_name="test lock holder",
    )
    holder.autocommit = True
    holder.cursor().execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK_KEY,))
    return holder


@pytest.mark.pgversions
@pytest.mark.pgedges
def test_a_held_lock_makes_a_short_wait_fail_in_bounded_time_naming_the_holder(fresh_db, pg_server):
    holder = _hold_lock(pg_server, fresh_db.name)
    try:
        started = time.monotonic()
        result = invoke("upgrade", "--schema", "backport3", "--dsn", fresh_db.dsn, "--lock-timeout", "1")
        elapsed = time.monotonic() - started
    finally:
        holder.close()
    assert result.exit_code == 1
    assert "could not get the migration lock" in result.stderr
    assert "test lock holder" in result.stderr
    assert elapsed < 1 + 5
    assert invoke("current", "--schema", "backport3", "--dsn", fresh_db.dsn).stdout.startswith("base")


@pytest.mark.pgversions
@pytest.mark.pgedges
def test_a_waiter_reports_the_holder_once_and_proceeds_when_it_is_released(fresh_db, pg_server):
    holder = _hold_lock(pg_server, fresh_db.name)
    waiter = run_process(
        "upgrade", "--schema", "backport3", "--dsn", fresh_db.dsn, "--lock-timeout", "60", background=True,
    )
    try:
        # Waiting, it says so on stderr (click flushes each line) and goes on waiting.
        waited = read_until(waiter.stderr, "waiting for the migration lock")
        assert waiter.poll() is None, "the waiter should still be waiting"
    finally:
        holder.close()  # the session ends: the lock dies with it
    # Not communicate(): it reads the raw pipes, past what read_until buffered. The
    # rest is far smaller than a pipe's buffer, so wait() cannot block on it.
    waiter.wait(timeout=60)
    stdout = waiter.stdout.read()
    stderr = waited + waiter.stderr.read()
    assert waiter.returncode == 0, stderr
    assert stderr.count("waiting for the migration lock, held by 'test lock holder'") == 1
    assert "waiting" not in stdout  # progress goes to stderr
    assert "upgraded to b0004" in stdout


@pytest.mark.pgversions
@pytest.mark.pgedges
def test_sixteen_replicas_creating_at_once_all_succeed_with_one_schema(fresh_db, second_db, pg_server):
    """An init container in every pod runs `create`: one builds, the others wait
    for the lock, find the schema at its head and succeed without a change."""
    processes = [
        run_process("create", "--schema", "backport3", "--dsn", fresh_db.dsn, background=True) for _ in range(16)
    ]
    results = [(process, *process.communicate(timeout=240)) for process in processes]
    assert [process.returncode for process, _, _ in results] == [0] * 16, [stderr for _, _, stderr in results]
    outputs = [stdout + stderr for _, stdout, stderr in results]
    assert sum("already created" in output for output in outputs) == 15
    with sa.create_engine(fresh_db.url, poolclass=sa.pool.NullPool).connect() as connection:
        creates = connection.execute(sa.text("SELECT count(*) FROM luna_db_audit WHERE direction = 'create'")).scalar()
    assert creates == 1
    assert invoke("create", "--schema", "backport3", "--dsn", pg_server.dsn(second_db)).exit_code == 0
    assert pg_dump_schema(pg_server, fresh_db.name) == pg_dump_schema(pg_server, second_db)


def test_create_on_a_database_at_another_revision_still_refuses(fresh_db):
    assert invoke("upgrade", "b0002", "--schema", "backport3", "--dsn", fresh_db.dsn).exit_code == 0
    result = invoke("create", "--schema", "backport3", "--dsn", fresh_db.dsn)
    assert result.exit_code == 2 and "already holds" in result.stderr
