"""Audit rows of runs that died: closed as `abandoned` by the next run.

A step's row is committed as `running` before the step starts (audit.py);
a run killed in the step never closes it. The next run, once it holds the
migration lock and no statement of a luna-db is left running (session.py),
knows that no one else will: it closes each such row as `abandoned`. The
step stays unfinished for `status` until a later run completes it.
"""

from __future__ import annotations

from typing import Callable

import sqlalchemy as sa

from .audit import RUNNING, audit_table, utc_now
from .catalog_queries import has_table
from .tool_tables import AUDIT_TABLE

ABANDONED = "abandoned"
REASON = "abandoned: its luna-db run ended before the step did (killed, or its connection was lost)"


def close_abandoned(connection, report: Callable[[str], None]) -> list[tuple[str, str]]:
    """Mark every `running` audit row `abandoned` (call under the lock); returns (revision, direction) of each."""
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
               "as abandoned: its run is gone")
    connection.commit()
    return [(row.revision, row.direction) for row in rows]
