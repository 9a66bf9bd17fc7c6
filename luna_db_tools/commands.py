"""luna-db's verbs as plain functions: validate, then run Alembic or SQLAlchemy.

They know nothing of argv or click (cli.py derives the commands from them).
A user mistake raises BadInput; a failed operation raises OperationFailed
naming the revision the database was left at.
"""

from __future__ import annotations

import io
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Iterator

from . import __version__, audit
from .connection import RetryPolicy, connect
from .environment import make_config
from .errors import BadInput, OperationFailed
from .locking import DEFAULT_LOCK_TIMEOUT, ORA_RESOURCE_BUSY, migration_lock
from .revisions import VERSION_TABLE_DDL, head_revision
from .schemas import load_models
from .settings import DbSettings, require_schema

Report = Callable[[str], None]


def _silent(_line: str) -> None:
    pass


# --- create -----------------------------------------------------------------


def create(
    settings: DbSettings,
    *,
    create_database: bool = False,
    policy: RetryPolicy | None = None,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    report: Report = _silent,
) -> str:
    """Create the schema on an empty database and stamp its head; returns the head.

    Refuses (OperationFailed) a database that holds any of the schema's
    tables or a migration version, and changes nothing in it.
    """
    schema = _require_schema(settings)
    models = load_models(schema)
    if create_database:
        ensure_database(settings, policy, report)
    head = head_revision(schema)
    # create waits for no other session, so its own connection holds the lock.
    with connect(settings, policy) as connection, \
            migration_lock(settings, timeout=lock_timeout, report=report, connection=connection):
        _refuse_non_empty(connection, models.metadata, settings)
        # One transaction: on PostgreSQL a failure leaves nothing behind.
        # The head is stamped directly, as Alembic's stamp would, without
        # importing Alembic or running the chain.
        started = audit.utcnow()
        models.metadata.create_all(connection, checkfirst=False)
        insert_primal_rows(connection, models)
        _stamp_head(connection, head)
        audit.ensure_audit_table(connection)
        audit.record(connection, head, "create", started, None)
        connection.commit()
    report(f"created {schema} at {settings.masked_dsn()}, revision {head} (head)")
    return head


def ensure_database(settings: DbSettings, policy: RetryPolicy | None, report: Report) -> bool:
    """Create the PostgreSQL database itself when it does not exist; True if created."""
    if settings.db_type != "postgres":
        raise BadInput("--create-database is for PostgreSQL; an Oracle DBA creates the PDB/user")
    from sqlalchemy import text

    maintenance = settings.with_database("postgres")
    with connect(maintenance, policy, isolation_level="AUTOCOMMIT") as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": settings.database}
        ).scalar()
        if exists:
            return False
        quoted = connection.dialect.identifier_preparer.quote_identifier(settings.database)
        connection.execute(text(f"CREATE DATABASE {quoted}"))
    report(f"created database {settings.database}")
    return True


def insert_primal_rows(connection, models) -> None:
    """The rows a service expects from the start (streams: its master lock)."""
    for table, rows in models.PRIMAL_ROWS:
        if rows:
            connection.execute(table.insert(), rows)


def _refuse_non_empty(connection, metadata, settings: DbSettings) -> None:
    from sqlalchemy import inspect

    present = set(inspect(connection).get_table_names())
    clashing = sorted(present & (set(metadata.tables) | {"alembic_version"}))
    if clashing:
        raise OperationFailed(
            f"refusing to create {settings.schema} in {settings.masked_dsn()}: the database "
            f"already holds {', '.join(clashing)} (use 'luna-db upgrade' or an empty database)"
        )


