"""The revision pattern (README, "Writing migrations"), checked across the statements of each transaction.

A writer waits for a migration in two ways the per-statement rules cannot
see: a lock that blocks writers (SHARE and up, analysis/locks.py) held while
the same transaction moves rows (the writer waits for the whole fill: the
s0003 of before), and such a lock requested without a short lock timeout
(a migration waiting behind a long transaction queues every writer behind
itself for as long as it waits). A revision keeps strong locks for
catalog-only steps in short transactions with `SET LOCAL lock_timeout`
(runtime/batched.catalog_step or catalog_only) and moves rows in batches
of their own (runtime/batched.backfill).

Only `luna-db check` (lint_revision) applies these rules: they judge how a
revision is built, which a loose SQL file given to `luna-db lint` is not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .locks import CATALOG, statement_locks
from .rule import Hit, ScriptState
from .sqltext import Statement

#: The longest lock timeout a catalog step may wait with: no writer waits 0.5 s behind it.
SHORT_LOCK_TIMEOUT_MS = 500

MESSAGES = {
    "lock-held-while-moving-rows": (
        "this transaction holds a lock that blocks writers of {table} ({mode}) while it moves rows: every "
        "INSERT/UPDATE on {table} waits for the whole statement; commit the catalog step first, then move "
        "the rows in batches of their own (runtime/batched.backfill)"),
    "blocking-lock-without-short-timeout": (
        "{mode} on {table} is requested without a short lock timeout: while it waits behind a long transaction "
        "every writer of {table} queues behind it; run it as a catalog step with SET LOCAL lock_timeout "
        f"<= {SHORT_LOCK_TIMEOUT_MS} ms (runtime/batched.catalog_step)"),
}
_EXEMPT = {"alembic_version", "luna_db_audit", "luna_db_lock"}
_BEGIN = re.compile(r"^(?:BEGIN|START TRANSACTION)\b(?! ATOMIC)", re.I)
_END = re.compile(r"^(?:COMMIT|END|ROLLBACK|ABORT)\b", re.I)
_TIMEOUT = re.compile(r"^SET (?:(?P<local>LOCAL) |SESSION )?lock_timeout (?:=|TO) (?P<value>.+)$", re.I)
_SET_CONFIG = re.compile(r"set_config\s*\(\s*'lock_timeout'", re.I)


@dataclass
class TransactionWatch:
    """What the open transaction (or the session) has done so far, statement by statement."""

    in_transaction: bool = False
    session_timeout_ms: int | None = None
    local_timeout_ms: int | None = None
    strong: dict[str, str] = field(default_factory=dict)   # table -> mode held, blocking writers
    moved: Statement | None = None
    reported: set[tuple[str, str]] = field(default_factory=set)

    def feed(self, statement: Statement, state: ScriptState) -> list[Hit]:
        """The hits of `statement`, judged with `state` as it was before it (tables created so far)."""
        code = statement.code
        if _BEGIN.match(code):
            self._reset(True)
            return []
        if _END.match(code):
            self._reset(False)
            return []
        if m := _TIMEOUT.match(" ".join(statement.text.split())):
            value = _milliseconds(m["value"])
            if m["local"]:
                self.local_timeout_ms = value
            else:
                self.session_timeout_ms = value
            return []
        if _SET_CONFIG.search(statement.text):
            return []  # set_config(..., is_local) from a program: not judged
        locks = statement_locks(code, statement.text)
        if locks is None:
            return []
        hits: list[Hit] = []
        existing = [lock for lock in locks.locks
                    if lock.blocks_writers and lock.table not in _EXEMPT and not state.created(lock.table)
                    and lock.table not in state.views and locks.kind != "DROP VIEW"]
        timeout = self.local_timeout_ms if self.local_timeout_ms is not None else self.session_timeout_ms
        for lock in existing:
            if lock.effect == CATALOG and (timeout is None or timeout == 0 or timeout > SHORT_LOCK_TIMEOUT_MS):
                self._hit(hits, "blocking-lock-without-short-timeout", lock.table, lock.mode, statement)
        if not self.in_transaction:
            return hits  # a statement of its own commits at once
        if locks.moves_rows and not locks.batched:
            self.moved = statement
            for table, mode in self.strong.items():
                self._hit(hits, "lock-held-while-moving-rows", table, mode, statement)
        for lock in existing:
            self.strong.setdefault(lock.table, lock.mode)
            if self.moved is not None:
                self._hit(hits, "lock-held-while-moving-rows", lock.table, lock.mode, statement)
        return hits

    def _hit(self, hits: list[Hit], rule: str, table: str, mode: str, statement: Statement) -> None:
        if (rule, table) in self.reported:
            return
        self.reported.add((rule, table))
        hits.append(Hit(rule, MESSAGES[rule].format(table=table, mode=mode), table, statement))

    def _reset(self, opening: bool) -> None:
        self.in_transaction, self.local_timeout_ms = opening, None
        self.strong, self.moved = {}, None
        self.reported = {(rule, table) for rule, table in self.reported if rule != "lock-held-while-moving-rows"}


def _milliseconds(value: str) -> int | None:
    """PostgreSQL's spelling of a lock_timeout ('200ms', '5s', 5000, DEFAULT) in milliseconds."""
    m = re.match(r"^\s*'?\s*(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>ms|s|min)?\s*'?\s*;?\s*$", value, re.I)
    if not m:
        return None
    factor = {"ms": 1, "s": 1000, "min": 60_000}.get((m["unit"] or "ms").lower(), 1)
    return int(float(m["number"]) * factor)
