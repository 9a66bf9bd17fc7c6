"""Writers keep moving while a revision runs: s0003's catalog step and batched fill.

Real PostgreSQL, real concurrent sessions: a long reader holds `stream`,
a writer inserts while the migration waits for its lock, and a run that
stopped half-way through the fill is completed by the next one.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time

import pytest
import sqlalchemy as sa

from tests.clirunner import invoke, run_process
from tests.pgcluster import find_pg_bin
from tests.pghelpers import engine, pg_dump_schema


def cli_ok(*args):
    result = invoke(*args)
    assert result.exit_code == 0, result.stderr
    return result


def add_streams(db, count: int, prefix: str = "s") -> None:
    with engine(db).begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO stream (stream_id, account_id, data, event_handler, policies, status)"
            " SELECT :prefix || lpad(i::text, 8, '0'), 'acc', '{}', '{}', '{}', 'pending'"
            " FROM generate_series(1, :count) AS i"), {"prefix": prefix, "count": count})


def test_a_run_stopped_half_way_through_the_fill_is_completed_by_the_next(fresh_db, second_db, pg_server):
    cli_ok("upgrade", "s0002", "--schema", "streams", "--dsn", fresh_db.dsn)
    add_streams(fresh_db, 12_000)
    cli_ok("upgrade", "s0003", "--schema", "streams", "--dsn", fresh_db.dsn)
    # What a kill during the fill leaves: the tables committed, the batches up
    # to some key committed (they commit in key order), the version not stamped.
    with engine(fresh_db).begin() as connection:
        connection.execute(sa.text("DELETE FROM restart WHERE stream_id > 's00007000'"))
        connection.execute(sa.text("UPDATE alembic_version SET version_num = 's0002'"))

    result = cli_ok("upgrade", "s0003", "--schema", "streams", "--dsn", fresh_db.dsn)

    assert "resuming after key 's00007000'" in result.stderr
    with engine(fresh_db).connect() as connection:
        missing = connection.execute(sa.text(
            "SELECT count(*) FROM stream WHERE NOT EXISTS (SELECT 1 FROM restart r WHERE r.stream_id = stream.stream_id)"
        )).scalar()
        restarts = connection.execute(sa.text("SELECT count(*) FROM restart WHERE NOT restart AND delay = 60")).scalar()
    assert (missing, restarts) == (0, 12_000)
    cli_ok("upgrade", "s0003", "--schema", "streams", "--dsn", pg_server.dsn(second_db))
    assert pg_dump_schema(pg_server, fresh_db.name) == pg_dump_schema(pg_server, second_db)


def _missing_restart_rows(db) -> int:
    with engine(db).connect() as connection:
        return connection.execute(sa.text(
            "SELECT count(*) FROM stream WHERE NOT EXISTS (SELECT 1 FROM restart r WHERE r.stream_id = stream.stream_id)"
        )).scalar()


def _stop_half_way_with_a_gap(db) -> None:
    """What a killed run leaves when batches committed out of order (or a row came in late): rows above a gap."""
    with engine(db).begin() as connection:
        connection.execute(sa.text(
            "DELETE FROM restart WHERE stream_id BETWEEN 's00003001' AND 's00005000' OR stream_id > 's00007000'"))
        connection.execute(sa.text("UPDATE alembic_version SET version_num = 's0002'"))


def test_a_resumed_run_fills_the_gap_below_the_rows_an_earlier_run_left(fresh_db):
    cli_ok("upgrade", "s0002", "--schema", "streams", "--dsn", fresh_db.dsn)
    add_streams(fresh_db, 12_000)
    cli_ok("upgrade", "s0003", "--schema", "streams", "--dsn", fresh_db.dsn)
    _stop_half_way_with_a_gap(fresh_db)

    result = cli_ok("upgrade", "s0003", "--schema", "streams", "--dsn", fresh_db.dsn)

    assert "resuming after key 's00007000'" in result.stderr
    assert "2,000 rows caught up that writers added during the fill or an earlier run left behind" in result.stderr
    assert _missing_restart_rows(fresh_db) == 0


def test_streams_the_running_release_inserts_behind_the_fill_get_their_restart_rows(fresh_db):
    """stream_id is a random uuid: the old release's new streams land below the batch in hand as often as not."""
    cli_ok("upgrade", "s0002", "--schema", "streams", "--dsn", fresh_db.dsn)
    add_streams(fresh_db, 20_000)
    # The running release updating the last stream holds the fill's last batch (FOR KEY SHARE waits for
    # FOR UPDATE) while its other sessions insert streams whose ids sort below every key the fill passed.
    holder = engine(fresh_db).connect()
    holder.execute(sa.text("SELECT 1 FROM stream WHERE stream_id = 's00020000' FOR UPDATE"))
    inserted = threading.Event()

    def write():
        try:
            with engine(fresh_db).connect() as writer:
                writer.execution_options(isolation_level="AUTOCOMMIT")
                _until_a_session_waits_for_a_lock(writer)
                for number in range(25):
                    writer.execute(sa.text(
                        "INSERT INTO stream (stream_id, account_id, data, event_handler, policies, status)"
                        " VALUES (:id, 'acc', '{}', '{}', '{}', 'pending')"), {"id": f"0000{number:04d}-behind"})
                inserted.set()
        finally:
            holder.rollback()
            holder.close()

    thread = threading.Thread(target=write)
    thread.start()
    try:
        result = cli_ok("upgrade", "s0003", "--schema", "streams", "--dsn", fresh_db.dsn)
    finally:
        thread.join()
    assert inserted.is_set()
    assert "restart rows for existing streams: 25 rows caught up that writers added during the fill" in result.stderr
    assert _missing_restart_rows(fresh_db) == 0