def create_sql(schema: str, db_type: str) -> str:
    """The DDL of `create` for a dialect, as a script; no database needed."""
    from sqlalchemy import create_mock_engine

    from .environment import OFFLINE_URLS

    models = load_models(schema)
    statements: list[str] = []

    def collect(sql, *multiparams, **params):
        statements.append(str(sql.compile(dialect=engine.dialect)).strip())

    engine = create_mock_engine(OFFLINE_URLS[db_type], collect)
    models.metadata.create_all(engine, checkfirst=False)
    statements = _indexes_in_name_order(statements)
    for table, rows in models.PRIMAL_ROWS:
        for row in rows:
            statement = table.insert().values(**row)
            statements.append(
                str(statement.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
            )
    script = io.StringIO()
    script.write(_script_header(schema, db_type, f"create at {head_revision(schema)}"))
    if db_type == "postgres":
        # All or nothing, as the online create: PostgreSQL's DDL is transactional.
        script.write("BEGIN;\n\n")
    for statement in statements:
        script.write(_terminated(statement, db_type))
    stamp = _offline(schema, db_type, lambda config: _alembic().stamp(config, "head", sql=True))
    script.write(_without_transaction_lines(stamp))
    if db_type == "postgres":
        script.write("COMMIT;\n")
    return script.getvalue()


# --- upgrade / downgrade / stamp ------------------------------------------------


@dataclass(frozen=True)
class Timeouts:
    """PostgreSQL session limits for a migration, in seconds (0: no limit).

    A migration waiting for a lock on a busy table makes every query behind
    it wait too; `lock_timeout` bounds that, and a revision that hits it is
    retried a few times with backoff.
    """

    lock: float = 5.0
    statement: float = 3600.0
    lock_retries: int = 3
    retry_delay: float = 1.0


@dataclass
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
    report: Report = _silent,
    ticker=None,
) -> MigrationRun:
    """Migrate up to `revision`, one transaction per revision, reporting each.

    `ticker` (a progress.StepTicker) hears when each step starts and ends.
    """
    return _migrate(settings, revision, "upgrade", policy, lock_timeout, timeouts, report, ticker)


def downgrade(
    settings: DbSettings,
    revision: str,
    *,
    policy: RetryPolicy | None = None,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    timeouts: Timeouts = Timeouts(),
    report: Report = _silent,
    ticker=None,
) -> MigrationRun:
    """Migrate down to `revision` (`-1`, a revision id, or `base`)."""
    return _migrate(settings, revision, "downgrade", policy, lock_timeout, timeouts, report, ticker)


@dataclass(frozen=True)
class PlannedStep:
    """One revision to apply or revert, and the target that makes Alembic run just it."""

    revision: str
    direction: str  # up, down
    target: str
    checksum: str | None


def _migrate(settings, revision, direction, policy, lock_timeout, timeouts, report, ticker) -> MigrationRun:
    schema = _require_schema(settings)
    _check_revision_argument(schema, revision, direction)
    run = MigrationRun()
    clock = {"mark": time.monotonic()}
    # The revision each step leads to, and the last one whose transaction
    # committed: if the server goes away, this is still known exactly.
    applied: dict[str, list[str] | None] = {"pending": None, "committed": None}

    def on_version_apply(ctx, step, heads, run_args):
        now = time.monotonic()
        script = step.up_revision
        done = AppliedStep(
            revision=script.revision,
            message=_message(script),
            direction="up" if step.is_upgrade else "down",
            seconds=now - clock["mark"],
        )
        clock["mark"] = now
        run.steps.append(done)
        applied["pending"] = sorted(heads)
        arrow = "upgraded to" if step.is_upgrade else "reverted"
        report(f"{arrow} {done.revision}  {done.message}  ({done.seconds:.2f} s)")

    def on_commit(connection):
        if applied["pending"] is not None:
            applied["committed"] = applied["pending"]

    from sqlalchemy import event

    journal = audit.Journal()
    # Under the lock, the current revision is read afresh: a replica that
    # waited finds the work done and applies nothing twice.
    with migration_lock(settings, policy, timeout=lock_timeout, report=report), \
            connect(settings, policy) as connection:
        start = current_revisions(connection)
        _set_session_timeouts(connection, timeouts)
        audit.ensure_audit_table(connection)
        connection.commit()  # hand Alembic a connection outside a transaction
        steps = _planned_steps(schema, revision, direction, start)
        part_applied = _part_applied_steps(connection)
        event.listen(connection, "commit", on_commit)
        config = make_config(
            schema, connection=connection, settings=settings, on_version_apply=on_version_apply,
            retry_policy=policy, journal=journal, report=report,
        )
        for step in steps:
            clock["mark"] = time.monotonic()
            if ticker is not None:
                ticker.started(f"{'applying' if step.direction == 'up' else 'reverting'} {step.revision}")
            try:
                _run_step(config, connection, step, journal, (step.revision, step.direction) in part_applied,
                          timeouts, report)
            except Exception as error:
                journal.fail(connection, error)
                if isinstance(error, BadInput):
                    raise
                raise _failure(settings, schema, direction, error, applied["committed"] or start) from error
            finally:
                if ticker is not None:
                    ticker.finished()
        run.reached = current_revisions(connection)
    report(f"{schema} is at revision {_describe(run.reached)}")
    return run


