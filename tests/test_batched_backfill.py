"""The batched backfill building block on a real PostgreSQL: batches sized by time, fast until a conflict.

`backfill` runs as in a revision (Alembic's Operations on a live connection);
another session's rows are really there when a batch meets them.
"""

from __future__ import annotations

import threading

import sqlalchemy as sa
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext

from luna_db_tools.operations.batched import BATCH_ROWS_MAX, BATCH_ROWS_MIN, backfill, next_batch_rows
from tests.pghelpers import engine

COPY = (
    "WITH batch AS (SELECT item_id FROM source WHERE item_id > {after} ORDER BY item_id LIMIT {limit} FOR KEY SHARE),"
    " moved AS (INSERT INTO target (item_id) SELECT item_id FROM batch {on_conflict} RETURNING 1)"
    " SELECT (SELECT max(item_id) FROM batch), (SELECT count(*) FROM moved)"
)
CATCH_UP = (
    "WITH missing AS (SELECT item_id FROM source WHERE NOT EXISTS"
    " (SELECT 1 FROM target WHERE target.item_id = source.item_id) FOR KEY SHARE OF source),"
    " moved AS (INSERT INTO target (item_id) SELECT item_id FROM missing ON CONFLICT DO NOTHING RETURNING 1)"
    " SELECT count(*) FROM moved"
)


def _tables(db, count: int) -> None:
    with engine(db).begin() as connection:
        connection.execute(sa.text("CREATE TABLE source (item_id text PRIMARY KEY)"))
        connection.execute(sa.text(
            "CREATE TABLE target (item_id text PRIMARY KEY REFERENCES source, note text DEFAULT 'filled')"))
        connection.execute(sa.text(
            "INSERT INTO source SELECT 'k' || lpad(i::text, 6, '0') FROM generate_series(1, :n) AS i"), {"n": count})


def _backfill(db, capsys, **kwargs) -> list[str]:
    """Run the backfill as plain Alembic would (progress to stderr); the progress lines."""
    capsys.readouterr()
    with engine(db).connect() as connection:
        context = MigrationContext.configure(connection)
        with Operations.context(context):
            backfill("copy", kwargs.pop("batch_sql", COPY), resume_sql=kwargs.pop("resume_sql", "SELECT NULL"),
                     estimate_table="source", **kwargs)
    return capsys.readouterr().err.splitlines()


def test_rows_another_session_wrote_are_skipped_and_every_other_row_is_filled(fresh_db, capsys):
    _tables(fresh_db, 12_000)
    with engine(fresh_db).begin() as connection:
        connection.execute(sa.text("INSERT INTO target VALUES ('k006000', 'theirs'), ('k011999', 'theirs')"))

    said = _backfill(fresh_db, capsys, batch_rows=2000)

    with engine(fresh_db).connect() as connection:
        counts = connection.execute(sa.text(
            "SELECT count(*) FILTER (WHERE note = 'filled'), count(*) FILTER (WHERE note = 'theirs') FROM target")).one()
    assert tuple(counts) == (11_998, 2)
    assert sum("another session wrote rows of this batch" in line for line in said) == 1
    assert "copy: 11,998 rows in" in said[-1]


def test_without_conflicts_every_row_is_filled_on_the_fast_path(fresh_db, capsys):
    _tables(fresh_db, 5_000)

    said = _backfill(fresh_db, capsys, batch_rows=1000)

    with engine(fresh_db).connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM target")).scalar() == 5_000
    assert not any("another session" in line for line in said)


def test_a_batch_is_sized_to_take_the_target_time_within_bounds():
    assert next_batch_rows(5000, 0.125, target=0.25) == 10_000  # twice as fast as wanted: twice the rows
    assert next_batch_rows(5000, 0.001, target=0.25) == 10_000  # at most 2x a batch
    assert next_batch_rows(8000, 4.0, target=0.25) == 2000      # at most 4x smaller a batch
    assert next_batch_rows(1000, 10.0, target=0.25) == BATCH_ROWS_MIN
    assert next_batch_rows(BATCH_ROWS_MAX, 0.01, target=0.25) == BATCH_ROWS_MAX


