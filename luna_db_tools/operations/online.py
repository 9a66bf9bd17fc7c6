"""Migration operations that keep a busy PostgreSQL table writable.

For use inside revision files. Elsewhere (Oracle) they fall back to the
plain operation.
"""

from __future__ import annotations

from alembic import op

from .context import luna_attributes


def create_index_without_blocking(name: str | None, table: str, columns: list[str]) -> None:
    """CREATE INDEX CONCURRENTLY on PostgreSQL, outside the revision's transaction.

    - An index of that name that is already valid was built by an earlier
      run that died before the version was stamped: it is kept, never
      rebuilt (a retry must not cost a second build of a big table).
    - An INVALID one (a build that was interrupted) is dropped first.
    - The build's waits (its table lock, then the old snapshots every
      concurrent build waits for) are bounded by the index wait timeout
      (--index-wait-timeout), not the lock timeout: waiting for a
      pg_dump blocks no writer. While waiting, luna-db names the sessions
      it waits for. A build that fails drops its INVALID index.
    """
    context = op.get_context()
    if context.dialect.name != "postgresql":
        op.create_index(name, table, columns)
        return
    if context.as_sql or name is None:
        with context.autocommit_block():
            if name is not None:
                op.drop_index(name, table_name=table, if_exists=True, postgresql_concurrently=True)
            op.create_index(name, table, columns, postgresql_concurrently=True)
        return
    from .index_build import build_index_concurrently

    with context.autocommit_block():
        build_index_concurrently(op.get_bind(), luna_attributes(context), name, table,
                                 lambda: op.create_index(name, table, columns, postgresql_concurrently=True))



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
