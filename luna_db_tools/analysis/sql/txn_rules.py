"""The revision pattern, checked across the statements of each transaction.

A writer waits for a migration in two ways the per-statement rules cannot
see: a lock that blocks writers (SHARE and up, analysis/sql/locks.py) held while
the same transaction moves rows (the writer waits for the whole fill: the
s0003 of before), and such a lock requested without a short lock timeout
(a migration waiting behind a long transaction queues every writer behind
itself for as long as it waits). A revision keeps strong locks for
catalog-only steps in short transactions with `SET LOCAL lock_timeout`
(operations/batched.catalog_step or catalog_only) and moves rows in batches
of their own (operations/batched.backfill).

Only `luna-db check` (lint_revision) applies these rules: they judge how a
revision is built, which a loose SQL file given to `luna-db lint` is not.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..findings import Finding
from . import shapes as sh
from .classify import Classified
from .locks import CATALOG, StatementLocks, TableLock
from .rule import Registry, ScriptState
from .type_change import judged_locks, type_changes

#: The longest lock timeout a catalog step may wait with (no writer waits 0.5 s).
SHORT_LOCK_TIMEOUT_MS = 500

#: Judged across the statements of a transaction by TransactionWatch, not per statement kind.
TRANSACTION = Registry("postgresql")
_EXEMPT = {"alembic_version", "luna_db_audit", "luna_db_lock"}

LOCK_HELD_WHILE_MOVING_ROWS = TRANSACTION.statement_rule(
    "lock-held-while-moving-rows", (),
    "this transaction holds a lock that blocks writers of {table} ({mode}) while it moves rows: every "
    "INSERT/UPDATE on {table} waits for the whole statement",
    "commit the catalog step first, then move the rows in batches of their own (operations/batched.backfill)",
)(lambda c, state: ())
BLOCKING_LOCK_WITHOUT_SHORT_TIMEOUT = TRANSACTION.statement_rule(
    "blocking-lock-without-short-timeout", (),
    "{mode} on {table} is requested without a short lock timeout: while it waits behind a long transaction "
    "every writer of {table} queues behind it",
    f"run it as a catalog step with SET LOCAL lock_timeout <= {SHORT_LOCK_TIMEOUT_MS} ms (operations/batched.catalog_step)",
)(lambda c, state: ())


@dataclass
class Transaction:
    """The transaction and the lock timeout in force, as the statements so far left them."""

    open: bool = False
    session_timeout_ms: int | None = None
    local_timeout_ms: int | None = None   # SET LOCAL: until the transaction ends

    @property
    def timeout_ms(self) -> int | None:
        """The lock timeout in force: SET LOCAL's in this transaction, else the session's."""
        return self.local_timeout_ms if self.local_timeout_ms is not None else self.session_timeout_ms

    def follow(self, c: Classified) -> bool:
        """Take in a BEGIN, a COMMIT (any end) or a SET lock_timeout; False for any other statement."""
        if c.transaction:
            self.open, self.local_timeout_ms = c.kind == sh.BEGIN, None
            return True
        if c.lock_timeout is None:
            return False
        local, value = c.lock_timeout
        if local:
            self.local_timeout_ms = value
        else:
            self.session_timeout_ms = value
        return True


@dataclass
class TransactionWatch:
    """What the open transaction (or the session) has done so far, statement by statement."""

    transaction: Transaction = field(default_factory=Transaction)
    strong: dict[str, str] = field(default_factory=dict)   # table -> mode held, blocking writers
    moved: bool = False
    reported: set[tuple[str, str]] = field(default_factory=set)

    def feed(self, c: Classified, state: ScriptState) -> list[Finding]:
        """The findings of a statement, judged with `state` as it was before it (tables created so far)."""
        if self.transaction.follow(c):
            if c.transaction:
                self._reset()
            return []
        # A type change is catalog only or a rewrite as analysis/sql/type_change judges it.
        locks = judged_locks(c, type_changes(c, state.column_types))
        if locks is None or sh.SET_CONFIG_LOCK_TIMEOUT.search(c.statement.text):
            return []  # no table lock; or set_config(..., is_local) from a program: not judged
        existing = [lock for lock in locks.locks if _blocks_existing(lock, locks, state)]
        found = self._without_short_timeout(c, existing)
        if self.transaction.open:  # else a statement of its own commits at once
            found += self._held_while_moving(c, locks, existing)
        return found

    def _without_short_timeout(self, c: Classified, existing: list[TableLock]) -> list[Finding]:
        timeout = self.transaction.timeout_ms
        if timeout is not None and 0 < timeout <= SHORT_LOCK_TIMEOUT_MS:
            return []
        return [finding for lock in existing if lock.effect == CATALOG
                for finding in self._once(BLOCKING_LOCK_WITHOUT_SHORT_TIMEOUT, lock.table, lock.mode, c)]

    def _held_while_moving(self, c: Classified, locks: StatementLocks, existing: list[TableLock]) -> list[Finding]:
        found: list[Finding] = []
        if locks.moves_rows and not locks.batched:
            self.moved = True
            for table, mode in self.strong.items():
                found += self._once(LOCK_HELD_WHILE_MOVING_ROWS, table, mode, c)
        for lock in existing:
            self.strong.setdefault(lock.table, lock.mode)
            if self.moved:
                found += self._once(LOCK_HELD_WHILE_MOVING_ROWS, lock.table, lock.mode, c)
        return found

    def _once(self, rule, table: str, mode: str, c: Classified) -> list[Finding]:
        if (rule.name, table) in self.reported:
            return []
        self.reported.add((rule.name, table))
        return [rule.finding(c.statement, table, table=table, mode=mode)]

    def _reset(self) -> None:
        self.strong, self.moved = {}, False
        self.reported = {(rule, table) for rule, table in self.reported if rule != LOCK_HELD_WHILE_MOVING_ROWS.name}


def _blocks_existing(lock: TableLock, locks: StatementLocks, state: ScriptState) -> bool:
    """A writer-blocking lock on a table or view the running release uses (not one of this script's)."""
    return lock.blocks_writers and lock.table not in _EXEMPT and not state.created(lock.table) \
        and lock.table not in state.views and locks.kind != "DROP VIEW"
