"""luna-db's own PostgreSQL rules: what locks a busy table, rewrites it, or breaks the running release.

They run beside squawk and cover what squawk is silent on (VACUUM FULL,
CLUSTER, LOCK TABLE, SET LOGGED/UNLOGGED, plain TRUNCATE, serial columns,
non-concurrent REFRESH, unbounded UPDATE/DELETE, ...) as well as the hazards
squawk knows, so that the lint stands on its own rules where squawk's parser
gives up. Where a rule means what a squawk rule means it has squawk's name,
so a hazard found by both is reported once and accepted by one name.

Rules read `Statement.code` (literals blanked, comments gone) case-blind, and
take `ALTER TABLE [IF EXISTS] [ONLY] schema."name"` in every spelling.
"""

from __future__ import annotations

import re

from .rule import Hit, ScriptState
from .sqltext import (
    NAME,
    PG_ALTER_TABLE,
    PG_CREATE_INDEX,
    PG_CREATE_TABLE,
    PG_DROP_INDEX,
    PG_DROP_TABLE,
    PG_TRUNCATE,
    QNAME,
    Statement,
    bare,
    has_word,
    outside_parentheses,
    top_level_parts,
)

IGNORE_CASE = re.I

# Functions whose value changes per row: as a column default they make
# PostgreSQL 11+ fill every row, a rewrite under ACCESS EXCLUSIVE.
VOLATILE_FUNCTIONS = {
    "random", "clock_timestamp", "timeofday", "gen_random_uuid", "uuid_generate_v1", "uuid_generate_v1mc",
    "uuid_generate_v4", "uuidv4", "uuidv7", "nextval", "txid_current", "pg_current_xact_id", "setseed",
}
# Defaults known to be evaluated once (stable or immutable): no rewrite.
STABLE_FUNCTIONS = {
    "now", "timezone", "statement_timestamp", "transaction_timestamp", "current_setting", "lower", "upper",
    "coalesce", "concat", "length", "make_interval", "to_timestamp", "to_date", "jsonb_build_object",
    "json_build_object", "jsonb_build_array", "array", "interval", "date_trunc", "nullif", "greatest", "least",
}
SERIAL_TYPES = re.compile(r"^(?:small|big)?serial\d?$|^serial[248]$", IGNORE_CASE)

