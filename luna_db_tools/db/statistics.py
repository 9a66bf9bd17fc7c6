"""What PostgreSQL's statistics views say about the live database, read without reading any table.

Row estimates (pg_class.reltuples) for the dry run, and how far a running
CREATE INDEX has got (pg_stat_progress_create_index) for the step ticker.
"""

from __future__ import annotations

import sqlalchemy as sa

from .server_version import postgresql_has

_INDEX_PROGRESS = """
SELECT p.phase, p.tuples_done, p.tuples_total
FROM pg_stat_progress_create_index p
WHERE p.datid = (SELECT oid FROM pg_database WHERE datname = current_database())
LIMIT 1
"""


def row_estimates(connection) -> dict[str, int | None]:
    """reltuples of every table, view and materialized view in the search path (None: never analysed)."""
    rows = connection.execute(sa.text(
        "SELECT c.relname, c.reltuples, c.relpages FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE c.relkind IN ('r', 'p', 'm') AND n.nspname = ANY (current_schemas(false))"
    )).all()
    marks_unknown = postgresql_has(connection, "reltuples_unknown")
    return {name: estimate(tuples, pages, marks_unknown) for name, tuples, pages in rows}


def estimate(reltuples: float | None, relpages: int | None, marks_unknown: bool) -> int | None:
    """A table's row estimate from pg_class, None when the server has none.

    From 14 on a never-analysed table has reltuples -1. Before 14 it has 0,
    as does an analysed empty one: 0 with no pages counts as unknown there.
    """
    if reltuples is None or reltuples < 0:
        return None
    if not marks_unknown and reltuples == 0 and not relpages:
        return None
    return int(reltuples)


def index_build_progress(connection) -> str | None:
    """Rows done of the index being built in this database now, or None when none is (or it has no count yet)."""
    row = connection.execute(sa.text(_INDEX_PROGRESS)).first()
    if row is None or not row.tuples_total:
        return None
    return f"index: {row.phase}, {row.tuples_done:,} of {row.tuples_total:,} rows"
