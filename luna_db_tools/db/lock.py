"""One migration at a time per database.

Every replica of a service may start `luna-db upgrade` at once. The lock
dies with its session: no stale lock after kill -9, no "release lock" step.

- PostgreSQL: a session-level advisory lock held by the migration's OWN
  session (db/session.py hands it in). A lock on a separate session was
  dropped the moment a killed client's sockets closed, while the migration's
  backend still ran its statement for seconds: a rerun then collided with
  it. On the migration's session the lock lives exactly as long as
  the backend that runs the statements. CREATE INDEX CONCURRENTLY does not
  wait for session-level advisory locks (they belong to no transaction), and
  waiters poll `pg_try_advisory_lock` in short transactions, so neither
  deadlocks (Flyway's #1654, #3497). Taken by polling, never by a blocking
  call, so the wait is bounded.
- Oracle: DDL commits, and a commit would release a row lock, so the lock is
  a row of the small table `luna_db_lock` held `FOR UPDATE` by a dedicated
  session that runs nothing else. Taken by polling `FOR UPDATE NOWAIT`.
  (DBMS_LOCK would need a grant most LUNA schemas do not have.) The holder
  names itself in a second row, written by a short connection of its own,
  since what the locking session writes stays invisible until it commits.
"""

from __future__ import annotations

import hashlib
import os
import socket
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Iterator

import sqlalchemy as sa
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from ..config.settings import DbSettings
from ..errors import OperationFailed
from ..reporter import SILENT, Reporter
from .audit import utc_now
from .catalog_queries import has_table
from .connect import RetryPolicy, connect, oracle_error_code
from .tool_tables import LOCK_TABLE

# One key for every luna-db (advisory locks are per database already):
# the first 8 bytes of sha1("luna-db migration lock"), as a signed bigint.
MIGRATION_LOCK_KEY = int.from_bytes(hashlib.sha1(b"luna-db migration lock").digest()[:8], "big", signed=True)
DEFAULT_LOCK_TIMEOUT = 300.0
POLL_INTERVAL = 0.5

_LOCK_ROW = "migration"
_HOLDER_ROW = "migration holder"
ORA_RESOURCE_BUSY = 54  # ORA-00054: the row is locked by another session (NOWAIT)
ORA_NAME_IN_USE = 955  # ORA-00955: the table exists (another replica created it first)
ORA_UNIQUE_VIOLATED = 1  # ORA-00001: the row exists (another replica inserted it first)

_HOLDER_QUERY = """
SELECT a.application_name, a.client_addr, a.pid, a.backend_start, a.state, a.query_start
FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted AND l.database = (
    SELECT oid FROM pg_database WHERE datname = current_database())
  AND ((l.classid::bigint << 32) | l.objid::bigint) = :key
LIMIT 1
"""


@dataclass(frozen=True)
class LockHolder:
    """The session that holds the migration lock, as pg_stat_activity shows it."""

    pid: int
    application: str
    state: str | None  # active: a statement runs now; idle: between statements
    query_start: datetime | None


@contextmanager
def migration_lock(
    settings: DbSettings,
    policy: RetryPolicy | None = None,
    *,
    timeout: float = DEFAULT_LOCK_TIMEOUT,
    report: Reporter = SILENT,
    connection=None,
) -> Iterator[None]:
    """Hold the database's migration lock for the duration of the block.

    Waits up to `timeout` seconds, saying once who holds it; raises
    OperationFailed (exit 1) when the wait runs out.

    PostgreSQL: on `connection` (the migration's own session: see the module
    docstring), or on a session of its own when none is handed in (for
    callers that only need mutual exclusion). Oracle: always on a session of
    its own, whatever is handed in, since every DDL statement commits and a
    commit ends a row lock.
    """
    if settings.db_type == "oracle":
        with _oracle_lock(settings, policy, timeout, report):
            yield
        return
    if connection is not None:
        with _holding(connection, settings, timeout, report):
            yield
        return

    with connect(settings, policy, isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("SELECT set_config('application_name', :name, false)"), {"name": _me()[:63]})
        with _holding(connection, settings, timeout, report):
            yield


def _me() -> str:
    return f"luna-db migration lock, pid {os.getpid()} on {socket.gethostname()}"


@contextmanager
def _holding(connection, settings: DbSettings, timeout: float, report) -> Iterator[None]:
    """Poll for the session-level lock on `connection`; release it at the end."""

    def try_lock() -> bool:
        taken = bool(connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY}).scalar())
        if connection.in_transaction():
            # End the poll's transaction: a waiter must hold no transaction
            # open (an index build elsewhere would wait for it). A session
            # lock outlives the commit.
            connection.commit()
        return taken

    _poll(try_lock, lambda: _describe_holder(connection), settings, timeout, report)
    try:
        yield
    finally:
        _release(connection)