def test_rows_a_writer_adds_behind_the_cursor_during_the_fill_are_caught_up(fresh_db, capsys):
    """Keys land anywhere (random uuids): a row inserted below the batch in hand is passed by the keyset."""
    _tables(fresh_db, 10_000)
    # Each batch takes ~0.3 s (its size shrinks to BATCH_ROWS_MIN): the fill outlasts the writer by far.
    slow = COPY.replace("WITH batch AS", "WITH pause AS (SELECT pg_sleep(0.3)), batch AS").replace(
        "(SELECT count(*) FROM moved)", "(SELECT count(*) FROM moved) FROM pause")
    written = threading.Event()

    def write():
        with engine(fresh_db).connect() as writer:
            writer.execution_options(isolation_level="AUTOCOMMIT")
            while not writer.execute(sa.text("SELECT count(*) FROM target")).scalar():  # the first batch is in
                pass
            for number in range(100):  # below every key of the fill ('k...'): behind the cursor
                writer.execute(sa.text("INSERT INTO source VALUES (:id)"), {"id": f"a{number:06d}"})
        written.set()

    thread = threading.Thread(target=write)
    thread.start()
    try:
        said = _backfill(fresh_db, capsys, batch_sql=slow, batch_rows=1000, catch_up_sql=CATCH_UP)
    finally:
        thread.join()
    assert written.is_set()
    with engine(fresh_db).connect() as connection:
        missing = connection.execute(sa.text(
            "SELECT count(*) FROM source WHERE NOT EXISTS (SELECT 1 FROM target WHERE target.item_id = source.item_id)"
        )).scalar()
        assert (missing, connection.execute(sa.text("SELECT count(*) FROM target")).scalar()) == (0, 10_100)
    assert any("copy: 10,000 rows in" in line for line in said)
    assert "copy: 100 rows caught up that writers added during the fill" in said[-1]


def test_a_resumed_fill_catches_up_the_gap_below_the_rows_an_earlier_run_left(fresh_db, capsys):
    _tables(fresh_db, 6_000)
    with engine(fresh_db).begin() as connection:  # done: up to k002000 and k004001..k005000; a gap between
        connection.execute(sa.text(
            "INSERT INTO target (item_id) SELECT item_id FROM source"
            " WHERE item_id <= 'k002000' OR item_id BETWEEN 'k004001' AND 'k005000'"))

    said = _backfill(fresh_db, capsys, resume_sql="SELECT max(item_id) FROM target", catch_up_sql=CATCH_UP)

    with engine(fresh_db).connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM target")).scalar() == 6_000
    assert "copy: resuming after key 'k005000'" in said[0]
    assert "copy: 1,000 rows in" in said[-2]
    assert "copy: 2,000 rows caught up that writers added during the fill or an earlier run left behind" in said[-1]


def test_the_catch_up_keeps_no_writer_of_the_source_waiting(fresh_db):
    """It locks only the rows it moves, FOR KEY SHARE: inserts and non-key updates of them go on."""
    _tables(fresh_db, 2_000)
    with engine(fresh_db).begin() as connection:
        connection.execute(sa.text("INSERT INTO target (item_id) SELECT item_id FROM source WHERE item_id > 'k000010'"))
    holder = engine(fresh_db).connect()
    try:
        assert holder.execute(sa.text(CATCH_UP)).scalar() == 10  # its transaction stays open
        pid = holder.execute(sa.text("SELECT pg_backend_pid()")).scalar()
        with engine(fresh_db).connect() as writer:
            writer.execution_options(isolation_level="AUTOCOMMIT")
            writer.execute(sa.text("SET lock_timeout = '200ms'"))  # a wait fails the test at once
            writer.execute(sa.text("INSERT INTO source VALUES ('a000001'), ('z000001')"))
            writer.execute(sa.text("UPDATE source SET item_id = item_id WHERE item_id = 'k000005'"))
            modes = set(writer.execute(sa.text(
                "SELECT mode FROM pg_locks WHERE pid = :pid AND relation = 'source'::regclass"), {"pid": pid}).scalars())
        assert modes <= {"AccessShareLock", "RowShareLock"}, modes
    finally:
        holder.rollback()
        holder.close()
