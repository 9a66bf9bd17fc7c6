"""Which tables a database has: the one place luna-db asks outside a full catalog read.

Every "does this table exist" question (the version table, the audit trail,
the lock, the kept credentials, an empty scratch database) goes through
these two functions, on any dialect, each one catalog query. A command
that already holds the schema's catalog snapshot asks the snapshot instead.
"""

from __future__ import annotations

import sqlalchemy as sa


def table_names(connection) -> set[str]:
    """The tables of the connection's default schema."""
    return set(sa.inspect(connection).get_table_names())


def has_table(connection, name: str) -> bool:
    """Whether the connection's default schema has the table `name`."""
    return sa.inspect(connection).has_table(name)
