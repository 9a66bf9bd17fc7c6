"""`luna-db create`: the whole schema on an empty database, stamped at its head.

Alembic's cookbook recipe for a fresh database: `metadata.create_all`, then
stamp the head; plus the schema's views and primal rows, the audit row, all
in one transaction under the migration lock.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ..config.settings import DbSettings
from ..db import audit
from ..db.connect import RetryPolicy, connect
from ..db.lock import DEFAULT_LOCK_TIMEOUT
from ..db.session import migration_session
from ..db.tool_tables import current_revisions, schema_tables, write_version
from ..errors import BadInput
from ..schemas import load_models
from ..script.revisions import head_revision
from .common import Report, refuse_non_empty, schema_of, silent


@dataclass(frozen=True)
class CreateStep:
    name: str
    seconds: float


@dataclass(frozen=True)
class Created:
    schema: str
    revision: str
    database_created: bool
    seconds: float
    steps: tuple[CreateStep, ...] = ()
    already: bool = False  # the schema was there at its head already: nothing done

    def as_dict(self) -> dict:
        """The JSON of `luna-db create --json`."""
        return {
            "schema": self.schema, "revision": self.revision, "database_created": self.database_created,
            "seconds": round(self.seconds, 3),
            "steps": [{"step": step.name, "seconds": round(step.seconds, 3)} for step in self.steps],
            "already_created": self.already,
        }


class _StepClock:
    """Times each step of `create` and reports it as upgrade reports a revision."""

    def __init__(self, report: Report):
        self.report = report
        self.steps: list[CreateStep] = []
        self.mark = time.monotonic()

    def done(self, name: str) -> None:
        now = time.monotonic()
        self.steps.append(CreateStep(name, now - self.mark))
        self.mark = now
        self.report(f"{name}  ({self.steps[-1].seconds:.2f} s)")


def create(
    settings: DbSettings,
    *,
    create_database: bool = False,
    policy: RetryPolicy | None = None,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    report: Report = silent,
) -> Created:
    """Create the schema on an empty database and stamp its head.

    A database this schema's luna-db already created at its head (the
    version is the head, the tables are the models') is success with nothing
    done: replicas that all run `create` at start-up all succeed. Refuses
    (bad input) any other database that holds a table or a migration
    version, and changes nothing in it.
    """

    schema = schema_of(settings)
    models = load_models(schema)
    database_created = ensure_database(settings, policy, report) if create_database else False
    head = head_revision(schema)
    clock = time.monotonic()
    with migration_session(settings, policy, lock_timeout=lock_timeout, report=report) as connection:
        if already_created(connection, models, head):
            connection.rollback()
            seconds = time.monotonic() - clock
            report.result(f"{schema} already created at {settings.masked_dsn()}, revision {head} (head); nothing to do")
            return Created(schema, head, database_created, seconds, already=True)
        refuse_non_empty(
            connection, settings, f"refusing to create {schema}",
            "use 'luna-db upgrade', or an empty database",
        )
        # One transaction: on PostgreSQL a failure leaves nothing behind.
        started = audit.utc_now()
        steps = _StepClock(report)
        models.metadata.create_all(connection, checkfirst=False)
        steps.done(f"created {len(models.metadata.tables)} tables with their indexes, comments and views")
        insert_primal_rows(connection, models)
        steps.done("inserted the primal rows")
        write_version(connection, head)
        audit.ensure_audit_table(connection)
        audit.record(connection, head, "create", started, None)
        connection.commit()
        steps.done(f"stamped {head} and committed")
    seconds = time.monotonic() - clock
    report.result(f"created {schema} at {settings.masked_dsn()}, revision {head} (head)  ({seconds:.2f} s)")
    return Created(schema, head, database_created, seconds, tuple(steps.steps))


def already_created(connection, models, head: str) -> bool:
    """Whether the database holds exactly this schema's tables, recorded at its head."""
    at_head = current_revisions(connection) == [head]
    return at_head and schema_tables(connection) == sorted(models.metadata.tables)


def ensure_database(settings: DbSettings, policy: RetryPolicy | None, report: Report) -> bool:
    """Create the PostgreSQL database itself when it does not exist; True if created."""
    if settings.db_type != "postgres":
        raise BadInput("--create-database is for PostgreSQL; an Oracle DBA creates the PDB/user")

    maintenance = settings.with_database("postgres")
    with connect(maintenance, policy, isolation_level="AUTOCOMMIT") as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": settings.database}
        ).scalar()
        if exists:
            return False
        quoted = connection.dialect.identifier_preparer.quote_identifier(settings.database)
        try:
            connection.execute(text(f"CREATE DATABASE {quoted}"))
        except DBAPIError as error:
            # Another replica created it between the check and here: 42P04,
            # or the unique index of pg_database when both got that far (23505).
            if getattr(error.orig, "pgcode", None) not in ("42P04", "23505"):
                raise
            return False
    report(f"created database {settings.database}")
    return True


def insert_primal_rows(connection, models) -> None:
    """The rows a service expects from the start (streams: its master lock)."""
    for table, rows in models.PRIMAL_ROWS:
        if rows:
            connection.execute(table.insert(), rows)
