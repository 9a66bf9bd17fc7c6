"""What PostgreSQL's statistics views say about the live database, read without reading any table.

Row estimates (pg_class.reltuples) for the dry run, and how far a running
CREATE INDEX has got (pg_stat_progress_create_index) for the step ticker.
"""

from __future__ import annotations

import sqlalchemy as sa

_INDEX_PROGRESS = """
SELECT p.phase, p.tuples_done, p.tuples_total
FROM pg_stat_progress_create_index p
WHERE p.datid = (SELECT oid FROM pg_database WHERE datname = current_database())
LIMIT 1
"""


def row_estimates(connection) -> dict[str, int | None]:
    """reltuples of every table, view and materialized view in the search path (None: never analysed)."""
    rows = connection.execute(sa.text(
        "SELECT c.relname, c.reltuples FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE c.relkind IN ('r', 'p', 'm') AND n.nspname = ANY (current_schemas(false))"
    )).all()
    return {name: (None if tuples < 0 else int(tuples)) for name, tuples in rows}


def index_build_progress(connection) -> str | None:
    """Rows done of the index being built in this database now, or None when none is (or it has no count yet)."""
    row = connection.execute(sa.text(_INDEX_PROGRESS)).first()
    if row is None or not row.tuples_total:
        return None
    return f"index: {row.phase}, {row.tuples_done:,} of {row.tuples_total:,} rows"
