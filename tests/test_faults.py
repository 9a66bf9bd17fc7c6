"""Faults during a run: a killed run's statement, an old snapshot
during an online index build, a dead run's leftovers; on a real PostgreSQL."""

from __future__ import annotations

import json
import os
import signal
import threading
import time

import psycopg2
import pytest

from luna_db_tools.db.server_version import POSTGRESQL_FEATURES
from tests.clirunner import invoke, run_process
from tests.pghelpers import (
    fetch_all,
    pg_dump_schema,
    server_major,
    wait_until_a_lock_wait_lasted,
    wait_until_running,
)

pytestmark = pytest.mark.pgversions

LOG_ROWS = 300_000


def _connect(db, application: str):
    server = db.server
    connection = psycopg2.connect(
        host=server.host, port=server.port, user=server.user, password=server.password,
        dbname=db.name, application_name=application,
    )
    return connection


def _at_s0004_with_a_big_log(db) -> None:
    """streams at s0004, its log filled, and index builds made slow (small sort memory)."""
    assert invoke("upgrade", "s0004", "--schema", "streams", "--dsn", db.dsn).exit_code == 0
    fetch_all(db.server, db.name, f"""
        INSERT INTO log (stream_id, time, status)
        SELECT md5(g::text), timestamp '2024-01-01' + g * interval '1 second', 'done'
        FROM generate_series(1, {LOG_ROWS}) g""")
    # New sessions (the migration's) sort in 1 MB: an external sort, so the
    # build of s0005's index lasts long enough to be caught in the middle.
    fetch_all(db.server, db.name, f'ALTER DATABASE "{db.name}" SET maintenance_work_mem = \'1MB\'')


