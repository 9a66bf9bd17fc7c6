"""Revision building blocks that keep every writer of a busy PostgreSQL table moving.

The pattern (README, "Writing migrations"): a strong lock only for a step
that changes the catalog and moves no rows, in a short transaction of its
own with a short lock timeout (retried); rows moved in bounded batches, each
batch its own transaction, idempotent and resumable; constraints NOT VALID,
validated later; indexes CONCURRENTLY (operations/online.py).

On any other dialect (Oracle) each helper does the plain operation, so an
Oracle script renders exactly as it did before the pattern.
"""

from __future__ import annotations

import random
import time
from contextlib import nullcontext
from typing import Callable

from alembic import op
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from ..db.lock import is_lock_timeout
from ..db.server_version import postgresql_has
from ..db.statistics import estimate
from .context import progress
from .pipeline import pipelined

#: A catalog step waits at most this long for its lock: every writer that
#: queues behind the waiting migration waits no longer (well under 0.5 s).
CATALOG_LOCK_TIMEOUT_MS = 200
#: Attempts of a catalog step that did not get its lock, with backoff (~1 min in all).
CATALOG_ATTEMPTS = 40
#: Rows of a backfill's first batch (and of every batch of an offline script).
BATCH_ROWS = 5000
#: Online, each later batch is sized so that it takes about this long: its
#: transaction (and the FOR KEY SHARE it may hold on the rows it reads) stays
#: short, and the fixed cost of a batch (a statement, a commit, a round trip,
#: the index descent to the resume key) is spread over as many rows as the
#: machine moves in that time. s0003's fill at 200k streams: 40 batches of
#: 5000 rows 2.4 s, 8-9 batches sized by time 1.5 s, one INSERT ... SELECT
#: 1.9 s (bench/writer_waits.py, medians of 5).
BATCH_SECONDS = 0.25
#: Bounds of a batch's size, whatever the timing says (a stall of the
#: machine must not make the next batch huge, nor tiny).
BATCH_ROWS_MIN, BATCH_ROWS_MAX = 1000, 200_000
#: What fills a batch's {on_conflict} once another session wrote one of its rows (and offline).
ON_CONFLICT = "ON CONFLICT DO NOTHING"
_UNIQUE_VIOLATION = "23505"
#: The marker comment an offline script carries before a batched backfill
#: (analysis/impact.py reads it: the DO block's rows move in batches).
BACKFILL_MARK = "-- luna-db: batched backfill"


def _postgresql() -> bool:
    return op.get_context().dialect.name == "postgresql"


def catalog_step(build: Callable[[], None], *, lock_timeout_ms: int = CATALOG_LOCK_TIMEOUT_MS,
                 attempts: int = CATALOG_ATTEMPTS) -> None:
    """Run `build` (catalog-only DDL) in a transaction of its own with a short lock timeout.

    A migration waiting for a lock holds up every writer queued behind it,
    so it waits `lock_timeout_ms` at most, rolls back, and tries again after
    a pause (a long reader ends sooner or later). `build` must be rerunnable:
    a kill after this commit and before the revision is stamped runs it again
    (CREATE ... IF NOT EXISTS).
    """
    context = op.get_context()
    if not _postgresql():
        build()
        return
    with context.autocommit_block():
        if context.as_sql:
            _once(build, lock_timeout_ms)
            return
        started = time.monotonic()
        for attempt in range(attempts):
            try:
                _once(build, lock_timeout_ms)
                return
            except DBAPIError as error:
                op.execute("ROLLBACK")
                if not is_lock_timeout(error) or attempt == attempts - 1 or _out_of_time(started):
                    raise
            _pause_before_retry(attempt, attempts)


def catalog_only(build: Callable[[], None], *, lock_timeout_ms: int = CATALOG_LOCK_TIMEOUT_MS,
                 attempts: int = CATALOG_ATTEMPTS) -> None:
    """For a revision that only changes the catalog: `build` in the revision's own transaction.

    The version is stamped in the same transaction, so a kill leaves all or
    nothing; the lock wait is bounded by SET LOCAL lock_timeout, and online a
    wait that runs out is rolled back to a savepoint (which releases what it
    locked) and tried again after a pause.
    """
    context = op.get_context()
    if not _postgresql():
        build()
        return
    op.execute(f"SET LOCAL lock_timeout = '{int(lock_timeout_ms)}ms'")
    if context.as_sql:
        build()
        return
    started = time.monotonic()
    for attempt in range(attempts):
        try:
            with _one_round_trip():
                op.execute("SAVEPOINT luna_db_catalog")
                build()
                op.execute("RELEASE SAVEPOINT luna_db_catalog")
            return
        except DBAPIError as error:
            op.execute("ROLLBACK TO SAVEPOINT luna_db_catalog")
            if not is_lock_timeout(error) or attempt == attempts - 1 or _out_of_time(started):
                raise
        _pause_before_retry(attempt, attempts)