_CREATE_VIEW = re.compile(rf"^CREATE (?:OR REPLACE )?(?:TEMP |TEMPORARY )?(?:MATERIALIZED )?VIEW (?:IF NOT EXISTS )?(?P<view>{QNAME})", IGNORE_CASE)
_REINDEX = re.compile(rf"^REINDEX (?:\([^)]*\) )?(?:TABLE|INDEX|SCHEMA|DATABASE|SYSTEM) (?P<concurrently>CONCURRENTLY )?(?P<object>{QNAME})?", IGNORE_CASE)
_VACUUM_FULL = re.compile(rf"^VACUUM (?:FULL\b|\((?=[^)]*\bFULL\b(?! (?:FALSE|OFF|0)\b))[^)]*\))(?: (?:FREEZE |VERBOSE |ANALYZE )*(?P<table>{QNAME}))?", IGNORE_CASE)
_CLUSTER = re.compile(rf"^CLUSTER\b(?: VERBOSE)?(?: (?P<table>{QNAME}))?", IGNORE_CASE)
_LOCK = re.compile(rf"^LOCK (?:TABLE )?(?:ONLY )?(?P<table>{QNAME})", IGNORE_CASE)
_REFRESH = re.compile(rf"^REFRESH MATERIALIZED VIEW (?P<concurrently>CONCURRENTLY )?(?P<view>{QNAME})", IGNORE_CASE)
_UPDATE = re.compile(rf"^UPDATE (?:ONLY )?(?P<table>{QNAME}) ", IGNORE_CASE)
_DELETE = re.compile(rf"^DELETE FROM (?:ONLY )?(?P<table>{QNAME})", IGNORE_CASE)
_DROP_SCHEMA = re.compile(rf"^DROP (?P<what>SCHEMA|DATABASE) (?:IF EXISTS )?(?P<object>{QNAME})", IGNORE_CASE)
_ADD_COLUMN = re.compile(rf"^ADD (?:COLUMN )?(?:IF NOT EXISTS )?(?P<column>{NAME}) (?P<definition>.*)$", IGNORE_CASE)
_ADD_CONSTRAINT = re.compile(rf"^ADD (?:CONSTRAINT (?P<name>{NAME}) )?(?P<kind>CHECK|UNIQUE|PRIMARY KEY|FOREIGN KEY|EXCLUDE)\b", IGNORE_CASE)
_ALTER_COLUMN = re.compile(rf"^ALTER (?:COLUMN )?(?P<column>{NAME}) (?P<change>.*)$", IGNORE_CASE)
_DROP_COLUMN = re.compile(rf"^DROP (?:COLUMN )?(?:IF EXISTS )?(?P<column>{NAME})(?: CASCADE| RESTRICT)?$", IGNORE_CASE)
_RENAME = re.compile(rf"^RENAME (?:(?P<constraint>CONSTRAINT )|COLUMN )?(?:(?P<old>{NAME}) )?TO (?P<new>{NAME})$", IGNORE_CASE)
_IS_NOT_NULL = re.compile(rf"CHECK \( ?\(? ?(?P<column>{NAME}) IS NOT NULL ?\)? ?\)", IGNORE_CASE)
_VALIDATE = re.compile(rf"^VALIDATE CONSTRAINT (?P<name>{NAME})", IGNORE_CASE)

MESSAGES = {
    "require-concurrent-index-creation": "CREATE INDEX blocks writes to the table while it builds; use CREATE INDEX CONCURRENTLY outside a transaction",
    "require-concurrent-index-deletion": "DROP INDEX takes an ACCESS EXCLUSIVE lock on the table; use DROP INDEX CONCURRENTLY outside a transaction",
    "require-concurrent-reindex": "REINDEX blocks writes (and reads that use the index) while it builds; use REINDEX ... CONCURRENTLY",
    "ban-concurrent-index-creation-in-transaction": "CREATE INDEX CONCURRENTLY cannot run inside a transaction block",
    "adding-required-field": "adding a NOT NULL column without a default fails on a table with rows, and the running release does not fill it",
    "adding-field-with-default": "a volatile default (or a generated or identity column) fills every row: a table rewrite under ACCESS EXCLUSIVE",
    "adding-serial-field": "a serial column fills every row from its sequence: a table rewrite under ACCESS EXCLUSIVE",
    "adding-not-nullable-field": "SET NOT NULL scans the whole table under ACCESS EXCLUSIVE; add a CHECK (col IS NOT NULL) NOT VALID, validate it, then SET NOT NULL",
    "changing-column-type": "changing a column's type rewrites the table under ACCESS EXCLUSIVE and breaks the release that reads the old type",
    "constraint-missing-not-valid": "adding a constraint scans the table under a lock that blocks writes; add it NOT VALID, then VALIDATE CONSTRAINT in a later transaction",
    "adding-foreign-key-constraint": "a foreign key scans the table and blocks writes on both tables; add it NOT VALID, then VALIDATE CONSTRAINT",
    "disallowed-unique-constraint": "a UNIQUE constraint builds its index under ACCESS EXCLUSIVE; build a unique index CONCURRENTLY, then ADD CONSTRAINT ... UNIQUE USING INDEX",
    "adding-primary-key-constraint": "a primary key builds its index under ACCESS EXCLUSIVE; build a unique index CONCURRENTLY, then ADD PRIMARY KEY USING INDEX",
    "adding-exclusion-constraint": "an exclusion constraint builds its index under ACCESS EXCLUSIVE, blocking reads and writes",
    "validate-constraint-in-transaction": "VALIDATE CONSTRAINT in the transaction that added it NOT VALID keeps the ACCESS EXCLUSIVE lock for the whole scan; commit in between",
    "ban-drop-table": "dropping a table breaks the running release that still reads it",
    "ban-drop-default": "dropping a default breaks the running release's inserts that leave the column out",
    "ban-drop-column": "dropping a column breaks the running release that still reads it",
    "renaming-table": "renaming a table breaks the running release that reads it under the old name",
    "renaming-column": "renaming a column breaks the running release that reads it under the old name",
    "ban-truncate": "TRUNCATE takes an ACCESS EXCLUSIVE lock and deletes every row",
    "ban-vacuum-full": "VACUUM FULL rewrites the table under ACCESS EXCLUSIVE, blocking reads and writes; use pg_repack or plain VACUUM",
    "ban-cluster": "CLUSTER rewrites the table under ACCESS EXCLUSIVE, blocking reads and writes; use pg_repack",
    "ban-lock-table": "an explicit LOCK TABLE queues every reader and writer behind the migration",
    "ban-set-logged": "SET LOGGED/UNLOGGED rewrites the table under ACCESS EXCLUSIVE",
    "ban-set-tablespace": "SET TABLESPACE / SET ACCESS METHOD copies the whole table under ACCESS EXCLUSIVE",
    "require-concurrent-refresh": "REFRESH MATERIALIZED VIEW blocks every reader of the view; use REFRESH MATERIALIZED VIEW CONCURRENTLY",
    "ban-unbounded-update": "an UPDATE or DELETE without WHERE locks every row of a busy table for the whole transaction; backfill in batches",
    "ban-drop-schema": "dropping a schema drops everything the running release reads in it",
    "ban-drop-database": "dropping a database breaks everything that uses it",
}


