"""`luna-db stamp` and `luna-db views`: bookkeeping and views, no migrations run."""

from __future__ import annotations

from alembic.runtime.migration import MigrationContext

from ..config.settings import DbSettings
from ..db import audit
from ..db.connect import RetryPolicy
from ..db.lock import DEFAULT_LOCK_TIMEOUT
from ..db.session import migration_session
from ..db.tool_tables import current_revisions
from ..models.base import create_views, drop_views
from ..schemas import load_models
from ..script.history import check_revision_argument, script_directory, user_errors_from_alembic
from .common import Report, schema_of, silent
from .guards import check_version_rows


def stamp(
    settings: DbSettings, revision: str, *, policy: RetryPolicy | None = None,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT, report: Report = silent,
) -> list[str]:
    """Record `revision` as current without running migrations; returns the revision reached."""

    schema = schema_of(settings)
    check_revision_argument(schema, revision)
    with migration_session(settings, policy, lock_timeout=lock_timeout, report=report) as connection:
        check_version_rows(schema, current_revisions(connection))
        started = audit.utc_now()
        with user_errors_from_alembic():
            MigrationContext.configure(connection).stamp(script_directory(schema), revision)
        reached = current_revisions(connection)
        audit.ensure_audit_table(connection)
        audit.record(connection, ",".join(reached) or "base", "stamp", started, None)
        connection.commit()
        return reached


def recreate_views(
    settings: DbSettings, *, policy: RetryPolicy | None = None,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT, report: Report = silent,
) -> list[str]:
    """Drop and recreate the schema's views; returns their names."""

    models = load_models(schema_of(settings))
    with migration_session(settings, policy, lock_timeout=lock_timeout, report=report) as connection:
        drop_views(connection, models.metadata)
        create_views(connection, models.metadata)
        connection.commit()
    return list(models.metadata.info.get("views", {}))
