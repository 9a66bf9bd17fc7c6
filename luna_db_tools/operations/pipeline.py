"""Send a catalog step's statements to PostgreSQL in one round trip.

A catalog step holds its strong lock (SHARE ROW EXCLUSIVE for a foreign key,
ACCESS EXCLUSIVE for a CHECK) from its first statement to its COMMIT, and
every writer of the table waits that long. Sent one by one, s0003's step is
26 statements (each table, each column comment, the index): 26 round trips
through the client, ~60 ms on a loaded 2-core machine, and longer whenever
the client is descheduled while it holds the lock. Sent together, the lock
is held for the server's own work only.

While `pipelined(context)` is open, every statement the migration's
connection sends with no parameters that is DDL or transaction control by
its first word (op.execute, op.create_*, `op.get_bind().execute`, SQL
compiled by SQLAlchemy or written by hand) is queued at the driver call
instead of being sent; any other statement (a query someone reads, an
inspection of the catalog) sends the queue first and then runs as usual,
so statements keep their order. The queue goes as one simple-protocol
query: on the first error PostgreSQL stops there and the error is raised,
as it would have been from the statement.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import event

# The first words of statements that answer nothing anyone reads.
_NO_ANSWER = re.compile(
    r"\s*(CREATE|ALTER|DROP|COMMENT|GRANT|REVOKE|BEGIN|COMMIT|SET|SAVEPOINT|RELEASE)\b", re.IGNORECASE)


class _Queue:
    """The statements of one connection held back at the driver call, sent together by `send`."""

    def __init__(self, connection):
        self.connection = connection
        self.statements: list[str] = []

    def hold(self, cursor, statement, parameters, context) -> bool:
        """SQLAlchemy's do_execute hook: True when the statement was queued (the driver is not called)."""
        if context is None or context.root_connection is not self.connection:
            return False
        if not parameters and _NO_ANSWER.match(statement):
            self.statements.append(statement.strip().rstrip(";"))
            return True
        self.send(cursor)
        return False

    def send(self, cursor) -> None:
        if not self.statements:
            return
        joined = ";\n".join(self.statements)
        self.statements = []
        # With (empty) parameters, as SQLAlchemy runs a compiled DDL: the
        # driver turns the compiler's doubled %% back into %.
        cursor.execute(joined, {})


@contextmanager
def pipelined(context) -> Iterator[None]:
    """Queue the block's statements on `context`'s connection and send them together at its end.

    For PostgreSQL online runs only (an offline script has no round trips).
    On an error inside the block nothing still queued is sent.
    """
    connection = context.impl.connection
    queue = _Queue(connection)
    dialect = connection.dialect
    event.listen(dialect, "do_execute", queue.hold)
    try:
        yield
    except BaseException:
        queue.statements = []
        raise
    finally:
        event.remove(dialect, "do_execute", queue.hold)
    if queue.statements:
        joined = ";\n".join(queue.statements)
        queue.statements = []
        connection.exec_driver_sql(joined, {})
