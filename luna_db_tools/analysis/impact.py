"""What each planned revision will do to a live PostgreSQL database, before it runs (`--dry-run`).

For every statement of a step's offline SQL (runtime/offline.render_migration,
the very SQL the step runs): the lock it takes on which table
(analysis/locks.py), whether it only touches the catalog, moves rows, scans
or rewrites the table, and how many rows, estimated from the row estimates
it is given (the live database's pg_class.reltuples, read by
command/dry_run.py; no table is read). A statement
that moves rows while its transaction holds a lock that blocks writers is
the stall an operator must see first: "s0003: SHARE ROW EXCLUSIVE on stream
while 200k rows are copied".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .locks import BLOCKS_WRITERS, CATALOG, MOVES, READS, REWRITES, SCANS, StatementLocks, statement_locks
from .sqltext import PG_CREATE_TABLE, bare, split_statements
from .txn_rules import _BEGIN, _END, _TIMEOUT, _milliseconds

_VERB = {"INSERT ... SELECT": "copied", "UPDATE": "updated", "DELETE": "deleted", "CREATE TABLE AS": "copied",
         "batched backfill (DO block)": "moved"}


@dataclass(frozen=True)
class StatementImpact:
    revision: str
    statement: str           # its first line, shortened
    kind: str
    table: str
    lock: str
    blocks_writers: bool     # INSERT/UPDATE/DELETE on the table wait while it is held
    effect: str              # catalog only, reads, moves rows, scans, rewrites
    rows: int | None         # estimated rows involved (None: no statistics yet)
    batched: bool
    in_transaction: bool
    lock_timeout_ms: int | None  # the SET LOCAL/SET lock_timeout in force (None: luna-db's --db-lock-timeout)
    held_while: str | None   # "SHARE ROW EXCLUSIVE on stream": a writer-blocking lock held while this moves rows
    summary: str

    def as_dict(self) -> dict:
        return asdict(self)


def statement_impacts(revision: str, sql: str, estimates: dict[str, int | None]) -> list[StatementImpact]:
    """Every table lock of a step's PostgreSQL script, in order, with the rows it involves."""
    impacts: list[StatementImpact] = []
    created: set[str] = set()
    in_transaction, session_ms, local_ms = False, None, None
    held: dict[str, str] = {}  # writer-blocking locks held by the open transaction
    for statement in split_statements(sql):
        code = statement.code
        if _BEGIN.match(code) or _END.match(code):
            in_transaction, local_ms, held = bool(_BEGIN.match(code)), None, {}
            continue
        if m := _TIMEOUT.match(" ".join(statement.text.split())):
            if m["local"]:
                local_ms = _milliseconds(m["value"])
            else:
                session_ms = _milliseconds(m["value"])
            continue
        locks = statement_locks(code, statement.text)
        if locks is None or not locks.locks:
            continue
        new = _created_table(locks, code)
        timeout = local_ms if local_ms is not None else session_ms
        for lock in locks.locks:
            if lock.table in ("alembic_version", "luna_db_audit"):
                continue
            if (lock.table in created or lock.table == new) and lock.effect != MOVES:
                continue  # a table this step created: no reader, no writer yet
            rows = 0 if (lock.table in created or lock.table == new) else estimates.get(lock.table)
            source_rows = _source_rows(locks, created, estimates)
            involved = source_rows if lock.effect == MOVES else rows
            holding = None
            if lock.effect == MOVES and in_transaction and not locks.batched:
                holding = ", ".join(f"{mode} on {table}" for table, mode in held.items()) or None
            impacts.append(StatementImpact(
                revision=revision, statement=_first_line(statement.text), kind=locks.kind, table=lock.table,
                lock=lock.mode, blocks_writers=lock.mode in BLOCKS_WRITERS and lock.table not in created | {new},
                effect=lock.effect, rows=involved, batched=lock.batched, in_transaction=in_transaction,
                lock_timeout_ms=timeout, held_while=holding,
                summary=_summary(revision, locks, lock, involved, holding, created | {new}, timeout),
            ))
            if in_transaction and lock.mode in BLOCKS_WRITERS and lock.table not in created | {new}:
                held.setdefault(lock.table, lock.mode)
        if new:
            created.add(new)
    return impacts


def _created_table(locks: StatementLocks, code: str) -> str | None:
    if not locks.kind.startswith("CREATE TABLE"):
        return None
    m = PG_CREATE_TABLE.match(code)
    return bare(m["table"]) if m else None


def _source_rows(locks: StatementLocks, created: set[str], estimates) -> int | None:
    """The rows a row-moving statement goes through: those of the table it reads, else of its target."""
    read = [lock.table for lock in locks.locks if lock.effect == READS]
    target = [lock.table for lock in locks.locks if lock.effect == MOVES]
    table = (read or target or [None])[0]
    if table is None:
        return None
    return 0 if table in created else estimates.get(table)


def _summary(revision, locks, lock, rows, holding, created, timeout) -> str:
    count = "an unknown number of" if rows is None else f"{_short(rows)}"
    new = " (a table created by this step)" if lock.table in created else ""
    if lock.effect == MOVES:
        verb = _VERB.get(locks.kind, "moved")
        if holding:
            return f"{revision}: {holding} while {count} rows are {verb} ({lock.mode} on {lock.table})"
        way = "in batches, each its own transaction" if lock.batched else "in one statement"
        return f"{revision}: {lock.mode} on {lock.table}{new} while {count} rows are {verb} ({way})"
    if lock.effect in (SCANS, REWRITES):
        verb = "scanned" if lock.effect == SCANS else "rewritten"
        return f"{revision}: {lock.mode} on {lock.table}{new} while {count} rows are {verb} ({locks.kind})"
    if lock.effect == CATALOG:
        wait = "luna-db's --db-lock-timeout" if timeout is None else f"lock_timeout {timeout} ms"
        return f"{revision}: {lock.mode} on {lock.table}{new}, catalog only ({locks.kind}; waits at most {wait})"
    if lock.batched:
        return f"{revision}: {lock.mode} on {lock.table} while its {count} rows are read in batches (writers go on)"
    return f"{revision}: {lock.mode} on {lock.table}, reads {count} rows ({locks.kind})"


def _short(rows: int) -> str:
    for unit, size in (("M", 1_000_000), ("k", 1_000)):
        if rows >= size:
            return f"{rows / size:.3g}{unit}"
    return str(rows)


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip() and not line.strip().startswith("--")]
    line = lines[0] if lines else ""
    return line if len(line) <= 100 else line[:97] + "..."