def _out_of_time(started: float) -> bool:
    """Run by luna-db, a step's short waits add up to no more than the run's lock timeout
    (--statement-lock-timeout): then the lock timeout stands, and luna-db's own retries of the
    revision take over. Plain Alembic has no such limit: the attempts alone bound it."""
    config = op.get_context().config
    timeouts = config.attributes.get("timeouts") if config is not None else None
    if timeouts is None or timeouts.lock <= 0:
        return False
    return time.monotonic() - started >= timeouts.lock


def _pause_before_retry(attempt: int, attempts: int) -> None:
    """Backoff with jitter: replicas of a busy service do not retry in step."""
    pause = min(0.05 * 2**attempt, 2.0) * (0.5 + random.random())
    _say(f"waiting for a table lock (held by another session); attempt {attempt + 2} of {attempts} "
         f"in {pause:.1f} s")
    time.sleep(pause)


def _once(build: Callable[[], None], lock_timeout_ms: int) -> None:
    with _one_round_trip():
        op.execute("BEGIN")
        op.execute(f"SET LOCAL lock_timeout = '{lock_timeout_ms}ms'")
        build()
        op.execute("COMMIT")


def _one_round_trip():
    """Online, the step's statements go to the server together (operations/pipeline.py): the
    strong lock is held for the server's work, not for one client round trip per statement."""
    context = op.get_context()
    return nullcontext() if context.as_sql else pipelined(context)


def backfill(what: str, batch_sql: str, *, resume_sql: str, start: str = "",
             estimate_table: str | None = None, batch_rows: int = BATCH_ROWS,
             catch_up_sql: str | None = None) -> None:
    """Move rows in batches, each committed on its own, by keyset over `key`.

    Online, the first batch has `batch_rows` rows and each later one is
    sized to take about BATCH_SECONDS (next_batch_rows).

    `batch_sql` is one statement with the placeholders {after} and {limit}
    (SQL literals are filled in) that moves the next batch of rows whose key
    is greater than {after} and returns one row: the batch's last key (NULL
    when there was nothing left) and the number of rows it moved. It must be
    idempotent: an INSERT puts {on_conflict} where ON CONFLICT DO NOTHING
    goes. Online, batches run without it (a speculative insert costs ~2.5x
    a plain one, and keyset order means a batch meets no row of an earlier
    one); a batch that meets a row another session wrote fails, and it and
    every later batch run with ON CONFLICT DO NOTHING. `resume_sql` returns
    the key to continue after (a run killed half-way resumes there), NULL to
    start at `start`. Progress goes to luna-db's reporter (stderr; none under -q).

    `catch_up_sql`, run once after the last batch, moves every row the
    keyset passed: a row a writer added behind the cursor while the batches
    ran (a random uuid key lands anywhere), and one below a gap a killed run
    left (`resume_sql` resumes after the highest key done). One statement,
    idempotent (NOT EXISTS and ON CONFLICT DO NOTHING), returning one row: the
    number of rows it moved. An INSERT ... SELECT ... WHERE NOT EXISTS is one
    anti-join over the table and locks only the rows it moves (FOR KEY SHARE),
    so writers of the table go on (README, "Writing migrations").

    Offline, the same batches are one DO block that commits after each
    batch, then runs `catch_up_sql` and says (NOTICE) how many rows it moved.
    """
    context = op.get_context()
    with context.autocommit_block():
        if context.as_sql:
            op.execute(_do_block(what, batch_sql, resume_sql, start, batch_rows, catch_up_sql))
            return
        connection = op.get_bind()
        after = connection.execute(text(resume_sql)).scalar()
        resumed = after is not None
        after = start if after is None else after
        total = _estimate(connection, estimate_table)
        moved, batches, shown, began = 0, 0, time.monotonic(), time.monotonic()
        conflicts = False
        if resumed:
            _say(f"{what}: resuming after key {after!r} (an earlier run stopped half-way)")
        while True:
            took = time.monotonic()
            row, conflicts = _one_batch(connection, what, batch_sql, after, batch_rows, conflicts)
            took = time.monotonic() - took
            last, count = row[0], row[1] or 0
            if last is None:
                break
            batch_rows = next_batch_rows(batch_rows, took)
            after, moved, batches = last, moved + count, batches + 1
            if time.monotonic() - shown >= 2.0:
                shown = time.monotonic()
                share = f" of ~{total:,}" if total else ""
                _say(f"{what}: {moved:,}{share} rows in {batches:,} batches, {shown - began:.0f} s")
        if batches:
            _say(f"{what}: {moved:,} rows in {batches:,} batches, {time.monotonic() - began:.1f} s")
        if catch_up_sql:
            _catch_up(connection, what, catch_up_sql, resumed)


