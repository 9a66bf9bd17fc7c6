"""The audit trail: who changed this database, when, and with which file.

One row per revision applied or reverted (and per `create` or `stamp`), in
`luna_db_audit`, written in the same transaction as the revision itself on
PostgreSQL, so the trail and the schema never disagree. The checksum of the
revision file is kept, so that an edited file can be found later (Flyway's
`validate`).
"""

from __future__ import annotations

import getpass
import hashlib
import socket
from datetime import datetime, timezone
from pathlib import Path

from . import __version__

AUDIT_TABLE = "luna_db_audit"


def audit_table():
    import sqlalchemy as sa

    metadata = sa.MetaData()
    return sa.Table(
        AUDIT_TABLE,
        metadata,
        sa.Column("audit_id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("revision", sa.String(32), nullable=False),
        sa.Column("direction", sa.String(16), nullable=False),  # up, down, create, stamp
        sa.Column("started_at", sa.TIMESTAMP, nullable=False),
        sa.Column("finished_at", sa.TIMESTAMP, nullable=False),
        sa.Column("duration_ms", sa.Integer, nullable=False),
        sa.Column("tool_version", sa.String(32), nullable=False),
        sa.Column("os_user", sa.String(128), nullable=False),
        sa.Column("os_host", sa.String(255), nullable=False),
        sa.Column("checksum", sa.String(64)),
        comment="luna-db: every revision applied or reverted",
    )


def ensure_audit_table(connection) -> None:
    """Create the audit table when missing (committed before any revision runs)."""
    import sqlalchemy as sa

    if AUDIT_TABLE not in sa.inspect(connection).get_table_names():
        audit_table().create(connection)


def file_checksum(path: str | Path) -> str:
    """sha256 of a revision file, line endings normalised (a checkout on Windows is not an edit)."""
    text = Path(path).read_bytes().replace(b"\r\n", b"\n")
    return hashlib.sha256(text).hexdigest()


def who() -> tuple[str, str]:
    try:
        user = getpass.getuser()
    except Exception:  # no name for this uid (containers)
        user = "unknown"
    return user, socket.gethostname()


def record(connection, revision: str, direction: str, started: datetime, checksum: str | None) -> None:
    """One audit row; `started` is a UTC datetime."""
    finished = utcnow()
    user, host = who()
    connection.execute(
        audit_table().insert().values(
            revision=revision,
            direction=direction,
            started_at=started,
            finished_at=finished,
            duration_ms=int((finished - started).total_seconds() * 1000),
            tool_version=__version__,
            os_user=user[:128],
            os_host=host[:255],
            checksum=checksum,
        )
    )


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def audit_rows(connection) -> list[dict]:
    """Every audit row, oldest first; [] when the table does not exist."""
    import sqlalchemy as sa

    if AUDIT_TABLE not in sa.inspect(connection).get_table_names():
        return []
    table = audit_table()
    rows = connection.execute(sa.select(table).order_by(table.c.audit_id)).mappings().all()
    return [
        {key: (value.isoformat() if isinstance(value, datetime) else value) for key, value in row.items()}
        for row in rows
    ]


def checksum_mismatches(rows: list[dict], script, applied: list[str]) -> list[dict]:
    """Applied revisions whose file differs from the checksum recorded when applied."""
    latest_up: dict[str, str] = {}
    for row in rows:
        if row["direction"] == "up" and row["checksum"]:
            latest_up[row["revision"]] = row["checksum"]
    mismatches = []
    for revision in applied:
        recorded = latest_up.get(revision)
        if recorded is None:
            continue
        current = file_checksum(script.get_revision(revision).path)
        if current != recorded:
            mismatches.append({"revision": revision, "recorded": recorded, "current": current})
    return mismatches


class AuditRecorder:
    """An Alembic `on_version_apply` hook: one audit row per step, written
    before the step's transaction commits."""

    def __init__(self):
        self.mark = utcnow()

    def __call__(self, ctx, step, heads, run_args) -> None:
        if ctx.as_sql:
            return  # offline scripts carry no audit rows (no user, host or time to tell)
        script = step.up_revision
        if step.is_stamp:
            direction = "stamp"
        else:
            direction = "up" if step.is_upgrade else "down"
        checksum = file_checksum(script.path) if script is not None and script.path else None
        record(ctx.connection, step.up_revision_id or "base", direction, self.mark, checksum)
        self.mark = utcnow()