def _planned_steps(schema: str, revision: str, direction: str, current: list[str]) -> list[PlannedStep]:
    """The revisions to run, in order, each with the target that runs it alone.

    luna-db runs one revision per Alembic call, so that each step's audit row
    is opened (and committed) before the step starts.
    """
    script = _script(schema)
    with _user_errors_from_alembic():
        if direction == "upgrade":
            steps = script._upgrade_revs(revision, tuple(current))
        else:
            steps = script._downgrade_revs(revision, tuple(current))
    planned = []
    for step in steps:
        revision_script = step.revision
        below = revision_script._normalized_down_revisions
        if step.is_upgrade:
            target = revision_script.revision
        elif len(below) <= 1:
            target = below[0] if below else "base"
        else:
            raise OperationFailed(
                f"revision {revision_script.revision} merges branches; luna-db runs linear histories only"
            )
        checksum = audit.file_checksum(revision_script.path) if revision_script.path else None
        planned.append(PlannedStep(revision_script.revision, "up" if step.is_upgrade else "down", target, checksum))
    return planned


def _part_applied_steps(connection) -> set[tuple[str, str]]:
    """Oracle: (revision, direction) of steps an earlier run left unfinished, hence part-applied.

    PostgreSQL rolls an unfinished step back, so there is nothing to complete.
    """
    if connection.dialect.name != "oracle":
        return set()
    unfinished = audit.unfinished(audit.audit_rows(connection))
    connection.commit()
    return {(row["revision"], row["direction"]) for row in unfinished}


def _run_step(config, connection, step: PlannedStep, journal, part_applied: bool, timeouts: Timeouts,
              report: Report) -> None:
    """Apply or revert one revision, retried when it waited too long for a table lock."""
    command = _alembic().upgrade if step.direction == "up" else _alembic().downgrade
    journal.begin(connection, step.revision, step.direction, step.checksum)
    config.attributes["rerun_part_applied"] = part_applied
    if part_applied:
        report(f"completing {step.revision}, left part-applied by an earlier run")
    for attempt in range(timeouts.lock_retries + 1):
        try:
            with _user_errors_from_alembic():
                command(config, step.target)
            return
        except BadInput:
            raise
        except Exception as error:
            if not (_is_lock_timeout(error) and attempt < timeouts.lock_retries):
                raise
            connection.rollback()
            pause = timeouts.retry_delay * 2**attempt
            report(
                f"{step.revision} waited longer than {timeouts.lock:g} s for a lock "
                f"({_first_line(error)}); retrying in {pause:g} s "
                f"(attempt {attempt + 2} of {timeouts.lock_retries + 1})"
            )
            time.sleep(pause)


def _set_session_timeouts(connection, timeouts: Timeouts) -> None:
    from sqlalchemy import text

    if connection.dialect.name == "oracle":
        # Oracle's DDL waits for a busy table up to ddl_lock_timeout (whole
        # seconds), then fails with ORA-00054, which is retried as on PostgreSQL.
        # 0 means "no limit" to luna-db but "do not wait" to Oracle: its maximum then.
        seconds = min(int(round(timeouts.lock)), 1_000_000) or 1_000_000
        connection.execute(text(f"ALTER SESSION SET ddl_lock_timeout = {seconds}"))
        return
    if connection.dialect.name != "postgresql":
        return

    for name, seconds in (("lock_timeout", timeouts.lock), ("statement_timeout", timeouts.statement)):
        # Session level (is_local false): they hold across the per-revision
        # transactions and the autocommit blocks alike.
        connection.execute(
            text("SELECT set_config(:name, :value, false)"),
            {"name": name, "value": f"{int(seconds * 1000)}ms"},
        )


