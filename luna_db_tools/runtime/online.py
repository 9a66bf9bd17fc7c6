"""Migration operations that keep a busy PostgreSQL table writable.

For use inside revision files. Elsewhere (Oracle) they fall back to the
plain operation.
"""

from __future__ import annotations

from alembic import op


def create_index_without_blocking(name: str | None, table: str, columns: list[str]) -> None:
    """CREATE INDEX CONCURRENTLY on PostgreSQL, outside the revision's transaction.

    A build interrupted before the version was stamped leaves an INVALID
    index behind; it is dropped first, so that a rerun completes.
    """
    context = op.get_context()
    if context.dialect.name != "postgresql":
        op.create_index(name, table, columns)
        return
    with context.autocommit_block():
        if name is not None:
            op.drop_index(name, table_name=table, if_exists=True, postgresql_concurrently=True)
        op.create_index(name, table, columns, postgresql_concurrently=True)


def drop_index_without_blocking(name: str, table: str) -> None:
    """DROP INDEX CONCURRENTLY on PostgreSQL, outside the revision's transaction.

    A plain DROP INDEX takes an ACCESS EXCLUSIVE lock on the table: every
    reader queues behind it (and behind any long query holding the table).
    IF EXISTS, so that a rerun after an interruption completes.
    """
    context = op.get_context()
    if context.dialect.name != "postgresql":
        op.drop_index(name, table_name=table)
        return
    with context.autocommit_block():
        op.drop_index(name, table_name=table, if_exists=True, postgresql_concurrently=True)


def replace_check_without_blocking(name: str, table: str, condition: str) -> None:
    """Replace a CHECK: on PostgreSQL added NOT VALID, validated in a transaction of its own.

    VALIDATE CONSTRAINT scans the rows under a SHARE UPDATE EXCLUSIVE lock,
    so writers go on; a plain ADD CONSTRAINT would scan under an exclusive one.
    """
    op.drop_constraint(op.f(name), table, type_="check")
    if op.get_context().dialect.name != "postgresql":
        op.create_check_constraint(op.f(name), table, condition)
        return
    op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} CHECK ({condition}) NOT VALID")
    with op.get_context().autocommit_block():
        op.execute(f"ALTER TABLE {table} VALIDATE CONSTRAINT {name}")


def set_not_null_without_blocking(table: str, column: str, **existing) -> None:
    """SET NOT NULL without scanning under an exclusive lock (PostgreSQL 12+).

    A CHECK (column IS NOT NULL) is added NOT VALID and validated in a
    transaction of its own (writers go on); SET NOT NULL then takes the
    proven CHECK instead of scanning, and the CHECK goes. Elsewhere the
    plain operation. `existing` as for op.alter_column.
    """
    context = op.get_context()
    if context.dialect.name != "postgresql":
        op.alter_column(table, column, nullable=False, **existing)
        return
    check = f"ck_{table}_{column}_nn"[:63]
    op.execute(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {check}")
    op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {check} CHECK ({column} IS NOT NULL) NOT VALID")
    with context.autocommit_block():
        op.execute(f"ALTER TABLE {table} VALIDATE CONSTRAINT {check}")
    op.alter_column(table, column, nullable=False, **existing)
    op.execute(f"ALTER TABLE {table} DROP CONSTRAINT {check}")
