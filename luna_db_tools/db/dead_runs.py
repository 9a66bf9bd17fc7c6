"""Runs that died: what a dead luna-db run leaves behind, and how later runs deal with it.

A run dies when its process is killed (kill -9, SIGTERM) or its connection is
lost. It can leave three things, handled here in the order a run meets them:

1. A statement still running. PostgreSQL notices a dead client only when it
   next talks to it: a backend in the middle of a long statement (an index
   build, a big UPDATE) keeps running it, holding its locks, for as long as
   the statement takes. Two defences: `client_connection_check_interval`
   (PostgreSQL 14+) on the migration's session, so the server polls the
   client's socket while a statement runs and cancels the statement within
   about a second of the client going away; and, before a run starts work, a
   look in `pg_stat_activity` for statements luna-db sessions still run, and
   a bounded wait for them, naming each (server pid, application, start), or
   a failure saying which pid to end. With the lock on the migration's own
   session (db/lock.py) a dead run's statement keeps the lock until it stops;
   the wait catches the rest (a luna-db older than that, a second connection
   of a dead run).
2. An audit row left `running`. A step's row is committed as `running` before
   the step starts (audit.py); a run that dies in the step never closes it.
   The next run, once it holds the migration lock and no luna-db statement is
   left running (session.py), knows that no one else will: it closes each
   such row as `abandoned`.
3. An unfinished step (a dead run's, or a failed one's). PostgreSQL rolled it
   back; Oracle, whose DDL commits statement by statement, leaves it
   part-applied, for `upgrade` (or `downgrade`) to complete (runtime/rerun.py).
   The audit trail tells which steps these are, and `status` shows each.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

import sqlalchemy as sa
from sqlalchemy import text

from ..errors import OperationFailed
from .audit import DONE, RUNNING, audit_rows, audit_table, utc_now
from .catalog_queries import has_table
from .lock import lock_holder, lock_is_held
from .server_version import postgresql_has
from .tool_tables import AUDIT_TABLE

#: How often the server checks, during a statement, that luna-db is still there.
CHECK_INTERVAL_MS = 1000
POLL_INTERVAL = 0.5

# Active statements of other luna-db sessions in this database. A waiter
# polling for the migration lock runs only pg_try_advisory_lock, momentarily:
# not a dead run's statement. The application name is luna-db's default, the one this
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


def guard_session(connection) -> bool:
    """Make the server stop this session's statements soon after luna-db dies (PostgreSQL 14+).

    Session level (the setting must hold across the per-revision
    transactions); session.reset_session puts it back before release.
    Returns whether the server has the setting.
    """
    if not postgresql_has(connection, "client_connection_check_interval"):
        return False  # 12, 13: the wait for dead runs' statements is the only defence (server_version.py)
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


def wait_for_dead_runs_statements(
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


#: The audit outcome of a step whose run died (the value stored in `luna_db_audit.outcome`).
ABANDONED = "abandoned"
REASON = "abandoned: its luna-db run ended before the step did (killed, or its connection was lost)"


def close_dead_runs_rows(connection, report: Callable[[str], None]) -> list[tuple[str, str]]:
    """Mark every `running` audit row `abandoned` (call under the lock): its run is dead.

    Returns (revision, direction) of each row closed.
    """
    if not has_table(connection, AUDIT_TABLE):
        if connection.in_transaction():
            connection.commit()
        return []
    table = audit_table()
    rows = connection.execute(
        sa.select(table.c.audit_id, table.c.revision, table.c.direction, table.c.started_at)
        .where(table.c.outcome == RUNNING)
    ).all()
    for row in rows:
        connection.execute(
            table.update().where(table.c.audit_id == row.audit_id)
            .values(outcome=ABANDONED, finished_at=utc_now(), error=REASON)
        )
        report(f"closed the audit row of {row.direction} {row.revision} (started {row.started_at:%Y-%m-%d %H:%M:%S} UTC) "
               "as abandoned: its run is dead")
    connection.commit()
    return [(row.revision, row.direction) for row in rows]


ROLLED_BACK, PART_APPLIED, IN_PROGRESS = "rolled back", "part-applied", "in progress"


def unfinished_rows(rows: list[dict]) -> list[dict]:
    """Audit rows of steps that did not finish (`running`, `failed`) and were not completed since."""
    latest: dict[tuple[str, str], dict] = {}
    for row in rows:
        if row["direction"] in ("up", "down"):
            latest[(row["revision"], row["direction"])] = row
    return [row for row in latest.values() if row["outcome"] != DONE]


def part_applied_steps(connection) -> set[tuple[str, str]]:
    """Oracle: (revision, direction) of the steps an earlier run left part-applied."""
    if connection.dialect.name != "oracle":
        return set()
    rows = unfinished_rows(audit_rows(connection))
    connection.commit()
    return {(row["revision"], row["direction"]) for row in rows}


def unfinished_steps(connection, trail: list[dict]) -> list[dict]:
    """Each unfinished step of `trail` with its state: rolled back, part-applied or in progress."""
    rows = unfinished_rows(trail)
    if not rows:
        return []
    running = _what_runs_now(connection)
    if running is not None:
        state = IN_PROGRESS
    else:
        state = PART_APPLIED if connection.dialect.name == "oracle" else ROLLED_BACK
    keys = ("revision", "direction", "started_at", "os_user", "os_host", "error")
    return [{**{key: row[key] for key in keys}, "state": state, **(running or {})} for row in rows]


def _what_runs_now(connection) -> dict | None:
    """What runs the unfinished step now, if anything: {"pid", "statement_running", "query_start"} on PostgreSQL.

    The lock holder (a live run: the lock is on its migration session), else
    a statement a luna-db session still runs without the lock (a dead run's
    statement, until the server notices its client is gone). None: nothing runs.
    """
    if connection.dialect.name != "postgresql":
        return {} if lock_is_held(connection) else None
    holder = lock_holder(connection)
    if holder is not None:
        return {"pid": holder.pid, "statement_running": holder.state == "active",
                "query_start": holder.query_start.isoformat() if holder.query_start else None}
    statements = running_statements(connection)
    if statements:
        first = statements[0]
        return {"pid": first.pid, "statement_running": True,
                "query_start": first.query_start.isoformat() if first.query_start else None}
    return None