def _is_lock_timeout(error: BaseException) -> bool:
    """What the lock timeout raises: PostgreSQL's lock_not_available (55P03), Oracle's ORA-00054."""
    from .connection import oracle_error_code

    if getattr(getattr(error, "orig", None), "pgcode", None) == "55P03":
        return True
    return getattr(error, "orig", None) is not None and oracle_error_code(error) == ORA_RESOURCE_BUSY


def _failure(settings, schema, direction, error, committed) -> OperationFailed:
    """One line: what failed, where, and the revision the database was left at."""
    reached = _revision_after_failure(settings)
    if reached is None:
        where = f"{_describe(committed)} (the last revision committed; the server could not be asked)"
    else:
        where = _describe(reached)
    failed_in = _failed_revision(schema, direction, reached if reached is not None else committed)
    return OperationFailed(
        f"{direction} failed{failed_in}: {_first_line(error)}; the database is at revision {where}"
    )


def migration_sql(schema: str, db_type: str, revision: str, direction: str) -> str:
    """The offline script of an upgrade or downgrade (`FROM:TO`, or TO from base/head)."""
    if ":" not in revision:
        revision = f"base:{revision}" if direction == "upgrade" else f"head:{revision}"
    if direction == "downgrade" and revision.split(":")[1] == "-1":
        raise BadInput("an offline downgrade needs an absolute target, e.g. head:<revision>")
    _check_revision_argument(schema, revision.split(":")[1], direction)
    body = _offline(
        schema, db_type, lambda config: getattr(_alembic(), direction)(config, revision, sql=True)
    )
    return _script_header(schema, db_type, f"{direction} {revision.replace(':', ' -> ')}") + body


def plan(settings: DbSettings, revision: str, direction: str) -> list[dict]:
    """The revisions an upgrade or downgrade would run, in order (`--dry-run`)."""
    schema = _require_schema(settings)
    _check_revision_argument(schema, revision, direction)
    script = _script(schema)
    with connect(settings) as connection:
        current = tuple(current_revisions(connection))
    with _user_errors_from_alembic():
        if direction == "upgrade":
            steps = script._upgrade_revs(revision, current)
        else:
            steps = script._downgrade_revs(revision, current)
    return [
        {
            "revision": step.revision.revision,
            "message": _message(step.revision),
            "direction": "up" if step.is_upgrade else "down",
        }
        for step in steps
    ]


def stamp(
    settings: DbSettings, revision: str, *, policy: RetryPolicy | None = None,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT, report: Report = _silent,
) -> list[str]:
    """Record `revision` as current without running migrations; returns the revision reached."""
    schema = _require_schema(settings)
    _check_revision_argument(schema, revision, "stamp")
    with migration_lock(settings, policy, timeout=lock_timeout, report=report), \
            connect(settings, policy) as connection:
        started = audit.utcnow()
        _stamp(connection, schema, revision)
        reached = current_revisions(connection)
        audit.ensure_audit_table(connection)
        audit.record(connection, ",".join(reached) or "base", "stamp", started, None)
        connection.commit()
        return reached


def _stamp_head(connection, head: str) -> None:
    from sqlalchemy import text

    connection.execute(text(VERSION_TABLE_DDL))
    connection.execute(text("INSERT INTO alembic_version (version_num) VALUES (:head)"), {"head": head})


def _stamp(connection, schema: str, revision: str) -> None:
    from alembic.runtime.migration import MigrationContext

    context = MigrationContext.configure(connection)
    with _user_errors_from_alembic():
        context.stamp(_script(schema), revision)