def test_writers_of_stream_wait_under_half_a_second_while_a_long_transaction_holds_up_the_migration(fresh_db):
    cli_ok("upgrade", "s0002", "--schema", "streams", "--dsn", fresh_db.dsn)
    add_streams(fresh_db, 100)
    # A service's long transaction that wrote to stream: ROW EXCLUSIVE until it
    # ends, which the foreign keys' SHARE ROW EXCLUSIVE must wait for.
    reader = engine(fresh_db).connect()
    reader.execute(sa.text("UPDATE stream SET version = version + 1 WHERE stream_id = 's00000001'"))
    upgrade = run_process("upgrade", "s0003", "--schema", "streams", "--dsn", fresh_db.dsn, background=True)
    waits: list[float] = []
    try:
        with engine(fresh_db).connect() as writer:
            writer.execution_options(isolation_level="AUTOCOMMIT")
            _until_a_session_waits_for_a_lock(writer)
            deadline = time.monotonic() + 3.0
            number = 0
            while time.monotonic() < deadline:
                number += 1
                started = time.monotonic()
                writer.execute(sa.text(
                    "INSERT INTO stream (stream_id, account_id, data, event_handler, policies, status)"
                    " VALUES (:id, 'acc', '{}', '{}', '{}', 'pending')"), {"id": f"w{number:06d}"})
                waits.append(time.monotonic() - started)
                time.sleep(0.01)
        assert upgrade.poll() is None, "the migration should still be waiting for the reader"
    finally:
        reader.rollback()
        reader.close()
    stdout, stderr = upgrade.communicate(timeout=120)
    assert upgrade.returncode == 0, stderr
    assert "waiting for a table lock" in stderr
    assert len(waits) > 50
    assert max(waits) < 0.5, f"a writer waited {max(waits):.2f} s"
    with engine(fresh_db).connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM restart")).scalar() >= 100