def pg_hits(statement: Statement, state: ScriptState) -> list[Hit]:
    """The findings of one statement; updates `state` with what it creates."""
    code = statement.code
    hits: list[Hit] = []

    def hit(rule: str, obj: str | None) -> None:
        hits.append(Hit(rule, MESSAGES[rule], obj, statement))

    if re.match(r"^(?:BEGIN|START TRANSACTION)\b", code, IGNORE_CASE) and not re.match(r"^BEGIN ATOMIC", code, IGNORE_CASE):
        state.in_transaction, state.not_valid = True, set()
    elif re.match(r"^(?:COMMIT|END|ROLLBACK|ABORT)\b", code, IGNORE_CASE):
        state.in_transaction, state.not_valid = False, set()
    elif m := PG_CREATE_TABLE.match(code):
        state.tables.add(bare(m["table"]))
    elif m := _CREATE_VIEW.match(code):
        state.views.add(bare(m["view"]))
        if has_word(code[:60], "MATERIALIZED"):  # a new one has rows no one reads yet: index it freely
            state.tables.add(bare(m["view"]))
    elif m := PG_CREATE_INDEX.match(code):
        table = bare(m["table"])
        index = bare(m["index"]) if m["index"] else None
        if index:
            state.index_table[index] = table
        if m["concurrently"] and state.in_transaction:
            hit("ban-concurrent-index-creation-in-transaction", f"{table}.{index}" if index else table)
        if not m["concurrently"] and not state.created(table):
            hit("require-concurrent-index-creation", f"{table}.{index}" if index else table)
    elif m := PG_DROP_INDEX.match(code):
        if not m["concurrently"]:
            for index in (bare(part) for part in top_level_parts(m["indexes"])):
                if not state.created(state.index_table.get(index)):
                    table = state.index_table.get(index)
                    hit("require-concurrent-index-deletion", f"{table}.{index}" if table else index)
    elif m := _REINDEX.match(code):
        if not m["concurrently"]:
            hit("require-concurrent-reindex", bare(m["object"]) if m["object"] else None)
    elif m := PG_DROP_TABLE.match(code):
        for table in (bare(part) for part in top_level_parts(m["tables"])):
            if not state.created(table):
                hit("ban-drop-table", table)
    elif m := PG_TRUNCATE.match(code):
        if not state.created(bare(m["table"])):
            hit("ban-truncate", bare(m["table"]))
    elif m := _VACUUM_FULL.match(code):
        hit("ban-vacuum-full", bare(m["table"]) if m["table"] else None)
    elif m := _CLUSTER.match(code):
        if not state.created(m["table"] and bare(m["table"])):
            hit("ban-cluster", bare(m["table"]) if m["table"] else None)
    elif m := _LOCK.match(code):
        if not state.created(bare(m["table"])):
            hit("ban-lock-table", bare(m["table"]))
    elif m := _REFRESH.match(code):
        if not m["concurrently"] and bare(m["view"]) not in state.views:
            hit("require-concurrent-refresh", bare(m["view"]))
    elif (m := _UPDATE.match(code) or _DELETE.match(code)):
        table = bare(m["table"])
        if not has_word(outside_parentheses(code), "WHERE") and not state.created(table) \
                and table != "alembic_version":
            hit("ban-unbounded-update", table)
    elif m := _DROP_SCHEMA.match(code):
        hit(f"ban-drop-{m['what'].lower()}", bare(m["object"]))
    elif m := PG_ALTER_TABLE.match(code):
        table = bare(m["table"])
        for action in top_level_parts(m["actions"]):
            _alter_table_action(table, action, state, hit)
    return hits


