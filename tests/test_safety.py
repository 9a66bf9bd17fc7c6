"""Safety on a real PostgreSQL: the audit trail, bounded lock waits, kill -9 at
any moment, and bad input that never shows a traceback or a password."""

from __future__ import annotations

import json
import os
import signal
import threading
import time

import psycopg2
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from luna_db_tools import __version__
from luna_db_tools.config.dsn import parse_dsn
from luna_db_tools.db.audit import file_checksum
from luna_db_tools.errors import DsnError
from luna_db_tools.runtime.environment import make_config
from luna_db_tools.script import history as schema_history
from tests.clirunner import invoke, run_process
from tests.pghelpers import engine, pg_dump_schema, wait_until_waiting_on_a_lock


def audit(db):
    with engine(db).connect() as connection:
        return connection.execute(sa.text(
            "SELECT revision, direction, checksum, tool_version, os_user, os_host, duration_ms"
            " FROM luna_db_audit WHERE outcome = 'done' ORDER BY started_at"
        )).all()


def revision_path(schema, revision):
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(make_config(schema)).get_revision(revision).path


def test_every_revision_applied_or_reverted_leaves_an_audit_row(fresh_db):
    assert invoke("upgrade", "--schema", "backport3", "--dsn", fresh_db.dsn).exit_code == 0
    assert invoke("downgrade", "-1", "--schema", "backport3", "--dsn", fresh_db.dsn).exit_code == 0
    rows = audit(fresh_db)
    assert [(r.revision, r.direction) for r in rows] == [
        ("b0001", "up"), ("b0002", "up"), ("b0003", "up"), ("b0004", "up"), ("b0004", "down"),
    ]
    for row in rows:
        assert row.checksum == file_checksum(revision_path("backport3", row.revision))
        assert row.tool_version == __version__
        assert row.os_user and row.os_host and row.duration_ms >= 0
    shown = json.loads(invoke("history", "--audit", "--json", "--schema", "backport3", "--dsn", fresh_db.dsn).stdout)
    assert [r["revision"] for r in shown["audit"]] == ["b0001", "b0002", "b0003", "b0004", "b0004"]
    assert fresh_db.server.password not in json.dumps(shown)


def test_create_and_stamp_are_audited_too(fresh_db, second_db, pg_server):
    assert invoke("create", "--schema", "streams", "--dsn", fresh_db.dsn).exit_code == 0
    assert [(r.revision, r.direction) for r in audit(fresh_db)] == [("s0005", "create")]
    assert invoke("stamp", "s0002", "--schema", "streams", "--dsn", pg_server.dsn(second_db)).exit_code == 0
    with sa.create_engine(pg_server.url(second_db), poolclass=sa.pool.NullPool).connect() as connection:
        assert connection.execute(sa.text("SELECT revision, direction FROM luna_db_audit")).all() == [("s0002", "stamp")]


def test_status_warns_when_an_applied_revision_file_no_longer_matches(fresh_db):
    """The recorded checksum is changed in place of the file (the tests must not
    edit the project's own revisions): the comparison is the same."""
    assert invoke("upgrade", "--schema", "backport3", "--dsn", fresh_db.dsn).exit_code == 0
    clean = invoke("status", "--schema", "backport3", "--dsn", fresh_db.dsn)
    assert clean.exit_code == 0 and "warning" not in clean.stderr
    with engine(fresh_db).begin() as connection:
        connection.execute(sa.text("UPDATE luna_db_audit SET checksum = repeat('0', 64) WHERE revision = 'b0002'"))
    result = invoke("status", "--schema", "backport3", "--dsn", fresh_db.dsn)
    assert "warning: revision b0002's file changed after it was applied" in result.stderr
    report = json.loads(invoke("status", "--schema", "backport3", "--dsn", fresh_db.dsn, "--json").stdout)
    assert [m["revision"] for m in report["checksum_mismatches"]] == ["b0002"]