def _catch_up(connection, what: str, catch_up_sql: str, resumed: bool) -> None:
    """The rows the keyset passed while writers went on (and, resumed, below an earlier run's gap)."""
    began = time.monotonic()
    caught = connection.execute(text(catch_up_sql)).scalar() or 0
    since = "during the fill" + (" or an earlier run left behind" if resumed else "")
    _say(f"{what}: {caught:,} rows caught up that writers added {since}, {time.monotonic() - began:.2f} s")


def _one_batch(connection, what: str, batch_sql: str, after: str, rows: int, conflicts: bool):
    """One batch, on the fast path unless a row written by another session was met: (its row, conflicts)."""
    def statement(on_conflict: str):
        return text(batch_sql.format(after=_literal(after), limit=int(rows), on_conflict=on_conflict))

    if not conflicts:
        try:
            return connection.execute(statement("")).one(), False
        except IntegrityError as error:
            if getattr(error.orig, "pgcode", None) != _UNIQUE_VIOLATION:
                raise
        _say(f"{what}: another session wrote rows of this batch; this and the later batches skip such rows")
    return connection.execute(statement(ON_CONFLICT)).one(), True


def next_batch_rows(rows: int, took: float, target: float = BATCH_SECONDS) -> int:
    """The size of the next batch: the rows that take `target` seconds at the last batch's pace,
    growing at most 2x and shrinking at most 4x a batch, within BATCH_ROWS_MIN..BATCH_ROWS_MAX."""
    wanted = rows * target / max(took, 1e-3)
    wanted = min(max(wanted, rows / 4), rows * 2)
    return int(min(max(wanted, BATCH_ROWS_MIN), BATCH_ROWS_MAX))


def _do_block(what: str, batch_sql: str, resume_sql: str, start: str, batch_rows: int,
              catch_up_sql: str | None = None) -> str:
    """The batches for a DBA's script: a PL/pgSQL loop that commits after each (PostgreSQL 11+, outside BEGIN),
    then the catch-up, as online."""
    statement = batch_sql.format(after="after_key", limit=int(batch_rows), on_conflict=ON_CONFLICT)
    catch_up = ""
    if catch_up_sql:
        # RAISE's format: % is its placeholder, %% a literal percent sign.
        said = _literal(what.replace("%", "%%") + ": % rows caught up that writers added during the fill")
        catch_up = (f"  {catch_up_sql} INTO batch_count;\n"
                    f"  RAISE NOTICE {said}, batch_count;\n")
    return (
        f"{BACKFILL_MARK}: {what}, {int(batch_rows)} rows a batch\n"
        "DO $luna$\nDECLARE\n  after_key text;\n  batch_count bigint;\nBEGIN\n"
        f"  after_key := coalesce(({resume_sql}), {_literal(start)});\n"
        "  LOOP\n"
        f"    {statement} INTO after_key, batch_count;\n"
        "    EXIT WHEN after_key IS NULL;\n"
        "    COMMIT;\n"
        "  END LOOP;\n"
        f"{catch_up}"
        "END\n$luna$"
    )


def _estimate(connection, table: str | None) -> int:
    if not table:
        return 0
    row = connection.execute(text("SELECT reltuples, relpages FROM pg_class WHERE oid = to_regclass(:t)"),
                             {"t": table}).first()
    if row is None:
        return 0
    # Unknown (never analysed: -1 from 14 on, 0 without pages before) counts as 0.
    return estimate(row[0], row[1], postgresql_has(connection, "reltuples_unknown")) or 0


def _literal(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _say(line: str) -> None:
    progress(op.get_context(), f"  {line}")
