"""What needs no database: a schema's revision history, and the offline SQL scripts (`--sql`).

The history is read from the revision files (script/revisions.py): `heads`
and `history` load neither Alembic nor SQLAlchemy, unless the history is not
one line, which Alembic then shows as it is. The scripts are Alembic's
offline mode (runtime/offline.py) for --db-type, imported only by the
functions that render them: `create --sql` builds the head schema and stamps
it; `upgrade/downgrade --sql` runs a revision range, checked first to run the
way its command goes.
An Oracle script is rendered for `--oracle-version` (runtime/offline.oracle_target).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..script.revisions import NotLinear, history_entries, linear_history

if TYPE_CHECKING:
    from ..runtime.steps import Timeouts

__all__ = ["create_script", "heads", "history", "migration_script"]


def heads(schema: str) -> list[str]:
    """The head revision(s) of the schema's history."""
    try:
        order = linear_history(schema)
    except NotLinear:
        from ..script import history as alembic_history

        return alembic_history.heads(schema)
    return [order[-1].revision] if order else []


def history(schema: str) -> list[dict]:
    """The schema's revisions, oldest first, each as a dict (id, down_revision, message, is_head)."""
    try:
        return history_entries(linear_history(schema))
    except NotLinear:
        from ..script import history as alembic_history

        return alembic_history.history(schema)


def create_script(schema: str, db_type: str, oracle_version: str | None = None) -> str:
    """`create --sql`: the DDL of the head schema and its stamp (Oracle: for that release, e.g. "11.2")."""
    from ..runtime.offline import create_sql

    return create_sql(schema, db_type, oracle_version=_release(oracle_version))


def migration_script(
    schema: str, db_type: str, revision: str, direction: str, timeouts: Timeouts, oracle_version: str | None = None,
) -> str:
    """`upgrade/downgrade --sql REVISION` (or FROM:TO): the script of that range (Oracle: for that release)."""
    from ..runtime.offline import migration_sql
    from .guards import check_sql_range

    release = _release(oracle_version)
    check_sql_range(schema, revision, direction)
    return migration_sql(schema, db_type, revision, direction, timeouts, oracle_version=release)


def _release(text: str | None) -> tuple[int, int] | None:
    from ..runtime.offline import parse_oracle_version

    return None if text is None else parse_oracle_version(text)
