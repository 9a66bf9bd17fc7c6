"""Which lock a PostgreSQL statement takes on which table, and what it does to the rows.

The table of lock levels follows PostgreSQL's documentation ("Explicit
Locking", and each command's page): e.g. a foreign key takes SHARE ROW
EXCLUSIVE on the table it references, CREATE INDEX takes SHARE, most ALTER
TABLE forms take ACCESS EXCLUSIVE. Modes from SHARE up block INSERT, UPDATE
and DELETE (they conflict with ROW EXCLUSIVE); ACCESS EXCLUSIVE blocks
readers too. Used by the lint (a writer-blocking lock held while rows move)
and by `upgrade --dry-run` (analysis/impact.py).

Statements are read in the `code` form of analysis/sqltext (comments gone,
literals blanked); a batched backfill (runtime/batched.py) is a DO block,
read from its text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .sqltext import (
    NAME,
    PG_ALTER_TABLE,
    PG_CREATE_INDEX,
    PG_CREATE_TABLE,
    PG_DROP_INDEX,
    PG_DROP_TABLE,
    PG_TRUNCATE,
    QNAME,
    bare,
    has_word,
    top_level_parts,
)

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

    def on(self, table: str) -> list[TableLock]:
        return [lock for lock in self.locks if lock.table == table]


_REFERENCES = re.compile(rf"\bREFERENCES (?P<table>{QNAME})", _I)
_FROM = re.compile(rf"\b(?:FROM|JOIN) (?:ONLY )?(?P<table>{QNAME})", _I)
_CREATE_TABLE_AS = re.compile(rf"^CREATE (?:\w+ )*TABLE (?:IF NOT EXISTS )?{QNAME}(?: \([^)]*\))? AS\b", _I)
_INSERT = re.compile(rf"^(?:WITH .* )?INSERT INTO (?P<table>{QNAME})", _I)
_UPDATE = re.compile(rf"^(?:WITH .* )?UPDATE (?:ONLY )?(?P<table>{QNAME})", _I)
_DELETE = re.compile(rf"^(?:WITH .* )?DELETE FROM (?:ONLY )?(?P<table>{QNAME})", _I)
_COMMENT = re.compile(rf"^COMMENT ON (?:TABLE|COLUMN) (?P<object>{QNAME})", _I)
_LOCK = re.compile(rf"^LOCK (?:TABLE )?(?:ONLY )?(?P<table>{QNAME})(?: IN (?P<mode>[A-Z ]+?) MODE)?", _I)
_VACUUM_FULL = re.compile(rf"^VACUUM \(?FULL\b.*?(?P<table>{QNAME})?$", _I)
_CLUSTER = re.compile(rf"^CLUSTER (?:VERBOSE )?(?P<table>{QNAME})", _I)
_REFRESH = re.compile(rf"^REFRESH MATERIALIZED VIEW (?P<concurrently>CONCURRENTLY )?(?P<view>{QNAME})", _I)
_DROP_VIEW = re.compile(rf"^DROP (?:MATERIALIZED )?VIEW (?:IF EXISTS )?(?P<view>{QNAME})", _I)
_SELECT = re.compile(r"^(?:WITH .* )?SELECT\b", _I)
_DO = re.compile(r"^DO\b", _I)
# Inside a batched backfill's DO block (its body is a literal to the splitter, so read from the text).
_BODY_WRITE = re.compile(rf"\b(?:INSERT INTO|UPDATE|DELETE FROM) (?P<table>{QNAME})", _I)

_VOLATILE_DEFAULT = re.compile(r"\bDEFAULT\b.*\b(?:random|clock_timestamp|gen_random_uuid|uuid_generate_v\w*|nextval)\s*\(", _I)


def statement_locks(code: str, text: str = "") -> StatementLocks | None:
    """The locks of one statement; None for what takes no table lock (SET, BEGIN, COMMIT, ...)."""
    if m := PG_CREATE_TABLE.match(code):
        new = bare(m["table"])
        referenced = {bare(r["table"]) for r in _REFERENCES.finditer(code)} - {new}
        locks = [TableLock(table, SHARE_ROW_EXCLUSIVE, CATALOG) for table in sorted(referenced)]
        if _CREATE_TABLE_AS.match(code):
            locks += [TableLock(bare(s["table"]), ACCESS_SHARE, READS) for s in _FROM.finditer(code)]
            return StatementLocks("CREATE TABLE AS", tuple(locks), moves_rows=True)
        return StatementLocks("CREATE TABLE", tuple(locks))
    if m := PG_CREATE_INDEX.match(code):
        if m["concurrently"]:
            return StatementLocks("CREATE INDEX CONCURRENTLY", (TableLock(bare(m["table"]), SHARE_UPDATE_EXCLUSIVE, SCANS),))
        return StatementLocks("CREATE INDEX", (TableLock(bare(m["table"]), SHARE, SCANS),))
    if m := PG_DROP_INDEX.match(code):
        return StatementLocks("DROP INDEX CONCURRENTLY" if m["concurrently"] else "DROP INDEX", ())
    if m := PG_ALTER_TABLE.match(code):
        return _alter_table(bare(m["table"]), m["actions"])
    if m := PG_DROP_TABLE.match(code):
        return StatementLocks("DROP TABLE", tuple(
            TableLock(bare(part), ACCESS_EXCLUSIVE, CATALOG) for part in top_level_parts(m["tables"])))
    if _DO.match(code) and (writes := list(_BODY_WRITE.finditer(text))):
        target = bare(writes[0]["table"])
        read = [bare(s["table"]) for s in _FROM.finditer(text) if bare(s["table"]) not in ("batch", "moved", target)]
        locks = [TableLock(target, ROW_EXCLUSIVE, MOVES, batched=True)]
        locks += [TableLock(table, ROW_SHARE, READS, batched=True) for table in dict.fromkeys(read)]
        return StatementLocks("batched backfill (DO block)", tuple(locks), moves_rows=True, batched=True)
    for pattern, kind in ((_INSERT, "INSERT"), (_UPDATE, "UPDATE"), (_DELETE, "DELETE")):
        if m := pattern.match(code):
            target = bare(m["table"])
            if target == "alembic_version":
                return StatementLocks(kind, (TableLock(target, ROW_EXCLUSIVE, CATALOG),))
            if kind == "INSERT" and not _FROM.search(code):
                return StatementLocks("INSERT ... VALUES", (TableLock(target, ROW_EXCLUSIVE, CATALOG),))
            read = [bare(s["table"]) for s in _FROM.finditer(code) if bare(s["table"]) != target]
            locks = [TableLock(target, ROW_EXCLUSIVE, MOVES)]
            locks += [TableLock(table, ACCESS_SHARE, READS) for table in dict.fromkeys(read)]
            return StatementLocks(f"{kind} ... SELECT" if kind == "INSERT" else kind, tuple(locks), moves_rows=True)
    if m := PG_TRUNCATE.match(code):
        return StatementLocks("TRUNCATE", (TableLock(bare(m["table"]), ACCESS_EXCLUSIVE, CATALOG),))
    if m := _COMMENT.match(code):
        table = bare(m["object"]) if code[11:16].upper() == "TABLE" else bare(".".join(m["object"].split(".")[:-1]) or m["object"])
        return StatementLocks("COMMENT", (TableLock(table, SHARE_UPDATE_EXCLUSIVE, CATALOG),))
    if m := _LOCK.match(code):
        mode = (m["mode"] or ACCESS_EXCLUSIVE).upper()
        return StatementLocks("LOCK TABLE", (TableLock(bare(m["table"]), mode, CATALOG),))
    if (m := _VACUUM_FULL.match(code)) and m["table"]:
        return StatementLocks("VACUUM FULL", (TableLock(bare(m["table"]), ACCESS_EXCLUSIVE, REWRITES),))
    if m := _CLUSTER.match(code):
        return StatementLocks("CLUSTER", (TableLock(bare(m["table"]), ACCESS_EXCLUSIVE, REWRITES),))
    if m := _REFRESH.match(code):
        mode = EXCLUSIVE if m["concurrently"] else ACCESS_EXCLUSIVE
        return StatementLocks("REFRESH MATERIALIZED VIEW", (TableLock(bare(m["view"]), mode, REWRITES),))
    if m := _DROP_VIEW.match(code):
        return StatementLocks("DROP VIEW", (TableLock(bare(m["view"]), ACCESS_EXCLUSIVE, CATALOG),))
    if _SELECT.match(code) and _FROM.search(code):
        return StatementLocks("SELECT", tuple(TableLock(bare(s["table"]), ACCESS_SHARE, READS) for s in _FROM.finditer(code)))
    return None


def _alter_table(table: str, actions: str) -> StatementLocks:
    """ALTER TABLE: the strongest lock any of its actions needs, and the most costly effect."""
    locks: list[TableLock] = []
    for action in top_level_parts(actions):
        locks += _alter_action(table, action)
    strongest: dict[str, TableLock] = {}
    for lock in locks:
        held = strongest.get(lock.table)
        if held is None or (_RANK[lock.mode], _COST[lock.effect]) > (_RANK[held.mode], _COST[held.effect]):
            strongest[lock.table] = TableLock(
                lock.table, max(lock.mode, held.mode if held else lock.mode, key=_RANK.get),
                max(lock.effect, held.effect if held else lock.effect, key=_COST.get))
    return StatementLocks("ALTER TABLE", tuple(strongest.values()))


def _alter_action(table: str, action: str) -> list[TableLock]:
    upper = action.upper()
    not_valid = has_word(action, "NOT VALID")
    if upper.startswith("VALIDATE CONSTRAINT"):
        return [TableLock(table, SHARE_UPDATE_EXCLUSIVE, SCANS)]
    if re.match(r"^ADD (?:CONSTRAINT \S+ )?FOREIGN KEY\b", action, _I) or (
            upper.startswith("ADD") and "REFERENCES" in upper and not re.match(r"^ADD (?:CONSTRAINT \S+ )?CHECK\b", action, _I)):
        effect = CATALOG if not_valid else SCANS
        referenced = [bare(r["table"]) for r in _REFERENCES.finditer(action)]
        return [TableLock(table, SHARE_ROW_EXCLUSIVE, effect)] + [
            TableLock(other, SHARE_ROW_EXCLUSIVE, effect) for other in referenced if other != table]
    if re.match(r"^ADD (?:CONSTRAINT \S+ )?CHECK\b", action, _I):
        return [TableLock(table, ACCESS_EXCLUSIVE, CATALOG if not_valid else SCANS)]
    if re.match(r"^ADD (?:CONSTRAINT \S+ )?(?:UNIQUE|PRIMARY KEY|EXCLUDE)\b", action, _I):
        return [TableLock(table, ACCESS_EXCLUSIVE, CATALOG if "USING INDEX" in upper else SCANS)]
    if re.match(r"^ADD\b", action, _I):  # a column
        rewrites = _VOLATILE_DEFAULT.search(action) or re.search(r"\b(?:GENERATED .* STORED|AS IDENTITY|SERIAL\w*)\b", action, _I)
        return [TableLock(table, ACCESS_EXCLUSIVE, REWRITES if rewrites else CATALOG)]
    if re.match(rf"^ALTER (?:COLUMN )?{NAME} (?:SET DATA )?TYPE\b", action, _I):
        return [TableLock(table, ACCESS_EXCLUSIVE, REWRITES)]
    if re.match(rf"^ALTER (?:COLUMN )?{NAME} SET NOT NULL\b", action, _I):
        return [TableLock(table, ACCESS_EXCLUSIVE, SCANS)]
    if re.match(r"^SET (?:LOGGED|UNLOGGED|TABLESPACE|ACCESS METHOD)\b", action, _I):
        return [TableLock(table, ACCESS_EXCLUSIVE, REWRITES)]
    if re.match(r"^(?:SET STATISTICS|SET \(|RESET \(|CLUSTER ON|SET WITHOUT CLUSTER)", action, _I) or \
            re.match(rf"^ALTER (?:COLUMN )?{NAME} SET STATISTICS\b", action, _I):
        return [TableLock(table, SHARE_UPDATE_EXCLUSIVE, CATALOG)]
    return [TableLock(table, ACCESS_EXCLUSIVE, CATALOG)]  # DROP/RENAME/SET DEFAULT/...: catalog only


_RANK = {mode: rank for rank, mode in enumerate(
    (ACCESS_SHARE, ROW_SHARE, ROW_EXCLUSIVE, SHARE_UPDATE_EXCLUSIVE, SHARE, SHARE_ROW_EXCLUSIVE, EXCLUSIVE, ACCESS_EXCLUSIVE))}
_COST = {effect: rank for rank, effect in enumerate((CATALOG, READS, MOVES, SCANS, REWRITES))}
