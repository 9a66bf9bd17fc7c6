"""`luna-db current` and `history --audit`: what the database records, read-only (no models, no drift)."""

from __future__ import annotations

from ..config.settings import DbSettings
from ..db import audit
from ..db.connect import RetryPolicy, connect
from ..db.tool_tables import current_revisions


def current(settings: DbSettings, *, policy: RetryPolicy | None = None) -> list[str]:
    with connect(settings, policy) as connection:
        return current_revisions(connection)


def audit_trail(settings: DbSettings, *, policy: RetryPolicy | None = None) -> list[dict]:
    """The database's audit rows, oldest first."""
    with connect(settings, policy) as connection:
        return audit.audit_rows(connection)
