"""Send a catalog step's statements to PostgreSQL in one round trip.

A catalog step holds its strong lock (SHARE ROW EXCLUSIVE for a foreign key,
ACCESS EXCLUSIVE for a CHECK) from its first statement to its COMMIT, and
every writer of the table waits that long. Sent one by one, s0003's step is
26 statements (each table, each column comment, the index): 26 round trips
through the client, ~60 ms on a loaded 2-core machine, and longer whenever
the client is descheduled while it holds the lock. Sent together, the lock
is held for the server's own work only.

While `pipelined(context)` is open, a DDL construct, or a parameterless
text() that is DDL or transaction control by its first word, executed
through the migration's connection (op.execute, op.create_*, and
`op.get_bind().execute`) is compiled and queued; any other statement (a
query whose rows someone reads) sends the queue first and then runs as
usual, so statements keep their order. The queue goes as one simple-protocol query
(psycopg2 with no parameters): on the first error PostgreSQL stops there and
the error is raised from the block, as it would have been from the statement.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from typing import Iterator

from sqlalchemy.sql.ddl import ExecutableDDLElement
from sqlalchemy.sql.elements import TextClause

# The first words of statements that answer nothing anyone reads.
_NO_ANSWER = re.compile(
    r"\s*(CREATE|ALTER|DROP|COMMENT|GRANT|REVOKE|BEGIN|COMMIT|SET|SAVEPOINT|RELEASE)\b", re.IGNORECASE)


class _QueueingConnection:
    """Stands in for the migration's Connection: queues what needs no answer, passes on the rest."""

    def __init__(self, connection):
        self._connection = connection
        self._queue: list[str] = []

    def execute(self, statement, parameters=None, *args, **kwargs):
        sql = None if parameters or args or kwargs else _queueable(statement, self._connection.dialect)
        if sql is None:
            self.flush()
            return self._connection.execute(statement, parameters, *args, **kwargs)
        self._queue.append(sql)
        return None

    def flush(self) -> None:
        if not self._queue:
            return
        joined = ";\n".join(self._queue)
        self._queue = []
        # With (empty) parameters, as SQLAlchemy runs a compiled DDL: the driver
        # turns the compiler's doubled %% back into %.
        self._connection.exec_driver_sql(joined, {})

    def __getattr__(self, name):
        return getattr(self._connection, name)


def _queueable(statement, dialect) -> str | None:
    """The SQL of a statement that returns nothing we read, or None."""
    if isinstance(statement, TextClause):
        if not _NO_ANSWER.match(statement.text):
            return None
    elif not isinstance(statement, ExecutableDDLElement):
        return None
    compiled = statement.compile(dialect=dialect)
    if compiled.params:
        return None
    sql = str(compiled).strip().rstrip(";")
    return sql or None


@contextmanager
def pipelined(context) -> Iterator[None]:
    """Queue the block's statements on `context`'s connection and send them together at its end.

    For PostgreSQL online runs only (an offline script has no round trips).
    On an error inside the block nothing queued is sent.
    """
    impl = context.impl
    real = impl.connection
    queueing = _QueueingConnection(real)
    impl.connection = queueing
    try:
        yield
        impl.connection = real
        queueing.flush()
    finally:
        impl.connection = real