def _wait_for_index_build(db, timeout: float = 60) -> int:
    """The server pid of the index build once it is building."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = fetch_all(db.server, db.name,
                         "SELECT pid FROM pg_stat_progress_create_index WHERE phase LIKE 'building index%'")
        if rows:
            return rows[0][0]
        time.sleep(0.05)
    pytest.fail("the index build never started")


def _index_states(db) -> list[tuple[str, bool]]:
    return fetch_all(db.server, db.name, """
        SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE c.relname = 'ix_log_stream_id_time'""")


def _backend_alive(db, pid: int) -> bool:
    return bool(fetch_all(db.server, db.name, "SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)))


def _status(db) -> dict:
    return json.loads(invoke("status", "--schema", "streams", "--dsn", db.dsn, "--json").stdout)


@pytest.mark.parametrize("signal_number", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "sigterm"])
def test_a_run_killed_mid_index_build_stops_its_statement_and_an_immediate_rerun_succeeds(
        fresh_db, second_db, pg_server, signal_number):
    _at_s0004_with_a_big_log(fresh_db)
    upgrade = run_process("upgrade", "--schema", "streams", "--dsn", fresh_db.dsn, background=True)
    build_pid = _wait_for_index_build(fresh_db)
    shown = _status(fresh_db)["unfinished"]
    assert [(s["revision"], s["state"], s["pid"]) for s in shown] == [("s0005", "in progress", build_pid)]

    os.kill(upgrade.pid, signal_number)
    upgrade.communicate(timeout=30)
    killed = time.monotonic()
    # The immediate rerun: it must neither collide with the orphaned build
    # (deadlock detected, tuple concurrently updated) nor start beside it.
    rerun = run_process("upgrade", "--schema", "streams", "--dsn", fresh_db.dsn)
    assert rerun.returncode == 0, rerun.stderr
    assert "deadlock" not in rerun.stderr + rerun.stdout
    assert not _backend_alive(fresh_db, build_pid)
    # client_connection_check_interval (14+): the server stopped the orphan within about a
    # second. Before 14 the orphan builds on to its end holding the migration lock, and the
    # rerun waits for it, then keeps the valid index it left.
    assert time.monotonic() - killed < 60
    assert _index_states(fresh_db) == [("ix_log_stream_id_time", True)]
    # The killed run's audit row was closed by the rerun, and the step completed.
    outcomes = fetch_all(pg_server, fresh_db.name,
                         "SELECT outcome FROM luna_db_audit WHERE revision = 's0005' ORDER BY started_at")
    assert outcomes == [("abandoned",), ("done",)]
    assert _status(fresh_db)["unfinished"] == []
    assert invoke("create", "--schema", "streams", "--dsn", pg_server.dsn(second_db)).exit_code == 0
    assert pg_dump_schema(pg_server, fresh_db.name) == pg_dump_schema(pg_server, second_db)


def test_the_server_stops_a_dead_clients_index_build_within_seconds(fresh_db, pg_server):
    major = server_major(pg_server)
    if not major >= POSTGRESQL_FEATURES["client_connection_check_interval"][0]:
        pytest.skip(f"PostgreSQL {major} has no client_connection_check_interval: the orphan builds on"
                    " (the rerun waits for it, test_a_run_killed_mid_index_build_...)")
    _at_s0004_with_a_big_log(fresh_db)
    upgrade = run_process("upgrade", "--schema", "streams", "--dsn", fresh_db.dsn, background=True)
    build_pid = _wait_for_index_build(fresh_db)
    os.kill(upgrade.pid, signal.SIGKILL)
    upgrade.communicate(timeout=30)
    killed = time.monotonic()
    while _backend_alive(fresh_db, build_pid):
        assert time.monotonic() - killed < 3, "the orphaned build outlived its client by 3 s"
        time.sleep(0.05)


def test_a_statement_left_running_by_a_dead_run_is_shown_waited_for_and_named(fresh_db, pg_server):
    """As a luna-db that held its lock on another session would leave it: a
    `running` audit row, and a luna-db session still busy with a statement."""
    assert invoke("upgrade", "s0004", "--schema", "streams", "--dsn", fresh_db.dsn).exit_code == 0
    fetch_all(pg_server, fresh_db.name, """
        INSERT INTO luna_db_audit (audit_id, revision, direction, outcome, started_at, tool_version, os_user, os_host)
        VALUES ('dead', 's0005', 'up', 'running', now() AT TIME ZONE 'utc', 'old', 'ops', 'pod-1')""")
    orphan = _connect(fresh_db, "luna-db")
    orphan.autocommit = True
    orphan_pid = orphan.get_backend_pid()
    sleeper = threading.Thread(target=lambda: orphan.cursor().execute("SELECT pg_sleep(4)"))
    sleeper.start()
    try:
        wait_until_running(pg_server, fresh_db.name, orphan_pid)
        shown = _status(fresh_db)["unfinished"]
        assert [(s["revision"], s["state"], s["pid"]) for s in shown] == [("s0005", "in progress", orphan_pid)]
        text = invoke("status", "--schema", "streams", "--dsn", fresh_db.dsn).stdout
        assert f"still running (server pid {orphan_pid}" in text
        started = time.monotonic()
        result = invoke("upgrade", "--schema", "streams", "--dsn", fresh_db.dsn)
        waited = time.monotonic() - started
    finally:
        sleeper.join()
        orphan.close()
    assert result.exit_code == 0, result.stderr
    assert f"waiting for statements an earlier luna-db run left running: server pid {orphan_pid}" in result.output
    assert waited > 2
    assert "closed the audit row of up s0005" in result.output
    outcomes = fetch_all(pg_server, fresh_db.name,
                         "SELECT audit_id, outcome FROM luna_db_audit WHERE revision = 's0005' ORDER BY started_at")
    assert outcomes[0] == ("dead", "abandoned") and outcomes[-1][1] == "done"


def test_a_dead_runs_statement_that_outlasts_the_lock_timeout_is_reported_by_pid(fresh_db):
    assert invoke("upgrade", "s0004", "--schema", "streams", "--dsn", fresh_db.dsn).exit_code == 0
    orphan = _connect(fresh_db, "luna-db")
    orphan.autocommit = True
    orphan_pid = orphan.get_backend_pid()
    sleeper = threading.Thread(target=lambda: orphan.cursor().execute("SELECT pg_sleep(5)"))
    sleeper.start()
    try:
        wait_until_running(fresh_db.server, fresh_db.name, orphan_pid)
        result = invoke("upgrade", "--schema", "streams", "--dsn", fresh_db.dsn, "--lock-timeout", "1")
    finally:
        sleeper.join()
        orphan.close()
    assert result.exit_code == 1
    assert f"server pid {orphan_pid}" in result.stderr
    assert "pg_cancel_backend" in result.stderr
    assert _status(fresh_db)["current"] == ["s0004"]


# --- online index builds and old snapshots ------------------------------------------


def _old_snapshot(db):
    """An idle-in-transaction client holding a snapshot, on another table than the index's."""
    reader = _connect(db, "nightly report")
    reader.set_session(isolation_level="REPEATABLE READ")
    reader.cursor().execute("SELECT count(*) FROM stream")
    return reader


