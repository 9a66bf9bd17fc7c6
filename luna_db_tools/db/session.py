"""The migration session: one connection that holds the migration lock and runs the work.

Every command that changes a database (create, upgrade, downgrade, stamp,
views) runs in one, so they all get, in this order:

1. PostgreSQL: a refusal (exit 2) of a transaction/statement pooler (pooler.py);
2. PostgreSQL: `client_connection_check_interval`, so that the server stops
   this session's statement within about a second of luna-db dying (dead_runs.py);
3. the migration lock: PostgreSQL on this very session, so it lasts exactly
   as long as the backend that runs the statements; Oracle on a session of
   its own (lock.py);
4. PostgreSQL: a bounded wait for statements a dead run left running;
5. audit rows still `running` closed as `abandoned`: under the lock, with no
   luna-db statement running, their runs are dead;
6. at the end, the session's settings put back (a session pooler may hand the
   server connection to an application next), then the lock released.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ..config.settings import DbSettings
from ..errors import DatabaseUnreachable
from ..reporter import SILENT, Reporter
from . import dead_runs, pooler
from .connect import RetryPolicy, connect
from .lock import DEFAULT_LOCK_TIMEOUT, migration_lock

#: Session settings luna-db may change; reset before the connection is released.
SESSION_SETTINGS = ("lock_timeout", "statement_timeout", "client_connection_check_interval")


@contextmanager
def migration_session(
    settings: DbSettings,
    policy: RetryPolicy | None = None,
    *,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    report: Reporter = SILENT,
) -> Iterator:
    """A Connection (outside a transaction) holding the migration lock; see the module docstring."""
    postgres = settings.db_type == "postgres"
    with _connected(settings, policy) as connection:
        if postgres:
            pooler.refuse_pooled(connection, lambda: connect(settings, policy), settings.masked_dsn())
            dead_runs.guard_session(connection)
            connection.commit()
        clock = time.monotonic()
        with migration_lock(settings, policy, timeout=lock_timeout, report=report, connection=connection):
            try:
                if postgres:
                    left = max(lock_timeout - (time.monotonic() - clock), 1.0)
                    dead_runs.wait_for_dead_runs_statements(connection, left, report.progress)
                dead_runs.close_dead_runs_rows(connection, report)
                yield connection
            finally:
                if postgres:
                    reset_session(connection)


def _connected(settings: DbSettings, policy: RetryPolicy | None):
    try:
        return connect(settings, policy)
    except DatabaseUnreachable as error:
        if settings.db_type == "postgres":
            pooler.refuse_statement_pooling(settings, error)
        raise


def reset_session(connection) -> None:
    """Put luna-db's session settings back to the server's defaults (best effort)."""
    try:
        if connection.in_transaction():
            connection.rollback()
        known = connection.execute(
            text("SELECT name FROM pg_settings WHERE name = ANY(:names)"), {"names": list(SESSION_SETTINGS)}
        ).scalars().all()
        for name in known:  # client_connection_check_interval is 14+
            connection.execute(text(f"RESET {name}"))
        connection.commit()
    except SQLAlchemyError:
        pass  # the session is gone, and its settings with it