# --- views ------------------------------------------------------------------


def recreate_views(
    settings: DbSettings, *, policy: RetryPolicy | None = None,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT, report: Report = _silent,
) -> list[str]:
    """Drop and recreate the schema's views; returns their names."""
    from .models.base import create_views, drop_views

    models = load_models(_require_schema(settings))
    with migration_lock(settings, policy, timeout=lock_timeout, report=report), \
            connect(settings, policy) as connection:
        drop_views(connection, models.metadata)
        create_views(connection, models.metadata)
        connection.commit()
    return list(models.metadata.info.get("views", {}))


# --- read-only: current, heads, history, status -------------------------------------


def current_revisions(connection) -> list[str]:
    from alembic.runtime.migration import MigrationContext

    return list(MigrationContext.configure(connection).get_current_heads())


def current(settings: DbSettings, *, policy: RetryPolicy | None = None) -> list[str]:
    with connect(settings, policy) as connection:
        return current_revisions(connection)


def heads(schema: str) -> list[str]:
    return list(_script(schema).get_heads())


def history(schema: str) -> list[dict]:
    """Every revision, oldest first, with its message and down-revision."""
    revisions = list(_script(schema).walk_revisions())
    revisions.reverse()
    return [
        {
            "id": script.revision,
            "message": _message(script),
            "down_revision": script.down_revision,
            "is_head": script.is_head,
        }
        for script in revisions
    ]


def status(settings: DbSettings, *, policy: RetryPolicy | None = None) -> dict:
    """Current revision, heads and pending revisions (oldest first)."""
    schema = _require_schema(settings)
    script = _script(schema)
    from .drift import compare_database

    head_ids = list(script.get_heads())
    with connect(settings, policy) as connection:
        now = current_revisions(connection)
        with _user_errors_from_alembic():
            pending = [step.revision.revision for step in script._upgrade_revs("heads", tuple(now))]
        at_head = not pending and sorted(now) == sorted(head_ids)
        # Drift is measured against the models, which describe the head: a
        # database behind it differs by its pending migrations, not by drift.
        drift = compare_database(connection, load_models(schema).metadata) if at_head else None
        trail = audit.audit_rows(connection)
        unfinished = _unfinished_steps(connection, trail)
    applied = _applied_revisions(script, now)
    return {
        "schema": schema,
        "database": settings.masked_dsn(),
        "current": now,
        "heads": head_ids,
        "pending": pending,
        "at_head": at_head,
        "drift": [d.as_dict() for d in drift] if drift is not None else None,
        "checksum_mismatches": audit.checksum_mismatches(trail, script, applied),
        "audit": trail[-10:],
        "unfinished": unfinished,
        "ok": at_head and not drift and all(step["state"] == ROLLED_BACK for step in unfinished),
    }


ROLLED_BACK, PART_APPLIED, IN_PROGRESS = "rolled back", "part-applied", "in progress"


def _unfinished_steps(connection, trail: list[dict]) -> list[dict]:
    """Steps an earlier run started and did not finish, and what that left behind.

    PostgreSQL rolled such a step back; Oracle, whose DDL commits statement by
    statement, left it part-applied, for `upgrade` (or `downgrade`) to complete.
    """
    from .locking import lock_is_held

    rows = audit.unfinished(trail)
    if not rows:
        return []
    if lock_is_held(connection):
        state = IN_PROGRESS
    else:
        state = PART_APPLIED if connection.dialect.name == "oracle" else ROLLED_BACK
    keys = ("revision", "direction", "started_at", "os_user", "os_host", "error")
    return [{**{key: row[key] for key in keys}, "state": state} for row in rows]


def audit_trail(settings: DbSettings, *, policy: RetryPolicy | None = None) -> list[dict]:
    """The database's audit rows, oldest first."""
    with connect(settings, policy) as connection:
        return audit.audit_rows(connection)


def _applied_revisions(script, current: list[str]) -> list[str]:
    """The current revisions and everything below them."""
    applied: list[str] = []
    for head in current:
        applied += [s.revision for s in script.iterate_revisions(head, "base")]
    return applied