def _until_a_session_waits_for_a_lock(connection, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if connection.execute(sa.text("SELECT count(*) FROM pg_locks WHERE NOT granted")).scalar():
            return
        time.sleep(0.02)
    raise AssertionError("the migration never waited for its lock")


def test_the_offline_script_fills_in_batches_when_run_by_psql(fresh_db, pg_server):
    cli_ok("upgrade", "s0002", "--schema", "streams", "--dsn", fresh_db.dsn)
    add_streams(fresh_db, 12_001)
    script = cli_ok("upgrade", "--sql", "s0002:s0003", "--schema", "streams").stdout
    assert "DO $luna$" in script and "COMMIT;\n  END LOOP" in script
    environ = {**os.environ, "PGPASSWORD": pg_server.password}
    done = subprocess.run(
        [str(find_pg_bin() / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", pg_server.host,
         "-p", str(pg_server.port), "-U", pg_server.user, "-d", fresh_db.name],
        input=script, capture_output=True, text=True, env=environ, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    with engine(fresh_db).connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM restart")).scalar() == 12_001
        assert connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == "s0003"


def _psql(pg_server, database: str, script: str) -> subprocess.CompletedProcess:
    environ = {**os.environ, "PGPASSWORD": pg_server.password}
    return subprocess.run(
        [str(find_pg_bin() / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", pg_server.host,
         "-p", str(pg_server.port), "-U", pg_server.user, "-d", database],
        input=script, capture_output=True, text=True, env=environ, timeout=120,
    )


def test_the_offline_script_catches_up_as_the_online_run_does(fresh_db, pg_server):
    """A DBA's script resumed after a kill that left a gap ends with every stream's row, as online."""
    cli_ok("upgrade", "s0002", "--schema", "streams", "--dsn", fresh_db.dsn)
    add_streams(fresh_db, 12_000)
    cli_ok("upgrade", "s0003", "--schema", "streams", "--dsn", fresh_db.dsn)
    _stop_half_way_with_a_gap(fresh_db)
    script = cli_ok("upgrade", "--sql", "s0002:s0003", "--schema", "streams").stdout
    block = script[script.index("DO $luna$"):script.index("$luna$;")]
    assert block.index("END LOOP;") < block.index("NOT EXISTS") < block.index("RAISE NOTICE")

    done = _psql(pg_server, fresh_db.name, script)

    assert done.returncode == 0, done.stderr
    assert "restart rows for existing streams: 2000 rows caught up that writers added during the fill" in done.stderr
    assert _missing_restart_rows(fresh_db) == 0
    with engine(fresh_db).connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM restart WHERE NOT restart AND delay = 60")).scalar() == 12_000


def test_inserts_go_on_during_the_fill(fresh_db):
    """Each batch is its own short transaction holding no lock a writer of stream needs."""
    cli_ok("upgrade", "s0002", "--schema", "streams", "--dsn", fresh_db.dsn)
    add_streams(fresh_db, 60_000)
    stop = threading.Event()
    waits: list[float] = []

    def write():
        with engine(fresh_db).connect() as writer:
            writer.execution_options(isolation_level="AUTOCOMMIT")
            number = 0
            while not stop.is_set():
                number += 1
                started = time.monotonic()
                writer.execute(sa.text(
                    "UPDATE stream SET version = version + 1 WHERE stream_id = :id"), {"id": f"s{number % 60_000 + 1:08d}"})
                waits.append(time.monotonic() - started)
                time.sleep(0.005)

    thread = threading.Thread(target=write)
    thread.start()
    try:
        cli_ok("upgrade", "s0003", "--schema", "streams", "--dsn", fresh_db.dsn)
    finally:
        stop.set()
        thread.join()
    assert waits and max(waits) < 0.5, f"a writer waited {max(waits):.2f} s"


@pytest.mark.pgversions
def test_dry_run_gives_no_row_count_for_a_table_never_analysed(fresh_db):
    # reltuples is -1 there from 14 on, 0 (with relpages 0) before: unknown on every major.
    import json

    cli_ok("upgrade", "s0002", "--schema", "streams", "--dsn", fresh_db.dsn)
    plan = json.loads(cli_ok("upgrade", "--dry-run", "--json", "--schema", "streams", "--dsn", fresh_db.dsn).stdout)
    on_stream = [i["rows"] for i in plan["steps"][0]["impact"] if i["table"] == "stream"]
    assert on_stream and on_stream == [None] * len(on_stream)


@pytest.mark.pgversions
def test_dry_run_names_each_lock_table_and_rows_from_the_live_statistics(fresh_db):
    import json

    cli_ok("upgrade", "s0002", "--schema", "streams", "--dsn", fresh_db.dsn)
    add_streams(fresh_db, 1_500)
    with engine(fresh_db).connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(sa.text("ANALYZE stream"))
    plan = json.loads(cli_ok("upgrade", "--dry-run", "--json", "--schema", "streams", "--dsn", fresh_db.dsn).stdout)
    assert [step["revision"] for step in plan["steps"]] == ["s0003", "s0004", "s0005"]
    assert set(plan["steps"][0]) == {"revision", "message", "direction", "impact", "running_release"}
    s0003 = plan["steps"][0]["impact"]
    on_stream = [(i["lock"], i["effect"], i["rows"], i["lock_timeout_ms"]) for i in s0003 if i["table"] == "stream"]
    assert ("SHARE ROW EXCLUSIVE", "catalog only", 1_500, 200) in on_stream
    fill = next(i for i in s0003 if i["table"] == "restart")
    assert (fill["effect"], fill["batched"], fill["rows"], fill["held_while"]) == ("moves rows", True, 1_500, None)
    assert not any(i["held_while"] for step in plan["steps"] for i in step["impact"])
    text = cli_ok("upgrade", "--dry-run", "--schema", "streams", "--dsn", fresh_db.dsn).stdout
    assert "s0003: ROW EXCLUSIVE on restart (a table created by this step) while 1.5k rows are moved" in text
    assert "s0005: SHARE UPDATE EXCLUSIVE on log while" in text