def test_an_old_snapshot_makes_the_build_wait_naming_it_then_it_completes_once(fresh_db, pg_server):
    assert invoke("upgrade", "s0004", "--schema", "streams", "--dsn", fresh_db.dsn).exit_code == 0
    reader = _old_snapshot(fresh_db)
    reader_pid = reader.get_backend_pid()
    upgrade = run_process("upgrade", "--schema", "streams", "--dsn", fresh_db.dsn, "--db-lock-timeout", "1",
                          background=True)
    try:
        # The build has waited for the reader three times as long as the lock timeout, and still runs.
        wait_until_a_lock_wait_lasted(pg_server, fresh_db.name, 3)
        assert upgrade.poll() is None, upgrade.communicate()
    finally:
        reader.close()
    stdout, stderr = upgrade.communicate(timeout=60)
    assert upgrade.returncode == 0, stderr
    output = stdout + stderr
    assert f"waits for older transactions to end: pid {reader_pid} (application 'nightly report'" in output
    assert "retrying" not in output
    assert _index_states(fresh_db) == [("ix_log_stream_id_time", True)]


def test_a_build_that_outwaits_the_index_wait_timeout_fails_once_and_leaves_no_invalid_index(fresh_db):
    assert invoke("upgrade", "s0004", "--schema", "streams", "--dsn", fresh_db.dsn).exit_code == 0
    reader = _old_snapshot(fresh_db)
    try:
        started = time.monotonic()
        result = invoke("upgrade", "--schema", "streams", "--dsn", fresh_db.dsn, "--index-wait-timeout", "2")
        elapsed = time.monotonic() - started
        assert result.exit_code == 1
        assert "--index-wait-timeout 2 s" in result.stderr
        assert "retrying" not in result.output
        assert elapsed < 15  # one wait, not four
        assert _index_states(fresh_db) == []  # no INVALID index left behind
    finally:
        reader.close()
    assert invoke("upgrade", "--schema", "streams", "--dsn", fresh_db.dsn).exit_code == 0
    assert _index_states(fresh_db) == [("ix_log_stream_id_time", True)]


def test_an_invalid_index_of_a_dead_run_is_dropped_by_the_next_run_whatever_it_does(fresh_db):
    assert invoke("upgrade", "s0004", "--schema", "streams", "--dsn", fresh_db.dsn).exit_code == 0
    # What an interrupted CREATE INDEX CONCURRENTLY leaves: the index, INVALID.
    fetch_all(fresh_db.server, fresh_db.name, "CREATE INDEX ix_log_stream_id_time ON log (stream_id, time)")
    fetch_all(fresh_db.server, fresh_db.name, """UPDATE pg_index SET indisvalid = false
        WHERE indexrelid = 'ix_log_stream_id_time'::regclass""")
    result = invoke("downgrade", "s0003", "--schema", "streams", "--dsn", fresh_db.dsn)
    assert result.exit_code == 0, result.stderr
    assert "dropped the INVALID index ix_log_stream_id_time" in result.output
    assert _index_states(fresh_db) == []