def _poll(try_lock: Callable[[], bool], holder: Callable[[], str], settings: DbSettings,
          timeout: float, report) -> None:
    """Try until `try_lock` succeeds, saying once who holds the lock; OperationFailed at the deadline."""
    deadline = time.monotonic() + timeout
    announced = False
    while not try_lock():
        if time.monotonic() >= deadline:
            raise OperationFailed(
                f"could not get the migration lock of {settings.database} within {timeout:g} s: "
                f"held by {holder()}"
            )
        if not announced:
            # A waiting line is progress, not a result: stderr when the caller says where.
            report.progress(f"waiting for the migration lock, held by {holder()}")
            announced = True
        time.sleep(min(POLL_INTERVAL, max(deadline - time.monotonic(), 0)))


def _release(connection) -> None:

    try:
        if connection.in_transaction():
            connection.rollback()  # a failed step may have left its transaction aborted
        connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
        if connection.in_transaction():
            connection.commit()
    except SQLAlchemyError:
        # The session is gone (the server stopped, the network broke), and
        # the lock went with it; the error that matters is the one in flight.
        pass


def lock_holder(connection) -> LockHolder | None:
    """PostgreSQL: the session holding the migration lock now, if any."""
    row = connection.execute(text(_HOLDER_QUERY), {"key": MIGRATION_LOCK_KEY}).first()
    if row is None:
        return None
    return LockHolder(row.pid, row.application_name or "", row.state, row.query_start)


def _describe_holder(connection) -> str:

    row = connection.execute(text(_HOLDER_QUERY), {"key": MIGRATION_LOCK_KEY}).first()
    if row is None:
        return "another session (it may just have been released)"
    name, address, pid, since = row[:4]
    where = f" from {address}" if address else ""
    return f"'{name or 'unnamed'}' (server pid {pid}{where}) since {since:%Y-%m-%d %H:%M:%S %Z}".rstrip()


# --- Oracle -----------------------------------------------------------------------


def lock_table():

    return sa.Table(
        LOCK_TABLE,
        sa.MetaData(),
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("holder", sa.String(255)),
        sa.Column("since", sa.TIMESTAMP),
        comment="luna-db: the migration lock (a row held FOR UPDATE) and its holder",
    )


@contextmanager
def _oracle_lock(settings: DbSettings, policy: RetryPolicy | None, timeout: float, report) -> Iterator[None]:
    with connect(settings, policy) as session:
        _ensure_lock_rows(session)
        _poll(lambda: _try_row_lock(session), lambda: _oracle_holder(session), settings, timeout, report)
        try:
            _publish_holder(settings, policy)
            yield
        finally:
            _release_row_lock(session)


def _ensure_lock_rows(session) -> None:
    """The lock table and its two rows, created by whichever replica comes first."""

    table = lock_table()
    if not has_table(session, LOCK_TABLE):
        try:
            table.create(session)
        except DBAPIError as error:
            if oracle_error_code(error) != ORA_NAME_IN_USE:
                raise
    for name in (_LOCK_ROW, _HOLDER_ROW):
        try:
            session.execute(table.insert().values(name=name))
            session.commit()
        except DBAPIError as error:
            session.rollback()
            if oracle_error_code(error) != ORA_UNIQUE_VIOLATED:
                raise


def _try_row_lock(session) -> bool:
    """Lock the row now or not at all; the lock lasts until this session ends its transaction."""

    table = lock_table()
    try:
        session.execute(sa.select(table.c.name).where(table.c.name == _LOCK_ROW).with_for_update(nowait=True))
        return True
    except DBAPIError as error:
        session.rollback()
        if oracle_error_code(error) == ORA_RESOURCE_BUSY:
            return False
        raise


def _publish_holder(settings: DbSettings, policy: RetryPolicy | None) -> None:
    """Say who holds the lock, for waiters to read (committed on a short connection)."""
    table = lock_table()
    with connect(settings, policy) as connection:
        connection.execute(
            table.update().where(table.c.name == _HOLDER_ROW).values(holder=_me()[:255], since=utc_now())
        )
        connection.commit()


def _oracle_holder(session) -> str:

    table = lock_table()
    row = session.execute(sa.select(table.c.holder, table.c.since).where(table.c.name == _HOLDER_ROW)).first()
    session.rollback()  # end the read's transaction, so as to hold nothing
    if row is None or row.holder is None:
        return "another session (it has not said who it is yet)"
    return f"'{row.holder}' since {row.since:%Y-%m-%d %H:%M:%S} UTC"


def _release_row_lock(session) -> None:

    try:
        session.rollback()
    except SQLAlchemyError:
        pass  # the session is gone, and the row lock with it


def lock_is_held(connection) -> bool:
    """Whether a luna-db migration holds the lock right now (for `status`)."""

    if connection.dialect.name == "postgresql":
        return connection.execute(text(_HOLDER_QUERY), {"key": MIGRATION_LOCK_KEY}).first() is not None

    if not has_table(connection, LOCK_TABLE):
        return False
    held = not _try_row_lock(connection)
    connection.rollback()
    return held

def is_lock_timeout(error: BaseException) -> bool:
    """What the lock timeout raises: PostgreSQL's lock_not_available (55P03), Oracle's ORA-00054."""
    if getattr(getattr(error, "orig", None), "pgcode", None) == "55P03":
        return True
    return getattr(error, "orig", None) is not None and oracle_error_code(error) == ORA_RESOURCE_BUSY
