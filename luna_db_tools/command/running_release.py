"""Does the running release keep working? Its workload replayed on each revision, in a scratch database.

`ReleaseWalk` goes up a history on a scratch connection: at each revision
it replays the previous revision's workload (analysis/release_workload.py,
generated from that revision's catalog snapshot) and keeps what the server
refused (analysis/release_verdict.py). It also replays each revision's own
workload on its own schema first: a statement refused there already is a
limit of the generated workload (a CHECK it could not satisfy, a type it
does not know), not a break, and is left out of the verdict on the next
revision. Each replay is one transaction rolled back (db/replay.py), so the
scratch database keeps no row.

`luna-db check` walks the whole history with it (command/check.py); the dry
run (`plan_verdicts`) walks the plan's revisions in a database of its own,
created for the purpose and dropped after, never in the live one (see there).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import sqlalchemy as sa
from alembic import command

from ..analysis.release_verdict import Failure, ServerError, failures
from ..analysis.release_workload import Statement, release_workload
from ..analysis.schema.catalog import Snapshot
from ..config.settings import DbSettings
from ..db.connect import connect
from ..db.replay import replay
from ..errors import first_line
from ..runtime.environment import make_config
from ..script.history import PlannedStep
from .catalog_reader import read_snapshot, read_view_columns


def _refused(connection, statements: list[Statement]) -> list[tuple[Statement, ServerError]]:
    return [(statements[r.index], ServerError(r.sqlstate, r.message, r.column, r.constraint))
            for r in replay(connection, [s.sql for s in statements])]


@dataclass
class ReleaseWalk:
    """The running release's verdict on each revision of a walk up a history, on one scratch connection."""

    connection: object
    unjudged: dict[str, list[tuple[Statement, ServerError]]] = field(default_factory=dict)  # by revision
    replayed: int = 0  # statements run so far (for the bench)
    _previous: tuple[Snapshot, list[Statement], set[Statement]] | None = None

    def at(self, revision: str, snapshot: Snapshot, *, last: bool = False) -> list[Failure]:
        """The database has just reached `revision` (`snapshot`): what the previous revision's release fails at.

        `last`: no revision follows, so this one's own workload need not be prepared.
        """
        found: list[Failure] = []
        if self._previous is not None:
            before, statements, baseline = self._previous
            refused = [(s, e) for s, e in _refused(self.connection, statements) if s not in baseline]
            self.replayed += len(statements)
            found = failures(refused, before, snapshot)
        self._previous = None
        if not last:
            statements = release_workload(snapshot, read_view_columns(self.connection))
            own = _refused(self.connection, statements)
            self.replayed += len(statements)
            if own:
                self.unjudged[revision] = own
            self._previous = (snapshot, statements, {s for s, _ in own})
        return found


@dataclass
class StepVerdict:
    """Whether the release running before a step keeps working through it."""

    failures: list[Failure] = field(default_factory=list)
    checked: bool = True
    note: str | None = None   # why it was not checked (or, checked: that no release ran before)

    @property
    def breaks(self) -> bool | None:
        return bool(self.failures) if self.checked else None

    def as_dict(self) -> dict:
        document = {"breaks": self.breaks, "failures": [f.as_dict() for f in self.failures]}
        if not self.checked:
            document["not_checked"] = self.note
        return document


#: A PostgreSQL SQLSTATE: the role may not create databases.
_INSUFFICIENT_PRIVILEGE = "42501"


def plan_verdicts(settings: DbSettings, schema: str, current: list[str], steps: list[PlannedStep]) -> tuple[dict[str, StepVerdict], str | None]:
    """Each step's verdict, from a throwaway database on the same server; or why there is none.

    Why a database of its own: the verdict needs the schema of every step
    built and written to. In the live database that would mean running the
    revisions' DDL in a transaction rolled back at the end, and DDL takes
    ACCESS EXCLUSIVE locks on the live tables for as long as it runs: the
    writers of a production database would queue behind a dry run. A new
    database (CREATE DATABASE of a temporary name, dropped after) costs a
    second or two and touches nothing of the live one; the live database is
    only read, as before. Without the right to create a database, the
    verdict is not computed, and the output says so.
    """
    if not steps:
        return {}, None
    if settings.db_type != "postgres":
        return {}, "not checked (PostgreSQL only)"
    scratch = settings.with_database(f"luna_db_dry_run_{uuid.uuid4().hex[:12]}")
    refusal = _create(settings, scratch.database)
    if refusal:
        return {}, refusal
    try:
        return _walk_plan(scratch, schema, current, steps), None
    finally:
        _drop(settings, scratch.database)


def _create(settings: DbSettings, name: str) -> str | None:
    try:
        with connect(settings, isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.DBAPIError as error:
        if getattr(error.orig, "pgcode", None) == _INSUFFICIENT_PRIVILEGE:
            return "not checked (no right to create a scratch database)"
        return f"not checked (no scratch database: {first_line(error)})"
    return None


def _drop(settings: DbSettings, name: str) -> None:
    with connect(settings, isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))


def _walk_plan(scratch: DbSettings, schema: str, current: list[str], steps: list[PlannedStep]) -> dict[str, StepVerdict]:
    """Build the schema the live database is at, then take each step, replaying the release before it.

    An upgrade step's running release is the one below it; a downgrade's is
    the newer one, still serving while its revision is reverted.
    """
    verdicts: dict[str, StepVerdict] = {}
    with connect(scratch) as connection:
        def move(direction: str, target: str) -> Snapshot:
            connection.commit()  # Alembic commits each revision only on a connection outside a transaction
            verb = command.upgrade if direction == "up" else command.downgrade
            verb(make_config(schema, connection=connection, settings=scratch), target)
            connection.commit()
            return read_snapshot(connection)

        walk = ReleaseWalk(connection)
        below = current[0] if current else None
        if below is not None:
            walk.at(below, move("up", below))
        for index, step in enumerate(steps):
            found = walk.at(step.target, move(step.direction, step.target), last=index == len(steps) - 1)
            first = below is None and index == 0
            verdicts[step.revision] = StepVerdict(found, note="no release runs before the first revision" if first else None)
    return verdicts