def _alter_table_action(table: str, action: str, state: ScriptState, hit) -> None:
    new_table = state.created(table)
    if m := _ADD_CONSTRAINT.match(action):
        name = bare(m["name"]) if m["name"] else None
        obj = f"{table}.{name}" if name else table
        kind = m["kind"].upper()
        not_valid = has_word(action, "NOT VALID")
        if not_valid and name:
            state.not_valid.add(name)
        if kind == "CHECK" and (column := _IS_NOT_NULL.search(action)):
            proven = f"{table}.{bare(column['column'])}"
            if name:
                state.not_null_checks[name] = proven
            if not not_valid:
                state.proven_not_null.add(proven)
        if new_table:
            return
        if kind in ("CHECK", "FOREIGN KEY") and not not_valid:
            hit("constraint-missing-not-valid" if kind == "CHECK" else "adding-foreign-key-constraint", obj)
        elif kind in ("UNIQUE", "PRIMARY KEY") and not has_word(action, "USING INDEX"):
            hit("disallowed-unique-constraint" if kind == "UNIQUE" else "adding-primary-key-constraint", obj)
        elif kind == "EXCLUDE":
            hit("adding-exclusion-constraint", obj)
    elif m := _ADD_COLUMN.match(action):
        column = bare(m["column"])
        state.columns.add(f"{table}.{column}")
        if not new_table:
            _added_column(f"{table}.{column}", m["definition"], hit)
    elif m := _ALTER_COLUMN.match(action):
        change, obj = m["change"], f"{table}.{bare(m['column'])}"
        if new_table or obj in state.columns:
            return
        if re.match(r"^(?:SET DATA )?TYPE\b", change, IGNORE_CASE):
            hit("changing-column-type", obj)
        elif re.match(r"^SET NOT NULL\b", change, IGNORE_CASE) and obj not in state.proven_not_null:
            hit("adding-not-nullable-field", obj)
        elif re.match(r"^DROP DEFAULT$", change, IGNORE_CASE):
            hit("ban-drop-default", obj)
    elif m := _DROP_COLUMN.match(action):
        obj = f"{table}.{bare(m['column'])}"
        if not re.match(r"^DROP (?:CONSTRAINT|NOT NULL|DEFAULT|EXPRESSION|IDENTITY)\b", action, IGNORE_CASE) \
                and not new_table and obj not in state.columns:
            hit("ban-drop-column", obj)
    elif m := _RENAME.match(action):
        if m["constraint"] or new_table:
            return
        if m["old"]:
            hit("renaming-column", f"{table}.{bare(m['old'])}")
        else:
            hit("renaming-table", table)
    elif m := _VALIDATE.match(action):
        if bare(m["name"]) in state.not_null_checks:
            state.proven_not_null.add(state.not_null_checks[bare(m["name"])])
        if state.in_transaction and bare(m["name"]) in state.not_valid:
            hit("validate-constraint-in-transaction", f"{table}.{bare(m['name'])}")
    elif re.match(r"^SET (?:LOGGED|UNLOGGED)$", action, IGNORE_CASE) and not new_table:
        hit("ban-set-logged", table)
    elif re.match(r"^SET (?:TABLESPACE|ACCESS METHOD)\b", action, IGNORE_CASE) and not new_table:
        hit("ban-set-tablespace", table)


