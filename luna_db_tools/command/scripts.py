"""What needs no database: a schema's revision history, and the offline SQL scripts (`--sql`).

The scripts are Alembic's offline mode (runtime/offline.py) for --db-type:
`create --sql` builds the head schema and stamps it; `upgrade/downgrade --sql`
runs a revision range, checked first to run the way its command goes.
An Oracle script is rendered for `--oracle-version` (runtime/offline.oracle_target).
"""

from __future__ import annotations

from ..runtime.offline import create_sql, migration_sql, parse_oracle_version
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


def create_script(schema: str, db_type: str, oracle_version: str | None = None) -> str:
    """`create --sql`: the DDL of the head schema and its stamp (Oracle: for that release, e.g. "11.2")."""
    return create_sql(schema, db_type, oracle_version=_release(oracle_version))


def migration_script(
    schema: str, db_type: str, revision: str, direction: str, timeouts: Timeouts, oracle_version: str | None = None,
) -> str:
    """`upgrade/downgrade --sql REVISION` (or FROM:TO): the script of that range (Oracle: for that release)."""
    release = _release(oracle_version)
    check_sql_range(schema, revision, direction)
    return migration_sql(schema, db_type, revision, direction, timeouts, oracle_version=release)


def _release(text: str | None) -> tuple[int, int] | None:
    return None if text is None else parse_oracle_version(text)
