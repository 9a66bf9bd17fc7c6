"""One migration at a time per database: a session-level advisory lock.

Every replica of a service may start `luna-db upgrade` at once. The lock is
held by a dedicated connection (in autocommit), so it never waits on the
migration's own transactions, nor on CREATE INDEX CONCURRENTLY, which waits
for every other transaction to end (Flyway's deadlocks #1654, #3497). It is
taken by polling `pg_try_advisory_lock`, never by a blocking call, so the
wait is bounded. It dies with the session: no stale lock after kill -9.
"""

from __future__ import annotations

import hashlib
import os
import socket
import time
from contextlib import contextmanager
from typing import Callable, Iterator

from .connection import RetryPolicy, connect
from .errors import OperationFailed
from .settings import DbSettings

# One key for every luna-db (advisory locks are per database already):
# the first 8 bytes of sha1("luna-db migration lock"), as a signed bigint.
MIGRATION_LOCK_KEY = int.from_bytes(hashlib.sha1(b"luna-db migration lock").digest()[:8], "big", signed=True)
DEFAULT_LOCK_TIMEOUT = 300.0
POLL_INTERVAL = 0.5

_HOLDER_QUERY = """
SELECT a.application_name, a.client_addr, a.pid, a.backend_start
FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted AND l.database = (
    SELECT oid FROM pg_database WHERE datname = current_database())
  AND ((l.classid::bigint << 32) | l.objid::bigint) = :key
LIMIT 1
"""


@contextmanager
def migration_lock(
    settings: DbSettings,
    policy: RetryPolicy | None = None,
    *,
    timeout: float = DEFAULT_LOCK_TIMEOUT,
    report: Callable[[str], None] = lambda line: None,
    connection=None,
) -> Iterator[None]:
    """Hold the database's migration lock for the duration of the block.

    Waits up to `timeout` seconds, saying once who holds it; raises
    OperationFailed (exit 1) when the wait runs out. The lock lives on a
    session of its own, unless the caller hands in `connection` because it
    runs nothing that waits for other sessions (`create` does, to save a
    connection). Oracle: not yet locked here (its dedicated-session lock is
    still to come).
    """
    if settings.db_type != "postgres":
        yield
        return
    if connection is not None:
        with _holding(connection, settings, timeout, report):
            yield
        return
    from sqlalchemy import text

    with connect(settings, policy, isolation_level="AUTOCOMMIT") as connection:
        me = f"luna-db migration lock, pid {os.getpid()} on {socket.gethostname()}"
        connection.execute(text("SELECT set_config('application_name', :name, false)"), {"name": me[:63]})
        with _holding(connection, settings, timeout, report):
            yield


@contextmanager
def _holding(connection, settings: DbSettings, timeout: float, report) -> Iterator[None]:
    """Poll for the session-level lock on `connection`; release it at the end."""
    from sqlalchemy import text

    deadline = time.monotonic() + timeout
    announced = False
    while not connection.execute(
        text("SELECT pg_try_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
    ).scalar():
        holder = _describe_holder(connection)
        if time.monotonic() >= deadline:
            raise OperationFailed(
                f"could not get the migration lock of {settings.database} within {timeout:g} s: "
                f"held by {holder}"
            )
        if not announced:
            report(f"waiting for the migration lock, held by {holder}")
            announced = True
        time.sleep(min(POLL_INTERVAL, max(deadline - time.monotonic(), 0)))
    try:
        yield
    finally:
        _release(connection)


def _release(connection) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    try:
        connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
    except DBAPIError:
        # The session is gone (the server stopped, the network broke), and
        # the lock went with it; the error that matters is the one in flight.
        pass


def _describe_holder(connection) -> str:
    from sqlalchemy import text

    row = connection.execute(text(_HOLDER_QUERY), {"key": MIGRATION_LOCK_KEY}).first()
    if row is None:
        return "another session (it may just have been released)"
    name, address, pid, since = row
    where = f" from {address}" if address else ""
    return f"'{name or 'unnamed'}' (server pid {pid}{where}) since {since:%Y-%m-%d %H:%M:%S %Z}".rstrip()
