"""What each planned revision will do to a live PostgreSQL database, before it runs (`--dry-run`).

For every statement of a step's offline SQL (runtime/offline.render_migration,
the very SQL the step runs): the lock it takes on which table
(analysis/sql/locks.py), whether it only touches the catalog, moves rows, scans
or rewrites the table, and how many rows, estimated from the row estimates
it is given (the live database's pg_class.reltuples, read by
command/dry_run.py; no table is read). A statement
that moves rows while its transaction holds a lock that blocks writers is
the stall an operator must see first: "s0003: SHARE ROW EXCLUSIVE on stream
while 200k rows are copied".

An `ALTER COLUMN ... TYPE` is judged against the column's current type the
way the lint judges it (analysis/sql/type_change): the types it is given
(the live catalog's), kept current through the plan's steps, so a step is
judged against the types the steps before it leave. A widening is catalog
only; anything else rewrites, and says why.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Iterable, Mapping

from .sql import shapes as sh
from .sql.classify import Classified, classified
from .sql.locks import BLOCKS_WRITERS, CATALOG, MOVES, READS, REWRITES, SCANS, StatementLocks, TableLock
from .sql.txn_rules import Transaction
from .sql.type_change import judged_locks, track_type, type_changes

#: Why the dry run may not know a column's type: the live catalog lacks it (an earlier step adds it).
_NOT_LIVE = "the live database has no such column before this plan"

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
    lock_timeout_ms: int | None  # the SET LOCAL/SET lock_timeout in force (None: luna-db's --statement-lock-timeout)
    held_while: str | None   # "SHARE ROW EXCLUSIVE on stream": a writer-blocking lock held while this moves rows
    summary: str
    reason: str | None = None  # a type change's verdict: "varchar(64)→varchar(128) is catalog-only"

    def as_dict(self) -> dict:
        return asdict(self)


def statement_impacts(revision: str, sql: str, estimates: dict[str, int | None],
                      column_types: Mapping[str, str] | None = None) -> list[StatementImpact]:
    """Every table lock of a step's PostgreSQL script, in order, with the rows it involves.

    `column_types` ("table.column" -> type, analysis/schema/catalog.column_types) is the schema
    the script runs on; a type change of a column it lacks counts as a rewrite.
    """
    return plan_impacts([(revision, sql)], estimates, column_types)[revision]


def plan_impacts(steps: Iterable[tuple[str, str]], estimates: dict[str, int | None],
                 column_types: Mapping[str, str] | None = None) -> dict[str, list[StatementImpact]]:
    """Each step's impacts (steps: (revision, script) in the order they run), by revision; each
    step's type changes judged against the types `column_types` holds as the steps before it left them."""
    types = dict(column_types or {})
    impacts: dict[str, list[StatementImpact]] = {}
    for revision, sql in steps:
        step = _Step(revision, estimates, types)
        impacts[revision] = [impact for c in classified(sql) for impact in step.feed(c)]
    return impacts


@dataclass
class _Step:
    """What a step's script has done so far: tables it created, the transaction and its locks."""

    revision: str
    estimates: dict[str, int | None]
    column_types: dict[str, str]  # "table.column" -> type, as the statements so far left them
    created: set[str] = field(default_factory=set)
    transaction: Transaction = field(default_factory=Transaction)
    held: dict[str, str] = field(default_factory=dict)  # writer-blocking locks held by the open transaction

    def feed(self, c: Classified) -> list[StatementImpact]:
        if self.transaction.follow(c):
            self.held = {} if c.transaction else self.held
            return []
        verdicts = type_changes(c, self.column_types, why_unknown=_NOT_LIVE)
        for action in c.actions:
            track_type(c.table, action, self.column_types)
        locks = judged_locks(c, verdicts)
        if locks is None or not locks.locks:
            return []
        new = c.table if c.kind == sh.CREATE_TABLE else None
        created = self.created | {new}
        reason = "; ".join(verdict.reason for verdict in verdicts.values()) or None
        impacts = [self._impact(c, locks, lock, created, reason) for lock in locks.locks if self._shown(lock, created)]
        if new:
            self.created.add(new)
        return impacts

    def _shown(self, lock: TableLock, created: set[str | None]) -> bool:
        if lock.table in ("alembic_version", "luna_db_audit"):
            return False
        return lock.table not in created or lock.effect == MOVES  # a table this step created: no reader, no writer yet

    def _impact(self, c: Classified, locks: StatementLocks, lock: TableLock, created: set[str | None],
                reason: str | None) -> StatementImpact:
        in_transaction, timeout = self.transaction.open, self.transaction.timeout_ms
        if lock.effect == MOVES:
            involved = _source_rows(locks, self.created, self.estimates)
        else:
            involved = 0 if lock.table in created else self.estimates.get(lock.table)
        holding = None
        if lock.effect == MOVES and in_transaction and not locks.batched:
            holding = ", ".join(f"{mode} on {table}" for table, mode in self.held.items()) or None
        blocks = lock.mode in BLOCKS_WRITERS and lock.table not in created
        if in_transaction and blocks:
            self.held.setdefault(lock.table, lock.mode)
        return StatementImpact(
            revision=self.revision, statement=_first_line(c.statement.text), kind=locks.kind, table=lock.table,
            lock=lock.mode, blocks_writers=blocks, effect=lock.effect, rows=involved, batched=lock.batched,
            in_transaction=in_transaction, lock_timeout_ms=timeout, held_while=holding,
            summary=_summary(self.revision, locks, lock, involved, holding, created, timeout, reason),
            reason=reason,
        )


def _source_rows(locks: StatementLocks, created: set[str], estimates) -> int | None:
    """The rows a row-moving statement goes through: those of the table it reads, else of its target."""
    read = [lock.table for lock in locks.locks if lock.effect == READS]
    target = [lock.table for lock in locks.locks if lock.effect == MOVES]
    table = (read or target or [None])[0]
    if table is None:
        return None
    return 0 if table in created else estimates.get(table)


def _summary(revision, locks, lock, rows, holding, created, timeout, reason=None) -> str:
    count = "an unknown number of" if rows is None else f"{_short(rows)}"
    new = " (a table created by this step)" if lock.table in created else ""
    kind = f"{locks.kind}: {reason}" if reason else locks.kind
    if lock.effect == MOVES:
        verb = _VERB.get(locks.kind, "moved")
        if holding:
            return f"{revision}: {holding} while {count} rows are {verb} ({lock.mode} on {lock.table})"
        way = "in batches, each its own transaction" if lock.batched else "in one statement"
        return f"{revision}: {lock.mode} on {lock.table}{new} while {count} rows are {verb} ({way})"
    if lock.effect in (SCANS, REWRITES):
        verb = "scanned" if lock.effect == SCANS else "rewritten"
        return f"{revision}: {lock.mode} on {lock.table}{new} while {count} rows are {verb} ({kind})"
    if lock.effect == CATALOG:
        wait = "luna-db's --statement-lock-timeout" if timeout is None else f"lock_timeout {timeout} ms"
        return f"{revision}: {lock.mode} on {lock.table}{new}, catalog only ({kind}; waits at most {wait})"
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
