"""The batched backfill building block on a real PostgreSQL: batches sized by time, fast until a conflict.

`backfill` runs as in a revision (Alembic's Operations on a live connection);
another session's rows are really there when a batch meets them.
"""

from __future__ import annotations

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
            backfill("copy", COPY, resume_sql="SELECT NULL", estimate_table="source", **kwargs)
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