# --- helpers ----------------------------------------------------------------


def _alembic():
    from alembic import command

    return command


def _script(schema: str):
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(make_config(schema))


def _require_schema(settings: DbSettings) -> str:
    return require_schema(settings.schema)


def _message(script) -> str:
    return (script.doc or "").strip().splitlines()[0] if script.doc else ""


def _describe(revisions: list[str] | None) -> str:
    if revisions is None:
        return "unknown (the database could not be reached to check)"
    return ", ".join(revisions) if revisions else "base (empty)"


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _check_revision_argument(schema: str, revision: str, direction: str) -> None:
    """Unknown revisions are bad input (exit 2), caught before touching the database."""
    from alembic.util import CommandError

    target = revision.split("@")[-1]
    if target in ("head", "heads", "base") or _is_relative(target):
        return
    try:
        found = _script(schema).get_revisions(target)
    except CommandError as error:
        raise BadInput(f"unknown {schema} revision {revision!r}: {error}") from None
    if not found:
        raise BadInput(f"unknown {schema} revision {revision!r}")


def _is_relative(revision: str) -> bool:
    return revision[:1] in "+-" and revision[1:].isdigit()


@contextmanager
def _user_errors_from_alembic() -> Iterator[None]:
    """Alembic's CommandError for a bad revision is the user's mistake: exit 2."""
    from alembic.util import CommandError

    try:
        yield
    except CommandError as error:
        raise BadInput(str(error)) from None


def _revision_after_failure(settings: DbSettings) -> list[str] | None:
    """Ask the database (on a new connection: the old one may be gone) where it is."""
    try:
        with connect(settings, RetryPolicy(rounds=1)) as connection:
            return current_revisions(connection)
    except Exception:
        return None


def _failed_revision(schema, direction: str, reached) -> str:
    """Name the revision that was running when the failure came, if it can be known."""
    if reached is None or len(reached) != 1:
        return ""
    script = _script(schema)
    if direction == "upgrade":
        following = [s.revision for s in script.walk_revisions() if reached[0] in _down_revisions(s)]
        return f" in revision {following[0]}" if len(following) == 1 else ""
    return f" while reverting {reached[0]}"


def _down_revisions(script) -> tuple:
    down = script.down_revision
    return down if isinstance(down, tuple) else (down,)


def _offline(schema: str, db_type: str, run: Callable) -> str:
    output = io.StringIO()
    run(make_config(schema, db_type=db_type, output=output))
    return output.getvalue()


def _script_header(schema: str, db_type: str, what: str) -> str:
    comment = f"-- luna-db {__version__}: {schema} schema, {what}, for {db_type}\n"
    if db_type == "oracle":
        # SQL*Plus / SQLcl: stop at the first error, and do not treat & as a
        # substitution variable inside the DDL's literals.
        return comment + "WHENEVER SQLERROR EXIT SQL.SQLCODE\nSET DEFINE OFF\n\n"
    return comment + "\n"


def _indexes_in_name_order(statements: list[str]) -> list[str]:
    """Sort each run of CREATE INDEX statements (one table's indexes).

    SQLAlchemy keeps a table's indexes in a set, so create_all emits them in
    an order that changes from run to run; a script a DBA reviews, and its
    snapshot, must not.
    """
    ordered: list[str] = []
    run: list[str] = []
    for statement in statements + [""]:
        if statement.startswith(("CREATE INDEX", "CREATE UNIQUE INDEX")):
            run.append(statement)
            continue
        ordered += sorted(run)
        run = []
        if statement:
            ordered.append(statement)
    return ordered


def _terminated(statement: str, db_type: str) -> str:
    if db_type == "oracle":
        return f"{statement}\n/\n\n"
    return f"{statement};\n\n"


def _without_transaction_lines(script: str) -> str:
    """Alembic's stamp script brings its own BEGIN/COMMIT; the create script has one already."""
    return "".join(
        line for line in script.splitlines(keepends=True) if line.strip() not in ("BEGIN;", "COMMIT;")
    )
