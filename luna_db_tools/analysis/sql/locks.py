"""Which lock a PostgreSQL statement takes on which table, and what it does to the rows.

The table of lock levels follows PostgreSQL's documentation ("Explicit
Locking", and each command's page): e.g. a foreign key takes SHARE ROW
EXCLUSIVE on the table it references, CREATE INDEX takes SHARE, most ALTER
TABLE forms take ACCESS EXCLUSIVE. Modes from SHARE up block INSERT, UPDATE
and DELETE (they conflict with ROW EXCLUSIVE); ACCESS EXCLUSIVE blocks
readers too. Used by the lint (a writer-blocking lock held while rows move)
and by `upgrade --dry-run` (analysis/impact.py).

Statements are read in the `code` form of analysis/sql/sqltext (comments gone,
literals blanked); a batched backfill (operations/batched.py) is a DO block,
read from its text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Collection

from . import shapes as sh
from .sqltext import QNAME, bare, has_word, top_level_parts

_I = re.I

ACCESS_SHARE = "ACCESS SHARE"
ROW_SHARE = "ROW SHARE"
ROW_EXCLUSIVE = "ROW EXCLUSIVE"
SHARE_UPDATE_EXCLUSIVE = "SHARE UPDATE EXCLUSIVE"
SHARE = "SHARE"
SHARE_ROW_EXCLUSIVE = "SHARE ROW EXCLUSIVE"
EXCLUSIVE = "EXCLUSIVE"
ACCESS_EXCLUSIVE = "ACCESS EXCLUSIVE"

#: Modes that make INSERT/UPDATE/DELETE wait (they conflict with ROW EXCLUSIVE).
BLOCKS_WRITERS = {SHARE, SHARE_ROW_EXCLUSIVE, EXCLUSIVE, ACCESS_EXCLUSIVE}

# What a statement does to a table's rows, least to most costly.
CATALOG, READS, MOVES, SCANS, REWRITES = "catalog only", "reads", "moves rows", "scans", "rewrites"


@dataclass(frozen=True)
class TableLock:
    table: str
    mode: str
    effect: str              # CATALOG, READS, MOVES, SCANS, REWRITES
    batched: bool = False    # rows moved in batches, each its own transaction

    @property
    def blocks_writers(self) -> bool:
        return self.mode in BLOCKS_WRITERS


@dataclass(frozen=True)
class StatementLocks:
    kind: str                    # e.g. "CREATE TABLE", "INSERT ... SELECT", "ALTER TABLE"
    locks: tuple[TableLock, ...]
    moves_rows: bool = False     # copies, updates or deletes rows of an existing table (time grows with rows)
    batched: bool = False


_FROM = re.compile(rf"\b(?:FROM|JOIN) (?:ONLY )?(?P<table>{QNAME})", _I)
_CREATE_TABLE_AS = re.compile(rf"^CREATE (?:\w+ )*TABLE (?:IF NOT EXISTS )?{QNAME}(?: \([^)]*\))? AS\b", _I)
# Inside a batched backfill's DO block (its body is a literal to the splitter, so read from the text).
_BODY_WRITE = re.compile(rf"\b(?:INSERT INTO|UPDATE|DELETE FROM) (?P<table>{QNAME})", _I)
_CTE_NAME = re.compile(rf"(?:\bWITH|,) (?P<name>{QNAME}) AS \(", _I)
_TOOL_TABLES = ("alembic_version",)


def statement_locks(code: str, text: str = "") -> StatementLocks | None:
    """The locks of one PostgreSQL statement; None for what takes no table lock (SET, BEGIN, COMMIT, ...)."""
    kind, m = sh.match_shape(code)
    return locks_for(kind, m, code, text)


def locks_for(kind: str, m: re.Match | None, code: str, text: str) -> StatementLocks | None:
    """The locks of a statement already matched to its shape (analysis/sql/shapes)."""
    locks_of = _BY_KIND.get(kind)
    return locks_of(m, code, text) if locks_of else None


def tables_read(code: str) -> list[str]:
    """The tables a statement reads (FROM and JOIN), in order, once each."""
    return list(dict.fromkeys(bare(s["table"]) for s in _FROM.finditer(code)))


def _one(kind: str, mode: str, effect: str, group: str = "table"):
    """A statement that takes `mode` on the one object its shape names (none named: no lock)."""
    def locks(m, code, text):
        return StatementLocks(kind, (TableLock(bare(m[group]), mode, effect),)) if m[group] else None
    return locks


def _create_table(m, code, text):
    new = bare(m["table"])
    referenced = {bare(r["table"]) for r in sh.REFERENCES.finditer(code)} - {new}
    locks = [TableLock(table, SHARE_ROW_EXCLUSIVE, CATALOG) for table in sorted(referenced)]
    if _CREATE_TABLE_AS.match(code):
        locks += [TableLock(bare(s["table"]), ACCESS_SHARE, READS) for s in _FROM.finditer(code)]
        return StatementLocks("CREATE TABLE AS", tuple(locks), moves_rows=True)
    return StatementLocks("CREATE TABLE", tuple(locks))


def _create_index(m, code, text):
    if m["concurrently"]:
        return StatementLocks("CREATE INDEX CONCURRENTLY", (TableLock(bare(m["table"]), SHARE_UPDATE_EXCLUSIVE, SCANS),))
    return StatementLocks("CREATE INDEX", (TableLock(bare(m["table"]), SHARE, SCANS),))


def _drop_index(m, code, text):
    return StatementLocks("DROP INDEX CONCURRENTLY" if m["concurrently"] else "DROP INDEX", ())


def _drop_table(m, code, text):
    return StatementLocks("DROP TABLE", tuple(
        TableLock(bare(part), ACCESS_EXCLUSIVE, CATALOG) for part in top_level_parts(m["tables"])))


def _do_block(m, code, text):
    writes = list(_BODY_WRITE.finditer(text))
    if not writes:
        return None
    target = bare(writes[0]["table"])
    named = {bare(m["name"]) for m in _CTE_NAME.finditer(text)}  # the WITH queries (batch, moved, ...)
    read = [table for table in tables_read(text) if table not in named | {target}]
    locks = [TableLock(target, ROW_EXCLUSIVE, MOVES, batched=True)]
    locks += [TableLock(table, ROW_SHARE, READS, batched=True) for table in read]
    return StatementLocks("batched backfill (DO block)", tuple(locks), moves_rows=True, batched=True)


def _writes(kind: str):
    def locks(m, code, text):
        target = bare(m["table"])
        if target in _TOOL_TABLES:
            return StatementLocks(kind, (TableLock(target, ROW_EXCLUSIVE, CATALOG),))
        if kind == sh.INSERT and not _FROM.search(code):
            return StatementLocks("INSERT ... VALUES", (TableLock(target, ROW_EXCLUSIVE, CATALOG),))
        locks = [TableLock(target, ROW_EXCLUSIVE, MOVES)]
        locks += [TableLock(table, ACCESS_SHARE, READS) for table in tables_read(code) if table != target]
        return StatementLocks("INSERT ... SELECT" if kind == sh.INSERT else kind, tuple(locks), moves_rows=True)
    return locks


def _comment(m, code, text):
    obj = m["object"]
    table = bare(obj) if m["what"].upper() == "TABLE" else bare(".".join(obj.split(".")[:-1]) or obj)
    return StatementLocks("COMMENT", (TableLock(table, SHARE_UPDATE_EXCLUSIVE, CATALOG),))


def _lock(m, code, text):
    mode = (m["mode"] or ACCESS_EXCLUSIVE).upper()
    return StatementLocks("LOCK TABLE", (TableLock(bare(m["table"]), mode, CATALOG),))


def _refresh(m, code, text):
    mode = EXCLUSIVE if m["concurrently"] else ACCESS_EXCLUSIVE
    return StatementLocks("REFRESH MATERIALIZED VIEW", (TableLock(bare(m["view"]), mode, REWRITES),))


def _select(m, code, text):
    read = [TableLock(bare(s["table"]), ACCESS_SHARE, READS) for s in _FROM.finditer(code)]
    return StatementLocks("SELECT", tuple(read)) if read else None


def _alter_table(m, code, text) -> StatementLocks:
    return alter_table_locks(bare(m["table"]), m["actions"])


def alter_table_locks(table: str, actions: str, catalog_only: Collection[str] = ()) -> StatementLocks:
    """ALTER TABLE: the strongest lock any of its actions needs, and the most costly effect.

    The statement alone does not say whether a type change rewrites (analysis/sql/type_change
    judges it against the column's current type): each counts as a rewrite unless its column
    (bare name) is in `catalog_only`.
    """
    locks: list[TableLock] = []
    for action in top_level_parts(actions):
        locks += action_locks(table, action, catalog_only)
    strongest: dict[str, TableLock] = {}
    for lock in locks:
        held = strongest.get(lock.table, lock)
        strongest[lock.table] = TableLock(
            lock.table, max(lock.mode, held.mode, key=_RANK.get), max(lock.effect, held.effect, key=EFFECT_COST.get))
    return StatementLocks("ALTER TABLE", tuple(strongest.values()))


_BY_KIND = {
    sh.CREATE_TABLE: _create_table,
    sh.CREATE_INDEX: _create_index,
    sh.DROP_INDEX: _drop_index,
    sh.ALTER_TABLE: _alter_table,
    sh.DROP_TABLE: _drop_table,
    sh.DO: _do_block,
    sh.INSERT: _writes(sh.INSERT),
    sh.UPDATE: _writes(sh.UPDATE),
    sh.DELETE: _writes(sh.DELETE),
    sh.TRUNCATE: _one("TRUNCATE", ACCESS_EXCLUSIVE, CATALOG),
    sh.COMMENT: _comment,
    sh.LOCK: _lock,
    sh.VACUUM_FULL: _one("VACUUM FULL", ACCESS_EXCLUSIVE, REWRITES),
    sh.CLUSTER: _one("CLUSTER", ACCESS_EXCLUSIVE, REWRITES),
    sh.REFRESH: _refresh,
    sh.DROP_VIEW: _one("DROP VIEW", ACCESS_EXCLUSIVE, CATALOG, group="view"),
    sh.SELECT: _select,
}


def action_locks(table: str, action: str, catalog_only: Collection[str] = ()) -> list[TableLock]:
    """The locks of one ALTER TABLE action on `table` (and on a table a foreign key references);
    a type change of a column in `catalog_only` rewrites nothing."""
    kind, m = sh.match_action(action)
    if kind == sh.ADD_CONSTRAINT and m["kind"].upper() == "FOREIGN KEY" or \
            kind == sh.ADD_COLUMN and sh.REFERENCES.search(m["definition"]):
        effect = CATALOG if has_word(action, "NOT VALID") else SCANS
        referenced = [bare(r["table"]) for r in sh.REFERENCES.finditer(action)]
        return [TableLock(table, SHARE_ROW_EXCLUSIVE, effect)] + [
            TableLock(other, SHARE_ROW_EXCLUSIVE, effect) for other in referenced if other != table]
    if kind == sh.ALTER_COLUMN and sh.COLUMN_TYPE.match(m["change"]) and bare(m["column"]) in catalog_only:
        return [TableLock(table, ACCESS_EXCLUSIVE, CATALOG)]
    mode, effect = _ACTION_LOCKS.get(kind, (ACCESS_EXCLUSIVE, CATALOG))  # DROP/RENAME/SET DEFAULT/...: catalog only
    if callable(effect):
        mode, effect = effect(m, action)
    return [TableLock(table, mode, effect)]


def _constraint(m, action):
    if m["kind"].upper() == "CHECK":
        return ACCESS_EXCLUSIVE, CATALOG if has_word(action, "NOT VALID") else SCANS
    return ACCESS_EXCLUSIVE, CATALOG if has_word(action, "USING INDEX") else SCANS  # UNIQUE, PRIMARY KEY, EXCLUDE


def _column_change(m, action):
    change = m["change"]
    if sh.COLUMN_TYPE.match(change):  # judged against the current type: analysis/sql/type_change
        return ACCESS_EXCLUSIVE, REWRITES
    if sh.SET_NOT_NULL.match(change):
        return ACCESS_EXCLUSIVE, SCANS
    if sh.SET_STATISTICS.match(change):
        return SHARE_UPDATE_EXCLUSIVE, CATALOG
    return ACCESS_EXCLUSIVE, CATALOG


_ACTION_LOCKS = {
    sh.VALIDATE: (SHARE_UPDATE_EXCLUSIVE, SCANS),
    sh.ADD_CONSTRAINT: (None, _constraint),
    sh.ADD_COLUMN: (None, lambda m, action: (
        ACCESS_EXCLUSIVE, REWRITES if sh.fills_every_row(m["definition"]) else CATALOG)),
    sh.ALTER_COLUMN: (None, _column_change),
    sh.SET_LOGGED: (ACCESS_EXCLUSIVE, REWRITES),
    sh.SET_TABLESPACE: (ACCESS_EXCLUSIVE, REWRITES),
    sh.SET_STORAGE: (SHARE_UPDATE_EXCLUSIVE, CATALOG),
}

_RANK = {mode: rank for rank, mode in enumerate(
    (ACCESS_SHARE, ROW_SHARE, ROW_EXCLUSIVE, SHARE_UPDATE_EXCLUSIVE, SHARE, SHARE_ROW_EXCLUSIVE, EXCLUSIVE, ACCESS_EXCLUSIVE))}
EFFECT_COST = {effect: rank for rank, effect in enumerate((CATALOG, READS, MOVES, SCANS, REWRITES))}
