"""luna-db's own tables, beside the models': the version table, the audit trail, the lock.

The one list of their names (drift, check and `create` leave them out of
"the schema"), and the version table itself, built with SQLAlchemy Core the
way Alembic builds it, so that `create`, `create --sql` and `upgrade head`
leave the same table on every dialect (on Oracle: VARCHAR2(32 CHAR)).
"""

from __future__ import annotations

import sqlalchemy as sa

from .catalog_queries import has_table, table_names

VERSION_TABLE = "alembic_version"
AUDIT_TABLE = "luna_db_audit"
LOCK_TABLE = "luna_db_lock"
TOOL_TABLES = frozenset({VERSION_TABLE, AUDIT_TABLE, LOCK_TABLE})


def version_table():
    """Alembic's version table (alembic.runtime.migration), as Alembic defines it."""

    return sa.Table(
        VERSION_TABLE,
        sa.MetaData(),
        sa.Column("version_num", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("version_num", name=f"{VERSION_TABLE}_pkc"),
    )


def write_version(connection, revision: str) -> None:
    """Create the version table and record `revision` in it (what `stamp` does on an empty database)."""
    table = version_table()
    table.create(connection)
    connection.execute(table.insert().values(version_num=revision))


def current_revisions(connection, tables: set[str] | None = None) -> list[str]:
    """The revisions recorded in the database (empty: base, or no version table).

    Read with SQLAlchemy Core from the table `version_table` describes, as
    Alembic's MigrationContext.get_current_heads reads it: `create` needs it
    and no Alembic (importing Alembic costs a quarter of its run). `tables`:
    the database's table names when the caller has them (`table_names`), so
    one catalog query answers for every tool table.
    """
    if not (VERSION_TABLE in tables if tables is not None else has_table(connection, VERSION_TABLE)):
        return []
    table = version_table()
    return [row.version_num for row in connection.execute(sa.select(table.c.version_num))]


def schema_tables(connection) -> list[str]:
    """The database's tables that are not luna-db's own."""

    return sorted(table_names(connection) - TOOL_TABLES)


def is_schema_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic's `include_object` hook: everything but luna-db's own tables."""
    return not (type_ == "table" and name in TOOL_TABLES)


def has_version_rows(connection) -> bool:
    """Whether the database holds a migration history (a version table with a row)."""
    if not has_table(connection, VERSION_TABLE):
        return False
    return connection.execute(sa.select(sa.func.count()).select_from(version_table())).scalar_one() > 0
