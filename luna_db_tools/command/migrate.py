"""`luna-db upgrade` and `downgrade`: one revision per transaction, under the migration lock.

Each step's audit row is committed before the step starts; a failure names
the revision that failed and the revision the database was left at, asked
afresh from the server.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from sqlalchemy import event
from sqlalchemy import text as sa_text

from ..config.settings import DbSettings
from ..db import audit
from ..db.connect import RetryPolicy, connect
from ..db.dead_runs import part_applied_steps
from ..db.lock import DEFAULT_LOCK_TIMEOUT
from ..db.session import migration_session
from ..db.statistics import index_build_progress
from ..db.tool_tables import current_revisions
from ..errors import BadInput, OperationFailed, first_line
from ..operations.index_build import drop_leftover_invalid_indexes
from ..reporter import Probe
from ..runtime.environment import make_config
from ..runtime.steps import Timeouts, run_step, set_session_timeouts
from ..schemas import load_models
from ..script.history import PlannedStep, check_revision_argument, message, plan_steps, revision_after
from ..script.revisions import describe
from .common import Report, schema_of, silent
from .data_loss import refusal, step_losses
from .guards import check_plan, refuse_without_history

__all__ = ["AppliedStep", "MigrationRun", "Timeouts", "downgrade", "upgrade"]


@dataclass(frozen=True)
class AppliedStep:
    revision: str
    message: str
    direction: str
    seconds: float


@dataclass
class MigrationRun:
    """What an upgrade or downgrade did: each step, and the revision reached."""

    steps: list[AppliedStep] = field(default_factory=list)
    reached: list[str] = field(default_factory=list)


def upgrade(
    settings: DbSettings,
    revision: str = "head",
    *,
    policy: RetryPolicy | None = None,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    timeouts: Timeouts = Timeouts(),
    report: Report = silent,
    allow_data_loss: bool = False,
) -> MigrationRun:
    """Migrate up to `revision`, one transaction per revision, reporting each.

    `report` hears when each step starts and ends (`step_started`, with a probe
    of an index build's rows on PostgreSQL, and `step_finished`).
    A revision that declares its upgrade destructive is guarded as a downgrade is.
    """
    return _migrate(settings, revision, "upgrade", policy, lock_timeout, timeouts, report, allow_data_loss)


def downgrade(
    settings: DbSettings,
    revision: str,
    *,
    policy: RetryPolicy | None = None,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    timeouts: Timeouts = Timeouts(),
    report: Report = silent,
    allow_data_loss: bool = False,
) -> MigrationRun:
    """Migrate down to `revision` (`-1`, a revision id, or `base`).

    Refuses (BadInput, exit 2) when it would destroy rows, naming each table
    and its row count, unless `allow_data_loss` (command/data_loss.py).
    """
    return _migrate(settings, revision, "downgrade", policy, lock_timeout, timeouts, report, allow_data_loss)


def read_plan(connection, schema: str, revision: str, direction: str) -> tuple[list[str], list[PlannedStep]]:
    """The revisions the database is at, and the steps from there to `revision`, after the guards (reads only).

    A run and its --dry-run (command/dry_run.py) both plan through here, so
    the dry run shows the very steps the run would take.
    """
    current = current_revisions(connection)
    refuse_without_history(connection, current)
    check_plan(schema, revision, direction, current)
    return current, plan_steps(schema, revision, direction, current)


class _StepRecorder:
    """Alembic's `on_version_apply` hook and the commit listener of one run.

    It records each step as it completes, and the revision reached by the
    last committed step: if the server goes away, that is still known exactly.
    """

    def __init__(self, run: MigrationRun, report: Report):
        self.run = run
        self.report = report
        self.mark = time.monotonic()
        self.pending: list[str] | None = None
        self.committed: list[str] | None = None

    def on_version_apply(self, ctx, step, heads, run_args) -> None:

        now = time.monotonic()
        done = AppliedStep(
            revision=step.up_revision.revision,
            message=message(step.up_revision),
            direction="up" if step.is_upgrade else "down",
            seconds=now - self.mark,
        )
        self.mark = now
        self.run.steps.append(done)
        self.pending = sorted(heads)
        arrow = "upgraded to" if step.is_upgrade else "reverted"
        self.report(f"{arrow} {done.revision}  {done.message}  ({done.seconds:.2f} s)")

    def on_commit(self, connection) -> None:
        if self.pending is not None:
            self.committed = self.pending


def _migrate(settings, revision, direction, policy, lock_timeout, timeouts, report: Report,
             allow_data_loss=False) -> MigrationRun:

    schema = schema_of(settings)
    check_revision_argument(schema, revision)
    run = MigrationRun()
    began = time.monotonic()
    recorder = _StepRecorder(run, report)
    journal = audit.Journal()
    # Under the lock, the current revision is read afresh: a replica that
    # waited finds the work done and applies nothing twice.
    with migration_session(settings, policy, lock_timeout=lock_timeout, report=report) as connection:
        start, steps = read_plan(connection, schema, revision, direction)  # before anything is written
        set_session_timeouts(connection, timeouts)
        audit.ensure_audit_table(connection)
        connection.commit()  # hand Alembic a connection outside a transaction
        # Counted under the lock, so the counts are the rows this run would destroy.
        losses = step_losses(connection, schema, steps)
        if losses and not allow_data_loss:
            raise refusal(direction, losses)
        for loss in losses:
            report(f"data loss accepted (--allow-data-loss): {loss.describe()}")
        drop_leftover_invalid_indexes(connection, _index_names(schema), report)
        part_applied = part_applied_steps(connection)
        event.listen(connection, "commit", recorder.on_commit)
        config = make_config(
            schema, connection=connection, settings=settings, on_version_apply=recorder.on_version_apply,
            retry_policy=policy, journal=journal, report=report, timeouts=timeouts,
        )
        probe = index_build_probe(settings)
        for step in steps:
            recorder.mark = time.monotonic()
            report.step_started(f"{'applying' if step.direction == 'up' else 'reverting'} {step.revision}", probe)
            try:
                run_step(config, connection, step, journal, (step.revision, step.direction) in part_applied,
                         timeouts, report)
            except Exception as error:
                journal.fail(connection, error)
                if isinstance(error, BadInput):
                    raise
                raise _failure(settings, schema, direction, error, recorder.committed or start, began) from error
            finally:
                report.step_finished()
        run.reached = current_revisions(connection)
    report.result(f"{schema} is at revision {describe(run.reached)}")
    return run


def index_build_probe(settings: DbSettings) -> Probe | None:
    """Rows done of an index build, asked of PostgreSQL on a short connection of its own (None on Oracle)."""
    if settings.db_type != "postgres":
        return None

    def probe() -> str | None:
        with connect(settings, RetryPolicy(rounds=1)) as connection:
            return index_build_progress(connection)

    return probe


def _index_names(schema: str) -> list[str]:
    """The names of the schema's indexes (the models are its head): the ones a run may build."""

    return sorted(
        str(index.name) for table in load_models(schema).metadata.tables.values() for index in table.indexes if index.name
    )


def _failure(settings, schema, direction, error, committed, since: float = 0.0) -> OperationFailed:
    """One line: what failed, where, and the revision the database was left at."""
    reason = _why_disconnected(settings, error, since)
    reached = _revision_after_failure(settings)
    if reached is None:
        where = f"{describe(committed)} (the last revision committed; the server could not be asked)"
    else:
        where = describe(reached)
    failed_in = _failed_revision(schema, direction, reached if reached is not None else committed)
    return OperationFailed(
        f"{direction} failed{failed_in}: {reason}; the database is at revision {where}"
    )


def _revision_after_failure(settings: DbSettings) -> list[str] | None:
    """Ask the database (on a new connection: the old one may be gone) where it is."""
    try:
        with connect(settings, RetryPolicy(rounds=1)) as connection:
            return current_revisions(connection)
    except Exception:
        return None


def _why_disconnected(settings: DbSettings, error: BaseException, since: float) -> str:
    """libpq drops the server's FATAL message when a session is ended mid-statement
    ("server closed the connection unexpectedly"): ask the server what happened."""
    text = first_line(error)
    if "server closed the connection" not in text and "terminating connection" not in text:
        return text
    try:
        with connect(settings, RetryPolicy(rounds=1)) as connection:
            up = connection.execute(sa_text(
                "SELECT extract(epoch FROM now() - pg_postmaster_start_time()), pg_is_in_recovery()")).one()
    except Exception:
        return f"{text} (the server cannot be reached now: it stopped, or failed over)"
    if up[1]:
        return f"{text} (the server is now a standby: a failover)"
    if up[0] < time.monotonic() - since + 1:
        return f"{text} (the server restarted {up[0]:.0f} s ago)"
    return f"{text} (the server ended the session: pg_terminate_backend, an administrator, or a crash of its backend)"


def _failed_revision(schema, direction: str, reached) -> str:
    """Name the revision that was running when the failure came, if it can be known."""
    if reached is None or len(reached) != 1:
        return ""
    if direction == "upgrade":
        following = revision_after(schema, reached[0])
        return f" in revision {following}" if following else ""
    return f" while reverting {reached[0]}"
