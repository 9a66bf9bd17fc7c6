"""Running one revision: session limits, and retries when a table lock took too long.

A migration waiting for a lock on a busy table makes every query behind it
wait too; `lock_timeout` bounds that, and a revision that hits it is rolled
back and retried a few times with backoff.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

from alembic import command
from sqlalchemy import text

from ..db.lock import is_lock_timeout
from ..errors import BadInput, first_line
from ..script.history import PlannedStep, user_errors_from_alembic


@dataclass(frozen=True)
class Timeouts:
    """PostgreSQL session limits for a migration, in seconds (0: no limit)."""

    lock: float = 5.0
    statement: float = 3600.0
    # An online index build's wait for older transactions (index_build.py):
    # it blocks no one, so it gets a bound of its own, not `lock`.
    index_wait: float = 3600.0
    lock_retries: int = 3
    retry_delay: float = 1.0


def run_step(config, connection, step: PlannedStep, journal, part_applied: bool, timeouts: Timeouts,
             report: Callable[[str], None]) -> None:
    """Apply or revert one revision, retried when it waited too long for a table lock."""

    run = command.upgrade if step.direction == "up" else command.downgrade
    journal.begin(connection, step.revision, step.direction, step.checksum)
    config.attributes["rerun_part_applied"] = part_applied
    if part_applied:
        report(f"completing {step.revision}, left part-applied by an earlier run")
    for attempt in range(timeouts.lock_retries + 1):
        try:
            with user_errors_from_alembic():
                run(config, step.target)
            return
        except BadInput:
            raise
        except Exception as error:
            if not (is_lock_timeout(error) and attempt < timeouts.lock_retries):
                raise
            connection.rollback()
            pause = timeouts.retry_delay * 2**attempt
            report(
                f"{step.revision} waited longer than {timeouts.lock:g} s for a lock "
                f"({first_line(error)}); retrying in {pause:g} s "
                f"(attempt {attempt + 2} of {timeouts.lock_retries + 1})"
            )
            time.sleep(pause)


def set_session_timeouts(connection, timeouts: Timeouts) -> None:

    if connection.dialect.name == "oracle":
        # Oracle's DDL waits for a busy table up to ddl_lock_timeout (whole
        # seconds), then fails with ORA-00054, which is retried as on PostgreSQL.
        # 0 means "no limit" to luna-db but "do not wait" to Oracle: its maximum then.
        seconds = min(int(round(timeouts.lock)), 1_000_000) or 1_000_000
        connection.execute(text(f"ALTER SESSION SET ddl_lock_timeout = {seconds}"))
        return
    if connection.dialect.name != "postgresql":
        return
    for name, value in postgres_session_limits(timeouts):
        # Session level (is_local false): they hold across the per-revision
        # transactions and the autocommit blocks alike.
        connection.execute(text("SELECT set_config(:name, :value, false)"), {"name": name, "value": value})


def postgres_session_limits(timeouts: Timeouts) -> list[tuple[str, str]]:
    """The PostgreSQL settings an online run sets, and an offline script starts with."""
    return [
        ("lock_timeout", f"{int(timeouts.lock * 1000)}ms"),
        ("statement_timeout", f"{int(timeouts.statement * 1000)}ms"),
    ]