def _added_column(obj: str, definition: str, hit) -> None:
    type_name = definition.split(" ", 1)[0].split("(", 1)[0]
    default = re.split(r"\bDEFAULT\b", definition, maxsplit=1, flags=IGNORE_CASE)
    functions = {name.lower() for name in re.findall(r"([\w.]+)\s*\(", default[1])} if len(default) > 1 else set()
    if SERIAL_TYPES.match(type_name):
        hit("adding-serial-field", obj)
    elif has_word(definition, "GENERATED") and (has_word(definition, "STORED") or has_word(definition, "AS IDENTITY")):
        hit("adding-field-with-default", obj)
    elif {f.split(".")[-1] for f in functions} & VOLATILE_FUNCTIONS:
        hit("adding-field-with-default", obj)
    elif has_word(definition, "NOT NULL") and len(default) == 1 and not has_word(definition, "GENERATED"):
        hit("adding-required-field", obj)
    if re.search(r"\bUNIQUE\b", definition, IGNORE_CASE):
        hit("disallowed-unique-constraint", obj)
    if has_word(definition, "PRIMARY KEY"):
        hit("adding-primary-key-constraint", obj)
    if re.search(r"\bREFERENCES\b", definition, IGNORE_CASE):
        hit("adding-foreign-key-constraint", obj)


def default_is_stable(definition: str) -> bool:
    """Whether a column definition's DEFAULT is evaluated once (no rewrite on PostgreSQL 11+)."""
    parts = re.split(r"\bDEFAULT\b", definition, maxsplit=1, flags=IGNORE_CASE)
    if len(parts) == 1 or has_word(definition, "GENERATED"):
        return False
    functions = {name.lower().split(".")[-1] for name in re.findall(r"([\w.]+)\s*\(", parts[1])}
    return functions <= STABLE_FUNCTIONS


def added_column_definition(code: str) -> str | None:
    """The column definition of an ALTER TABLE ... ADD COLUMN with a single action."""
    m = PG_ALTER_TABLE.match(code)
    actions = top_level_parts(m["actions"]) if m else []
    if len(actions) != 1 or _ADD_CONSTRAINT.match(actions[0]):
        return None
    column = _ADD_COLUMN.match(actions[0])
    return column["definition"] if column else None


def target_table(code: str, state: ScriptState) -> str | None:
    """The table a statement acts on, to exempt tables created earlier in the script."""
    for pattern in (PG_ALTER_TABLE, PG_CREATE_INDEX, PG_TRUNCATE, _LOCK, _UPDATE, _DELETE, _CLUSTER, _VACUUM_FULL):
        m = pattern.match(code)
        if m and m.groupdict().get("table"):
            return bare(m["table"])
    if m := PG_DROP_TABLE.match(code):
        tables = [bare(part) for part in top_level_parts(m["tables"])]
        return tables[0] if len(tables) == 1 else None
    if m := PG_DROP_INDEX.match(code):
        indexes = [bare(part) for part in top_level_parts(m["indexes"])]
        return state.index_table.get(indexes[0]) if len(indexes) == 1 else None
    return None
