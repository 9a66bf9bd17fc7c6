"""One CREATE INDEX CONCURRENTLY, done once, bounded, and never left INVALID.

Used by online.create_index_without_blocking (inside a revision, in an
autocommit block). Why each rule, from what killed and stalled runs did:

- a build that waited for an old snapshot hit the 5 s `lock_timeout`, the
  revision was retried and the whole index rebuilt four times: now the wait
  has its own bound (`Timeouts.index_wait`, --index-wait-timeout) and its
  timeout is not retried; a valid index from an earlier try is kept;
- an interrupted build leaves an INVALID index, which PostgreSQL maintains
  on every write and never uses: it is dropped on failure (when the blocker
  lets the drop through within the lock timeout) and, failing that, before
  the next build.
"""

from __future__ import annotations

from typing import Callable

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ..errors import OperationFailed, first_line
from ..reporter import SILENT
from .snapshot_wait import naming_what_it_waits_for

DEFAULT_INDEX_WAIT = 3600.0

_STATE = """
SELECT i.indisvalid
FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid
WHERE c.relname = :name AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
"""


class IndexWaitTimedOut(OperationFailed):
    """The build waited longer than the index wait timeout (not retried: a retry would wait again)."""


def index_state(connection, name: str) -> str | None:
    """"valid", "invalid", or None when there is no such index."""
    valid = connection.execute(text(_STATE), {"name": name}).scalar()
    return None if valid is None else ("valid" if valid else "invalid")


def drop_invalid_index(connection, name: str, report: Callable[[str], None]) -> bool:
    """Drop `name` if it is INVALID (CONCURRENTLY, under the session's lock timeout); True when dropped."""
    if index_state(connection, name) != "invalid":
        return False
    quoted = connection.dialect.identifier_preparer.quote_identifier(name)
    connection.execute(text(f"DROP INDEX CONCURRENTLY IF EXISTS {quoted}"))
    report(f"dropped the INVALID index {name} an interrupted build left behind")
    return True


def build_index_concurrently(connection, attributes: dict, name: str, table: str, build: Callable[[], None]) -> None:
    """Run `build` (the CREATE INDEX CONCURRENTLY of `name` on `table`) by the rules of the module docstring."""
    report = attributes.get("report") or SILENT
    state = index_state(connection, name)
    if state == "valid":
        report(f"index {name} was built by an earlier run; kept, not rebuilt")
        return
    if state == "invalid":
        drop_invalid_index(connection, name, report)
    timeouts = attributes.get("timeouts")
    wait = getattr(timeouts, "index_wait", DEFAULT_INDEX_WAIT)
    previous = connection.execute(text("SELECT current_setting('lock_timeout')")).scalar()
    pid = connection.execute(text("SELECT pg_backend_pid()")).scalar()
    opener = _opener(attributes)
    # Waiting lines go where the CLI sends progress (stderr), past the step's ticker.
    waiting = report.progress
    _set_lock_timeout(connection, f"{int(wait * 1000)}ms")
    try:
        with naming_what_it_waits_for(opener, pid, f"the index build of {name} on {table}", waiting):
            build()
    except Exception as error:
        try:
            _set_lock_timeout(connection, previous)
            _drop_after_failure(connection, name, report)
        except SQLAlchemyError:
            pass  # the session is gone: the next run drops the index
        if getattr(getattr(error, "orig", None), "pgcode", None) == "55P03":
            raise IndexWaitTimedOut(
                f"the index build of {name} waited longer than --index-wait-timeout {wait:g} s for older "
                f"transactions to end ({first_line(error)}); end them, or rerun with a longer wait"
            ) from error
        raise
    _set_lock_timeout(connection, previous)


def _set_lock_timeout(connection, value: str) -> None:
    connection.execute(text("SELECT set_config('lock_timeout', :value, false)"), {"value": value})


def _drop_after_failure(connection, name: str, report: Callable[[str], None]) -> None:
    try:
        drop_invalid_index(connection, name, report)
    except SQLAlchemyError as error:
        report(f"could not drop the INVALID index {name} now ({first_line(error)}); the next run drops it")


def _opener(attributes: dict):
    settings = attributes.get("settings")
    if settings is None:
        return None

    def open_connection():
        from ..db.connect import RetryPolicy, connect

        return connect(settings, RetryPolicy(rounds=1))

    return open_connection


def drop_leftover_invalid_indexes(connection, names: list[str], report: Callable[[str], None]) -> list[str]:
    """At the start of a run: drop the INVALID indexes among `names` (the schema's), left by a dead run.

    Whatever the run does next (a downgrade, too), no INVALID index of the
    schema stays behind. Called under the migration lock, so no luna-db
    build is in progress.
    """
    if connection.dialect.name != "postgresql" or not names:
        return []
    invalid = connection.execute(
        text("SELECT c.relname FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid"
             " WHERE NOT i.indisvalid AND c.relname = ANY(:names)"
             " AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())"),
        {"names": names},
    ).scalars().all()
    if connection.in_transaction():
        connection.commit()  # DROP INDEX CONCURRENTLY runs outside a transaction
    if not invalid:
        return []
    dropped = []
    level = connection.default_isolation_level
    connection.execution_options(isolation_level="AUTOCOMMIT")  # this same Connection, for now
    try:
        for name in invalid:
            if drop_invalid_index(connection, name, report):
                dropped.append(name)
    finally:
        if connection.in_transaction():
            connection.commit()  # SQLAlchemy's own transaction object, even in autocommit
        connection.execution_options(isolation_level=level)
    return dropped
