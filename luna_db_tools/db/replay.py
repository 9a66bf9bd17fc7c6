"""Run statements each in a savepoint of one transaction that is rolled back: what they would do, undone.

`luna-db check` and the dry run replay the running release's workload this
way (command/running_release.py): a statement that fails rolls back to its
savepoint and the next goes on; at the end the whole transaction rolls
back, so the scratch database is as it was. Each statement travels with its
SAVEPOINT and RELEASE in one round trip (PostgreSQL takes several
statements in one simple query), which keeps a replay of a few hundred
statements within tens of milliseconds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

_SAVEPOINT = "luna_db_replay"


@dataclass(frozen=True)
class Refusal:
    """The server's error for one statement: which one (its index), and its fields."""

    index: int
    sqlstate: str | None
    message: str
    column: str | None
    constraint: str | None


def replay(connection, statements: Iterable[str]) -> list[Refusal]:
    """Run each statement (PostgreSQL) in its own savepoint; roll everything back; the refusals, in order.

    `connection` is a SQLAlchemy Connection outside a transaction (its own
    transaction is committed first, so what it read stays read).
    """
    connection.commit()
    raw = connection.connection.dbapi_connection
    driver_error = connection.dialect.dbapi.Error
    refused: list[Refusal] = []
    cursor = raw.cursor()
    try:
        for index, sql in enumerate(statements):
            try:
                cursor.execute(f"SAVEPOINT {_SAVEPOINT}; {sql}; RELEASE SAVEPOINT {_SAVEPOINT}")
            except driver_error as error:
                cursor.execute(f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}")
                refused.append(_refusal(index, error))
    finally:
        cursor.close()
        raw.rollback()
    return refused


def _refusal(index: int, error) -> Refusal:
    diag = getattr(error, "diag", None)
    message = getattr(diag, "message_primary", None) or (str(error).strip().splitlines() or [type(error).__name__])[0]
    return Refusal(index, getattr(error, "pgcode", None), message,
                   getattr(diag, "column_name", None), getattr(diag, "constraint_name", None))
