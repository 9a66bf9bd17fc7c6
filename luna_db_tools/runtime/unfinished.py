"""Steps an earlier run started and did not finish, and what they left behind.

PostgreSQL rolls such a step back; Oracle, whose DDL commits statement by
statement, leaves it part-applied, for `upgrade` (or `downgrade`) to complete
(see rerun.py). The audit trail tells which steps these are.
"""

from __future__ import annotations

from ..db import audit
from ..db.lock import lock_holder, lock_is_held
from ..db.orphans import running_statements

ROLLED_BACK, PART_APPLIED, IN_PROGRESS = "rolled back", "part-applied", "in progress"


def part_applied_steps(connection) -> set[tuple[str, str]]:
    """Oracle: (revision, direction) of the steps an earlier run left part-applied."""
    if connection.dialect.name != "oracle":
        return set()
    unfinished = audit.unfinished(audit.audit_rows(connection))
    connection.commit()
    return {(row["revision"], row["direction"]) for row in unfinished}


def unfinished_steps(connection, trail: list[dict]) -> list[dict]:
    """Each unfinished step of `trail` with its state: rolled back, part-applied or in progress."""
    rows = audit.unfinished(trail)
    if not rows:
        return []
    running = _running(connection)
    if running is not None:
        state = IN_PROGRESS
    else:
        state = PART_APPLIED if connection.dialect.name == "oracle" else ROLLED_BACK
    keys = ("revision", "direction", "started_at", "os_user", "os_host", "error")
    return [{**{key: row[key] for key in keys}, "state": state, **(running or {})} for row in rows]


def _running(connection) -> dict | None:
    """What runs the unfinished step now, if anything: {"pid", "statement_running", "query_start"} on PostgreSQL.

    The lock holder (a live run: the lock is on its migration session), else
    a statement a luna-db session still runs without the lock (a dead run's
    orphan, until the server notices its client is gone). None: nothing runs.
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