def test_a_valid_index_of_a_run_that_died_before_stamping_is_kept_not_rebuilt(fresh_db):
    assert invoke("upgrade", "s0004", "--schema", "streams", "--dsn", fresh_db.dsn).exit_code == 0
    fetch_all(fresh_db.server, fresh_db.name, "CREATE INDEX ix_log_stream_id_time ON log (stream_id, time)")
    (oid_before,) = fetch_all(fresh_db.server, fresh_db.name, "SELECT 'ix_log_stream_id_time'::regclass::oid")[0]
    result = invoke("upgrade", "--schema", "streams", "--dsn", fresh_db.dsn)
    assert result.exit_code == 0, result.stderr
    assert "index ix_log_stream_id_time was built by an earlier run; kept" in result.output
    (oid_after,) = fetch_all(fresh_db.server, fresh_db.name, "SELECT 'ix_log_stream_id_time'::regclass::oid")[0]
    assert oid_after == oid_before


# --- a silent host --------------------------------------------------------------------


class SilentHost:
    """A listening socket that accepts connections and never says a word (a hung server)."""

    def __init__(self):
        import socket

        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.accepted: list = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.accepted.append(client)  # held open, never answered

    def close(self):
        self.listener.close()
        for client in self.accepted:
            client.close()


def test_a_silent_host_first_in_the_dsn_costs_one_connect_timeout_per_run(fresh_db, pg_server):
    silent = SilentHost()
    dsn = (f"{pg_server.user}:{fresh_db.dsn.split('@')[0].split(':', 1)[1]}@127.0.0.1:{silent.port},"
           f"{pg_server.host}:{pg_server.port}/{fresh_db.name}?connect_timeout=2")
    try:
        started = time.monotonic()
        result = run_process("upgrade", "--schema", "backport3", "--dsn", dsn)
        elapsed = time.monotonic() - started
    finally:
        silent.close()
    assert result.returncode == 0, result.stderr
    assert "upgraded to b0004" in result.stdout
    # The run opened several connections (pooler probe, migration session,
    # ...); only the first one went to the silent host.
    assert len(silent.accepted) == 1
    assert 2 <= elapsed < 2 + 8


# --- the server's own reason ---------------------------------------------------------


def test_a_terminated_session_reports_the_servers_reason_in_the_message_and_the_audit_row(fresh_db, pg_server):
    _at_s0004_with_a_big_log(fresh_db)
    upgrade = run_process("upgrade", "--schema", "streams", "--dsn", fresh_db.dsn, background=True)
    build_pid = _wait_for_index_build(fresh_db)
    fetch_all(pg_server, fresh_db.name, "SELECT pg_terminate_backend(%s)", (build_pid,))
    stdout, stderr = upgrade.communicate(timeout=60)
    assert upgrade.returncode == 1
    # libpq drops the server's FATAL text; luna-db asks the server what happened.
    assert "server closed the connection unexpectedly (the server ended the session: pg_terminate_backend" in stderr
    assert "Can't reconnect" not in stderr + stdout
    rows = fetch_all(pg_server, fresh_db.name,
                     "SELECT outcome, error FROM luna_db_audit WHERE revision = 's0005' ORDER BY started_at")
    assert len(rows) == 1
    outcome, error = rows[0]
    assert "Can't reconnect" not in (error or "")
    if outcome == "failed":
        assert "closed the connection" in error
    else:  # the row could not be written on the lost session: the next run closes it
        assert outcome == "running"
        assert invoke("upgrade", "--schema", "streams", "--dsn", fresh_db.dsn).exit_code == 0
        assert fetch_all(pg_server, fresh_db.name, "SELECT outcome FROM luna_db_audit WHERE revision = 's0005'"
                         " ORDER BY started_at")[0] == ("abandoned",)
