"""Refuse to migrate through a transaction- or statement-pooling connection pooler.

Behind PgBouncer in transaction (or statement) mode a client's transactions
run on whichever server connection is free: a session-level advisory lock
lands on a pooled server connection and stays there after luna-db exits,
session settings (`lock_timeout`, ...) leak to the applications sharing it,
and two replicas' "exclusive" runs interleave. None of that can be made
safe, so luna-db refuses (exit 2) and says to connect to PostgreSQL directly
(or through a session-pooling port).

Detection, with no pooler-specific command (PgBouncer's SHOW works only on
its admin console): the server pid of this connection is asked in one
transaction; a second connection then opens a transaction and asks its own;
this connection asks again in a new transaction. A direct connection (or
session pooling) keeps its pid and the second connection gets another one.
Under transaction pooling, the second connection is handed the server
connection this one just released (PgBouncer reuses the most recent one), or
this one comes back on another server: either shows. Statement pooling
closes the connection at the first transaction block, which SQLAlchemy opens
while it connects: the connection then fails as "server closed the
connection unexpectedly", and `statement_pooling` tells that apart with the
driver's own connection in autocommit (a SELECT works, a BEGIN kills it).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ..errors import BadInput, first_line
from .engine import engine_for
from .host_memory import ordered

_PID = text("SELECT pg_backend_pid()")


@dataclass(frozen=True)
class PoolerVerdict:
    pooled: bool
    evidence: str


def probe_pooling(connection, second_connection) -> PoolerVerdict:
    """Whether `connection` goes through a transaction/statement pooler (see the module docstring).

    `connection` is left outside a transaction; `second_connection` is the
    caller's to close.
    """
    try:
        first = connection.execute(_PID).scalar()
        connection.commit()
        with second_connection.begin():
            other = second_connection.execute(_PID).scalar()
            second_connection.execute(text("SELECT 1"))  # a second statement in the same transaction
            again = connection.execute(_PID).scalar()
            connection.commit()
    except DBAPIError as error:
        message = first_line(error)
        if "pooling mode" in message or "pgbouncer" in message.lower():
            return PoolerVerdict(True, message)
        raise
    if again != first:
        return PoolerVerdict(True, f"the server pid changed between two transactions ({first}, then {again})")
    if other == first:
        return PoolerVerdict(True, f"two connections were served by the same server pid {first}")
    return PoolerVerdict(False, "")


def refuse_pooled(connection, connect_second, masked_dsn: str) -> None:
    """BadInput (exit 2) when `connection` goes through a transaction or statement pooler.

    `connect_second()` opens the second connection of the probe.
    """
    with connect_second() as second:
        verdict = probe_pooling(connection, second)
    if verdict.pooled:
        raise BadInput(
            f"{masked_dsn} goes through a connection pooler in transaction or statement mode "
            f"({verdict.evidence}): a migration needs one server session throughout; "
            "connect to PostgreSQL directly (or through a session-pooling port)"
        )


def statement_pooling(settings) -> bool:
    """Whether a plain autocommit connection works but a transaction block kills it (statement pooling).

    Uses the driver directly: SQLAlchemy's first connect runs in a
    transaction, which is exactly what such a pooler refuses.
    """
    engine = engine_for(ordered(settings))
    cargs, cparams = engine.dialect.create_connect_args(engine.url)
    try:
        raw = engine.dialect.loaded_dbapi.connect(*cargs, **cparams)
    except Exception:
        return False
    try:
        raw.autocommit = True
        with raw.cursor() as cursor:
            cursor.execute("SELECT 1")
        try:
            with raw.cursor() as cursor:
                cursor.execute("BEGIN")
                cursor.execute("ROLLBACK")
        except Exception as error:
            return "closed the connection" in str(error) or "pooling mode" in str(error)
        return False
    except Exception:
        return False
    finally:
        try:
            raw.close()
        except Exception:
            pass


def refuse_statement_pooling(settings, error: Exception) -> None:
    """After a failed connect that looked like a dropped connection: BadInput if a statement pooler did it."""
    if "server closed the connection unexpectedly" in str(error) and statement_pooling(settings):
        raise BadInput(
            f"{settings.masked_dsn()} goes through a connection pooler in transaction or statement mode "
            "(it closes the connection at the first transaction block: statement pooling): "
            "a migration needs one server session throughout; connect to PostgreSQL directly "
            "(or through a session-pooling port)"
        ) from None
