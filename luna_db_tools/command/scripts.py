"""What needs no database: a schema's revision history, and the offline SQL scripts (`--sql`).

The scripts are Alembic's offline mode (runtime/offline.py) for --db-type:
`create --sql` builds the head schema and stamps it; `upgrade/downgrade --sql`
runs a revision range, checked first to run the way its command goes.
"""

from __future__ import annotations

from ..runtime.offline import create_sql, migration_sql
from ..runtime.steps import Timeouts
from ..script import history as _history
from .guards import check_sql_range

__all__ = ["Timeouts", "create_script", "heads", "history", "migration_script"]


def heads(schema: str) -> list[str]:
    """The head revision(s) of the schema's history."""
    return _history.heads(schema)


def history(schema: str) -> list[dict]:
    """The schema's revisions, oldest first, each as a dict (id, down_revision, message, is_head ...)."""
    return _history.history(schema)


def create_script(schema: str, db_type: str) -> str:
    """`create --sql`: the DDL of the head schema and its stamp."""
    return create_sql(schema, db_type)


def migration_script(schema: str, db_type: str, revision: str, direction: str, timeouts: Timeouts) -> str:
    """`upgrade/downgrade --sql REVISION` (or FROM:TO): the script of that range."""
    check_sql_range(schema, revision, direction)
    return migration_sql(schema, db_type, revision, direction, timeouts)
