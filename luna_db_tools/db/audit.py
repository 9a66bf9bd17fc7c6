"""The audit trail: who changed this database, when, and with which file.

One row per revision applied or reverted (and per `create` or `stamp`), in
`luna_db_audit`. luna-db opens a step's row, as `running`, in a commit of its
own before the step starts, and closes it as `done` inside the step's own
transaction, so on PostgreSQL the trail and the schema never disagree. A row
left `running` or `failed` tells `status` that a step did not finish: on
Oracle, whose DDL commits statement by statement, the revision is
part-applied; on PostgreSQL it was rolled back. The checksum of the revision
file is kept, so that an edited file can be found later (Flyway's
`validate`).
"""

from __future__ import annotations

import functools
import getpass
import hashlib
import socket
import uuid
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from .. import __version__
from ..errors import first_line
from ..redact import redact
from .catalog_queries import has_table
from .tool_tables import AUDIT_TABLE

RUNNING, DONE, FAILED = "running", "done", "failed"


@functools.cache
def audit_table():
    """The audit table, built once: every step writes a row, and a new Table per row costs its
    types' set-up and a statement compiled anew (SQLAlchemy's cache keys on the Table)."""
    metadata = sa.MetaData()
    return sa.Table(
        AUDIT_TABLE,
        metadata,
        # A uuid, not an identity: Backport 3 databases may be on Oracle 11.2.
        sa.Column("audit_id", sa.String(32), primary_key=True),
        sa.Column("revision", sa.String(32), nullable=False),
        sa.Column("direction", sa.String(16), nullable=False),  # up, down, create, stamp
        sa.Column("outcome", sa.String(16), nullable=False),  # running, done, failed
        sa.Column("started_at", sa.TIMESTAMP, nullable=False),
        sa.Column("finished_at", sa.TIMESTAMP),
        sa.Column("duration_ms", sa.Integer),
        sa.Column("error", sa.String(500)),
        sa.Column("tool_version", sa.String(32), nullable=False),
        sa.Column("os_user", sa.String(128), nullable=False),
        sa.Column("os_host", sa.String(255), nullable=False),
        sa.Column("checksum", sa.String(64)),
        comment="luna-db: every revision applied or reverted",
    )


def ensure_audit_table(connection) -> None:
    """Create the audit table when missing (committed before any revision runs)."""

    if not has_table(connection, AUDIT_TABLE):
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
    """One complete (`done`) audit row; `started` is a UTC datetime."""
    finished = utc_now()
    connection.execute(
        audit_table().insert().values(
            **_new_row(revision, direction, started, checksum),
            outcome=DONE,
            finished_at=finished,
            duration_ms=_milliseconds(started, finished),
        )
    )


def _new_row(revision: str, direction: str, started: datetime, checksum: str | None) -> dict:
    user, host = who()
    return dict(
        audit_id=uuid.uuid4().hex,
        revision=revision,
        direction=direction,
        started_at=started,
        tool_version=__version__,
        os_user=user[:128],
        os_host=host[:255],
        checksum=checksum,
    )


def _milliseconds(started: datetime, finished: datetime) -> int:
    return int((finished - started).total_seconds() * 1000)


class Journal:
    """The audit rows of one luna-db run, step by step.

    `begin` commits a `running` row before a step starts, so that a step that
    never finishes leaves a trace; `finish` marks it `done` inside the step's
    own transaction; `fail` marks it `failed` when the step raised.
    """

    def __init__(self):
        self.open: dict | None = None

    def begin(self, connection, revision: str, direction: str, checksum: str | None) -> None:
        row = _new_row(revision, direction, utc_now(), checksum)
        connection.execute(audit_table().insert().values(**row, outcome=RUNNING))
        connection.commit()
        self.open = row

    def is_open_for(self, revision: str, direction: str) -> bool:
        return self.open is not None and (self.open["revision"], self.open["direction"]) == (revision, direction)

    def finish(self, connection) -> None:
        self._close(connection, DONE, None)

    def fail(self, connection, error: BaseException) -> None:
        """Best effort: the connection may be gone, and then the row stays `running`."""
        if self.open is None:
            return
        try:
            connection.rollback()
            self._close(connection, FAILED, redact(first_line(error))[:500])
            connection.commit()
        except SQLAlchemyError:
            self.open = None

    def _close(self, connection, outcome: str, error: str | None) -> None:
        table = audit_table()
        finished = utc_now()
        connection.execute(
            table.update()
            .where(table.c.audit_id == self.open["audit_id"])
            .values(outcome=outcome, finished_at=finished, error=error,
                    duration_ms=_milliseconds(self.open["started_at"], finished))
        )
        self.open = None


def utc_now() -> datetime:
    """The wall clock in UTC, naive, as the audit table's TIMESTAMP columns hold it."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def audit_rows(connection, tables: set[str] | None = None) -> list[dict]:
    """Every audit row, oldest first; [] when the table does not exist (`tables`: the
    database's table names when the caller has them, else the catalog is asked)."""

    if not (AUDIT_TABLE in tables if tables is not None else has_table(connection, AUDIT_TABLE)):
        return []
    table = audit_table()
    rows = connection.execute(sa.select(table).order_by(table.c.started_at, table.c.audit_id)).mappings().all()
    return [
        {key: (value.isoformat() if isinstance(value, datetime) else value) for key, value in row.items()}
        for row in rows
    ]


class AuditRecorder:
    """An Alembic `on_version_apply` hook: closes the step's row before the
    step's transaction commits (or writes a whole row when Alembic runs
    without luna-db's journal, as plain `alembic` does)."""

    def __init__(self, journal: Journal | None = None):
        self.journal = journal
        self.mark = utc_now()

    def __call__(self, ctx, step, heads, run_args) -> None:
        if ctx.as_sql:
            return  # offline scripts carry no audit rows (no user, host or time to tell)
        script = step.up_revision
        if step.is_stamp:
            direction = "stamp"
        else:
            direction = "up" if step.is_upgrade else "down"
        revision = step.up_revision_id or "base"
        if self.journal is not None and self.journal.is_open_for(revision, direction):
            self.journal.finish(ctx.connection)
        else:
            checksum = file_checksum(script.path) if script is not None and script.path else None
            record(ctx.connection, revision, direction, self.mark, checksum)
        self.mark = utc_now()