def test_a_long_open_transaction_makes_the_migration_give_up_without_blocking_others(fresh_db):
    assert invoke("upgrade", "s0003", "--schema", "streams", "--dsn", fresh_db.dsn).exit_code == 0
    server = fresh_db.server
    reader = psycopg2.connect(host=server.host, port=server.port, user=server.user, password=server.password, dbname=fresh_db.name)
    reader.cursor().execute("SELECT count(*) FROM stream")  # holds ACCESS SHARE until it ends

    latencies: list[float] = []
    stop = threading.Event()

    def other_queries():
        other = psycopg2.connect(host=server.host, port=server.port, user=server.user, password=server.password, dbname=fresh_db.name)
        other.autocommit = True
        with other.cursor() as cursor:
            while not stop.is_set():
                started = time.monotonic()
                cursor.execute("SELECT count(*) FROM stream")
                latencies.append(time.monotonic() - started)
                time.sleep(0.05)
        other.close()

    thread = threading.Thread(target=other_queries)
    thread.start()
    try:
        result = invoke("upgrade", "--schema", "streams", "--dsn", fresh_db.dsn, "--db-lock-timeout", "0.5")
    finally:
        stop.set()
        thread.join()
        reader.close()
    assert result.exit_code == 1
    assert result.stdout.count("retrying in") == 3
    assert "the database is at revision s0003" in result.stderr
    # Queued behind the migration's lock request, other queries waited at
    # most about the lock timeout, never for the whole open transaction.
    assert latencies and max(latencies) < 0.5 + 1.0


@pytest.mark.pgversions
@pytest.mark.pgedges
def test_kill_9_while_building_the_log_index_then_a_rerun_completes(fresh_db, head_templates, pg_server):
    assert invoke("upgrade", "s0004", "--schema", "streams", "--dsn", fresh_db.dsn).exit_code == 0
    blocker = psycopg2.connect(host=pg_server.host, port=pg_server.port, user=pg_server.user, password=pg_server.password, dbname=fresh_db.name)
    blocker.cursor().execute("LOCK TABLE log IN ACCESS EXCLUSIVE MODE")
    upgrade = run_process("upgrade", "--schema", "streams", "--dsn", fresh_db.dsn, "--db-lock-timeout", "0", background=True)
    try:
        wait_until_waiting_on_a_lock(pg_server, fresh_db.name)
        assert unfinished_steps(fresh_db) == [("s0005", "up", "in progress")]
        os.kill(upgrade.pid, signal.SIGKILL)
        upgrade.wait(timeout=30)
    finally:
        blocker.close()
    # The step's audit row was committed before the step began: the kill shows.
    assert unfinished_steps(fresh_db) == [("s0005", "up", "rolled back")]
    shown = invoke("status", "--schema", "streams", "--dsn", fresh_db.dsn)
    assert "up s0005 started" in shown.stdout and "PostgreSQL rolled it back" in shown.stdout
    rerun = invoke("upgrade", "--schema", "streams", "--dsn", fresh_db.dsn)
    assert rerun.exit_code == 0, rerun.stderr
    # The shape `luna-db create` builds (the session's template, made by create).
    assert pg_dump_schema(pg_server, fresh_db.name) == head_templates.dump("streams")
    assert unfinished_steps(fresh_db) == []


def unfinished_steps(db) -> list[tuple[str, str, str]]:
    status = json.loads(invoke("status", "--schema", "streams", "--dsn", db.dsn, "--json").stdout)
    return [(step["revision"], step["direction"], step["state"]) for step in status["unfinished"]]


@pytest.mark.pgversions
@pytest.mark.pgedges
def test_a_failed_step_is_recorded_with_its_error(fresh_db):
    """A revision that fails leaves a `failed` audit row naming the error, and the status says so."""
    assert invoke("upgrade", "s0002", "--schema", "streams", "--dsn", fresh_db.dsn).exit_code == 0
    with engine(fresh_db).begin() as connection:
        connection.execute(sa.text("CREATE TABLE location (in_the_way integer)"))
    failed = invoke("upgrade", "--schema", "streams", "--dsn", fresh_db.dsn)
    assert failed.exit_code == 1
    with engine(fresh_db).connect() as connection:
        row = connection.execute(sa.text(
            "SELECT revision, direction, outcome, error, finished_at FROM luna_db_audit"
            " WHERE outcome <> 'done'"
        )).one()
    assert row[:3] == ("s0003", "up", "failed")
    assert "location" in row.error and row.finished_at is not None
    assert unfinished_steps(fresh_db) == [("s0003", "up", "rolled back")]


