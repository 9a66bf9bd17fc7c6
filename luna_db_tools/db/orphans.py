"""Statements that outlive their luna-db: found, waited for, and stopped sooner.

When a client dies (kill -9, SIGTERM, a lost network) PostgreSQL notices only
when it next talks to the client: a backend in the middle of a long statement
(an index build, a big UPDATE) keeps running it, holding its locks, for as
long as the statement takes. Two defences:

- `client_connection_check_interval` (PostgreSQL 14+) on the migration's
  session: the server polls the client's socket while a statement runs and
  cancels the statement within about a second of the client going away;
- before a run starts work, it looks in `pg_stat_activity` for statements
  that luna-db sessions still run, and waits for them (bounded), naming each
  (server pid, application, start), or fails saying which pid to end. With
  the lock on the migration's own session (db/lock.py) a dead run's statement
  keeps the lock until it stops; this catches the rest (a luna-db older than
  that, a second connection of a dead run).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from sqlalchemy import text

from ..errors import OperationFailed

#: How often the server checks, during a statement, that luna-db is still there.
CHECK_INTERVAL_MS = 1000
POLL_INTERVAL = 0.5

# Active statements of other luna-db sessions in this database. A waiter
# polling for the migration lock runs only pg_try_advisory_lock, momentarily:
# not an orphan. The application name is luna-db's default, the one this
# session was given (a DSN may set its own), or the lock sessions' of older
# luna-db versions ("luna-db migration lock, pid ...").
_RUNNING = """
SELECT pid, application_name, state, query_start, xact_start,
       extract(epoch FROM now() - query_start) AS seconds, left(query, 200) AS query
FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid()
  AND state IN ('active', 'fastpath function call')
  AND (application_name = current_setting('application_name') OR application_name LIKE 'luna-db%')
  AND query NOT ILIKE '%pg_try_advisory_lock%'
  AND query NOT ILIKE '%pg_stat_activity%'
  AND query NOT ILIKE '%pg_stat_progress%'
ORDER BY query_start
"""


@dataclass(frozen=True)
class RunningStatement:
    """A statement some luna-db session runs right now."""

    pid: int
    application: str
    query_start: datetime | None
    seconds: float
    query: str

    def describe(self) -> str:
        since = f"since {self.query_start:%Y-%m-%d %H:%M:%S %Z}".rstrip() if self.query_start else "since ?"
        return f"server pid {self.pid} ('{self.application}', {since}, {self.seconds:.0f} s): {_short(self.query)}"

    def as_dict(self) -> dict:
        return {
            "pid": self.pid, "application": self.application, "seconds": round(self.seconds, 1),
            "query_start": self.query_start.isoformat() if self.query_start else None, "query": self.query,
        }


def _short(query: str) -> str:
    flat = " ".join(query.split())
    return flat if len(flat) <= 80 else flat[:77] + "..."


def server_version(connection) -> int:
    """server_version_num, e.g. 150004."""
    return int(connection.execute(text("SHOW server_version_num")).scalar())


def guard_session(connection) -> bool:
    """Make the server stop this session's statements soon after luna-db dies (PostgreSQL 14+).

    Session level (the setting must hold across the per-revision
    transactions); session.reset_session puts it back before release.
    Returns whether the server has the setting.
    """
    if server_version(connection) < 140000:
        return False
    connection.execute(
        text("SELECT set_config('client_connection_check_interval', :value, false)"),
        {"value": f"{CHECK_INTERVAL_MS}ms"},
    )
    return True


def running_statements(connection) -> list[RunningStatement]:
    """Statements other luna-db sessions of this database run right now."""
    rows = connection.execute(text(_RUNNING)).all()
    if connection.in_transaction():
        connection.commit()  # hold no snapshot while waiting
    return [
        RunningStatement(row.pid, row.application_name or "", row.query_start, float(row.seconds or 0), row.query or "")
        for row in rows
    ]


def wait_for_orphans(
    connection, timeout: float, report: Callable[[str], None], *, sleep: Callable[[float], None] = time.sleep,
) -> list[RunningStatement]:
    """Wait (up to `timeout` s) until no other luna-db session runs a statement here.

    Called under the migration lock, so such a statement belongs to a run
    that is gone or to a luna-db that holds no lock. Says once which ones it
    waits for; OperationFailed naming each pid when they outlast the bound.
    Returns the statements it waited for.
    """
    deadline = time.monotonic() + timeout
    first = running_statements(connection)
    if not first:
        return []
    report(
        "waiting for statements an earlier luna-db run left running: "
        + "; ".join(statement.describe() for statement in first)
    )
    remaining = first
    while remaining:
        if time.monotonic() >= deadline:
            pids = ", ".join(str(statement.pid) for statement in remaining)
            raise OperationFailed(
                f"statements of an earlier luna-db run still run after {timeout:g} s: "
                + "; ".join(statement.describe() for statement in remaining)
                + f" (let them finish, or end them: SELECT pg_cancel_backend(pid) for {pids})"
            )
        sleep(min(POLL_INTERVAL, max(deadline - time.monotonic(), 0)))
        remaining = running_statements(connection)
    return first
