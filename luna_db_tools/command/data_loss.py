"""The data-loss guard on a live database: what planned steps destroy, and the rows that is now.

What a step destroys is found by analysis/data_loss.py (the revision's
declaration, else its rendered downgrade SQL); here it is counted on the
database, read-only: a table's rows (minus the primal rows `create` itself
inserts, which are no one's data), a column's non-NULL values, a DELETE's
matching rows. An upgrade or downgrade refuses (exit 2) when the count is
not zero, unless --allow-data-loss; `--dry-run` shows the counts.
"""

from __future__ import annotations

from functools import lru_cache

import sqlalchemy as sa
from sqlalchemy import text

from ..analysis.data_loss import Destruction, Loss, declared, destructions_in_sql
from ..errors import BadInput
from ..runtime.offline import render_migration
from ..schemas import load_models
from ..script.history import PlannedStep, script_directory


def step_losses(connection, schema: str, steps: list[PlannedStep]) -> list[Loss]:
    """The rows the planned steps would destroy, counted now (nothing when they destroy nothing)."""
    destroyed = [d for step in steps for d in step_destructions(schema, step)]
    return count_losses(connection, schema, destroyed) if destroyed else []


def step_destructions(schema: str, step: PlannedStep) -> list[Destruction]:
    """What one planned step destroys."""
    return list(_step_destructions(schema, step.revision, step.direction, step.target))


@lru_cache(maxsize=None)
def _step_destructions(schema: str, revision: str, direction: str, target: str) -> tuple[Destruction, ...]:
    module = script_directory(schema).get_revision(revision).module
    given = declared(revision, direction, module)
    if given is not None:
        return tuple(given)
    if direction == "up":
        return ()  # an upgrade destroys nothing unless its revision says so
    sql = render_migration(schema, "postgres", f"{revision}:{target}", "downgrade")
    return tuple(destructions_in_sql(revision, direction, sql))


def count_losses(connection, schema: str, destructions: list[Destruction]) -> list[Loss]:
    """The destructions that would take rows now, with their row counts (read-only)."""
    primal = {table.name: rows for table, rows in load_models(schema).PRIMAL_ROWS}
    inspector = sa.inspect(connection)
    tables = set(inspector.get_table_names())
    losses = []
    for destruction in destructions:
        if destruction.table not in tables:
            continue
        rows = _count(connection, inspector, destruction, primal.get(destruction.table, []))
        if rows:
            losses.append(Loss(destruction, rows))
    if connection.in_transaction():
        connection.rollback()
    return losses


def _count(connection, inspector, destruction: Destruction, primal_rows: list[dict]) -> int:
    preparer = connection.dialect.identifier_preparer
    table = preparer.quote(destruction.table)
    if destruction.kind == "column":
        columns = {c["name"] for c in inspector.get_columns(destruction.table)}
        if destruction.column not in columns:
            return 0
        column = preparer.quote(destruction.column)
        return connection.execute(text(f"SELECT count(*) FROM {table} WHERE {column} IS NOT NULL")).scalar()
    if destruction.kind == "rows" and destruction.where:
        # The revision's own condition, counted in a read-only query.
        return connection.execute(text(f"SELECT count(*) FROM {table} WHERE {destruction.where}")).scalar()
    total = connection.execute(text(f"SELECT count(*) FROM {table}")).scalar()
    return max(total - _primal_present(connection, destruction.table, primal_rows), 0)


def _primal_present(connection, table_name: str, rows: list[dict]) -> int:
    """How many of the rows `create` inserts into this table are there, unchanged."""
    present = 0
    for row in rows:
        table = sa.table(table_name, *(sa.column(key) for key in row))
        condition = sa.and_(*(table.c[key] == value for key, value in row.items()))
        present += connection.execute(sa.select(sa.func.count()).select_from(table).where(condition)).scalar()
    return present


def refusal(direction: str, losses: list[Loss]) -> BadInput:
    """The exit-2 error: each table and its row count, and how to accept it."""
    listed = "; ".join(loss.describe() for loss in losses)
    return BadInput(
        f"refusing to {direction}: it would destroy data ({listed}); "
        "back it up first, or rerun with --allow-data-loss to accept the loss"
    )