@pytest.mark.parametrize("delay", [0.3, pytest.param(0.8, marks=[pytest.mark.pgversions, pytest.mark.pgedges]), 1.3, 1.8])
def test_kill_9_at_any_moment_leaves_a_known_revision_and_a_rerun_completes(fresh_db, head_templates, pg_server, delay):
    upgrade = run_process("upgrade", "--schema", "streams", "--dsn", fresh_db.dsn, background=True)
    time.sleep(delay)
    upgrade.send_signal(signal.SIGKILL)
    upgrade.wait(timeout=30)
    status = json.loads(invoke("status", "--schema", "streams", "--dsn", fresh_db.dsn, "--json").stdout)
    known = [r["id"] for r in schema_history.history("streams")]
    assert status["current"] == [] or status["current"][0] in known
    rerun = invoke("upgrade", "--schema", "streams", "--dsn", fresh_db.dsn)
    assert rerun.exit_code == 0, rerun.stderr
    assert pg_dump_schema(pg_server, fresh_db.name) == head_templates.dump("streams")
    # Each revision was applied exactly once, before or after the kill.
    applied = [r.revision for r in audit(fresh_db) if r.direction == "up"]
    assert applied == known



# --- bad input, by property ----------------------------------------------------------

PASSWORD = st.from_regex(r"[A-Za-z0-9]{8,16}", fullmatch=True)
NOISE = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40)


@given(password=PASSWORD, before=NOISE, after=NOISE)
@settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_dsn_ends_in_exit_0_or_2_without_traceback_or_password(password, before, after):
    text = f"{before}luna:{password}@{after}"
    result = invoke("dsn", "--json", "--schema", "streams", "--dsn", text)
    assert result.exit_code in (0, 2), result.output
    assert "Traceback" not in result.output
    if password in before + after:
        return
    try:
        parsed = parse_dsn(text)
    except DsnError:
        parsed = None
    # By the grammar the generated password may have landed in a query
    # value (`?x=luna:pw@`), which is shown; a password, or anything a
    # failed parse could take for one, never is.
    if parsed is None or parsed.password == password:
        assert password not in result.output


@given(port=NOISE, host=NOISE, user=NOISE, name=NOISE, password=PASSWORD)
@settings(max_examples=150, deadline=None, derandomize=True)
def test_any_option_values_end_in_exit_0_or_2(port, host, user, name, password):
    args = ["dsn", "--schema", "backport3", "--db-password", password]
    for option, value in (("--db-port", port), ("--db-host", host), ("--db-user", user), ("--db-name", name)):
        if value and not value.startswith("-"):
            args += [option, value]
    result = invoke(*args)
    assert result.exit_code in (0, 2), result.output
    assert "Traceback" not in result.output
    if password not in port + host + user + name:
        assert password not in result.output


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
section_keys = st.sampled_from(["db_type", "db_host", "db_port", "db_user", "db_password", "db_name", "dsn", "other"])


@given(
    section=st.dictionaries(section_keys, json_values, max_size=6) | json_values,
    raw=st.one_of(st.none(), st.text(max_size=30)),
    password=PASSWORD,
)
@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_config_file_ends_in_exit_0_or_2(tmp_path_factory, section, raw, password):
    path = tmp_path_factory.mktemp("config") / "luna.json"
    if raw is not None:
        path.write_text(raw)
    else:
        if isinstance(section, dict):
            section = {**section, "db_password": password}
        path.write_text(json.dumps({"LUNA_STREAMS_DB": section}))
    result = invoke("dsn", "--schema", "streams", "--config", str(path))
    assert result.exit_code in (0, 2), result.output
    assert "Traceback" not in result.output
    assert password not in result.output
