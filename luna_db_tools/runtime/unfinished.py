"""Steps an earlier run started and did not finish, and what they left behind.

PostgreSQL rolls such a step back; Oracle, whose DDL commits statement by
statement, leaves it part-applied, for `upgrade` (or `downgrade`) to complete
(see rerun.py). The audit trail tells which steps these are.
"""

from __future__ import annotations

from ..db import audit
from ..db.lock import lock_is_held

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
    if lock_is_held(connection):
        state = IN_PROGRESS
    else:
        state = PART_APPLIED if connection.dialect.name == "oracle" else ROLLED_BACK
    keys = ("revision", "direction", "started_at", "os_user", "os_host", "error")
    return [{**{key: row[key] for key in keys}, "state": state} for row in rows]
