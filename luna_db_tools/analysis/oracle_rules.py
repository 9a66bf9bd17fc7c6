"""luna-db's Oracle rules, in the spirit of the PostgreSQL ones (no squawk for Oracle).

Oracle locks differently: an index build without ONLINE holds a DML lock on
the table for the whole build; ALTER TABLE MOVE without ONLINE blocks writes
and leaves the indexes UNUSABLE; DROP COLUMN rewrites every block under an
exclusive lock (SET UNUSED is instant but breaks the running release just the
same); and before 12c a nullable column added with a DEFAULT is written into
every row (11.2 does it only for NOT NULL columns). Backport 3 supports 11.2.
"""

from __future__ import annotations

import re

from .rule import Hit, ScriptState
from .sqltext import NAME, QNAME, Statement, bare, has_word, outside_parentheses, top_level_parts

IGNORE_CASE = re.I

_CREATE_TABLE = re.compile(rf"^CREATE (?:GLOBAL TEMPORARY |PRIVATE TEMPORARY )?TABLE (?P<table>{QNAME})", IGNORE_CASE)
_CREATE_VIEW = re.compile(rf"^CREATE (?:OR REPLACE )?(?:(?:NO )?FORCE )?(?:MATERIALIZED )?VIEW (?P<view>{QNAME})", IGNORE_CASE)
_CREATE_INDEX = re.compile(rf"^CREATE (?:UNIQUE |BITMAP )?INDEX (?P<index>{QNAME}) ON (?P<table>{QNAME})", IGNORE_CASE)
_REBUILD = re.compile(rf"^ALTER INDEX (?P<index>{QNAME}) REBUILD\b", IGNORE_CASE)
_DROP_TABLE = re.compile(rf"^DROP TABLE (?P<table>{QNAME})", IGNORE_CASE)
_TRUNCATE = re.compile(rf"^TRUNCATE TABLE (?P<table>{QNAME})", IGNORE_CASE)
_LOCK = re.compile(rf"^LOCK TABLE (?P<table>{QNAME})", IGNORE_CASE)
_RENAME_TABLE = re.compile(rf"^RENAME (?P<table>{NAME}) TO {NAME}$", IGNORE_CASE)
_UPDATE = re.compile(rf"^UPDATE (?P<table>{QNAME}) ", IGNORE_CASE)
_DELETE = re.compile(rf"^DELETE (?:FROM )?(?P<table>{QNAME})", IGNORE_CASE)
_ALTER_TABLE = re.compile(rf"^ALTER TABLE (?P<table>{QNAME}) (?P<action>.*)$", IGNORE_CASE)
_ADD_CONSTRAINT = re.compile(rf"^ADD (?:CONSTRAINT (?P<name>{NAME}) )?(?P<kind>CHECK|UNIQUE|PRIMARY KEY|FOREIGN KEY)\b", IGNORE_CASE)
_ADD = re.compile(r"^ADD (?:\((?P<list>.*)\)|(?P<one>.*))$", IGNORE_CASE)
_MODIFY = re.compile(r"^MODIFY (?:\((?P<list>.*)\)|(?P<one>.*))$", IGNORE_CASE)
_DROP_COLUMNS = re.compile(rf"^(?:DROP (?:COLUMN (?P<one>{NAME})|\((?P<list>[^)]*)\))|SET UNUSED (?:COLUMN (?P<unused>{NAME})|\((?P<unused_list>[^)]*)\)))", IGNORE_CASE)
_RENAME_COLUMN = re.compile(rf"^RENAME COLUMN (?P<old>{NAME}) TO {NAME}$", IGNORE_CASE)

MESSAGES = {
    "require-online-index-build": "an index build without ONLINE holds a DML lock on the table for the whole build; add ONLINE",
    "require-online-table-move": "ALTER TABLE MOVE without ONLINE blocks writes and leaves the table's indexes UNUSABLE; use MOVE ONLINE (12.2+)",
    "ban-drop-column": "dropping a column (or SET UNUSED) breaks the running release that still reads it; DROP COLUMN also rewrites every block",
    "ban-drop-unused-columns": "DROP UNUSED COLUMNS rewrites every block of the table under an exclusive lock",
    "ban-drop-table": "dropping a table breaks the running release that still reads it",
    "renaming-table": "renaming a table breaks the running release that reads it under the old name",
    "renaming-column": "renaming a column breaks the running release that reads it under the old name",
    "adding-required-field": "adding a NOT NULL column without a default fails on a table with rows (ORA-01758)",
    "adding-field-with-default": "before Oracle 12c a nullable column added with a DEFAULT is written into every row under a table lock",
    "adding-not-nullable-field": "MODIFY ... NOT NULL checks every row under a table lock; add a CHECK ... ENABLE NOVALIDATE, then validate",
    "constraint-missing-not-valid": "adding a constraint checks every row under a table lock; add it ENABLE NOVALIDATE, then ENABLE VALIDATE",
    "adding-foreign-key-constraint": "a foreign key checks every row under a table lock; add it ENABLE NOVALIDATE, then ENABLE VALIDATE",
    "disallowed-unique-constraint": "a UNIQUE constraint builds its index under a table lock; build the index ONLINE first and add the constraint USING INDEX",
    "adding-primary-key-constraint": "a primary key builds its index under a table lock; build the index ONLINE first and add the key USING INDEX",
    "ban-truncate": "TRUNCATE takes an exclusive lock and deletes every row (no undo)",
    "ban-lock-table": "an explicit LOCK TABLE queues every writer behind the migration",
    "ban-unbounded-update": "an UPDATE or DELETE without WHERE locks every row of a busy table until commit; backfill in batches",
}


def oracle_hits(statement: Statement, state: ScriptState) -> list[Hit]:
    code = statement.code
    hits: list[Hit] = []

    def hit(rule: str, obj: str | None) -> None:
        hits.append(Hit(rule, MESSAGES[rule], obj, statement))

    if m := _CREATE_TABLE.match(code):
        state.tables.add(bare(m["table"]))
    elif m := _CREATE_VIEW.match(code):
        state.views.add(bare(m["view"]))
    elif m := _CREATE_INDEX.match(code):
        table, index = bare(m["table"]), bare(m["index"])
        state.index_table[index] = table
        if not has_word(code, "ONLINE") and not state.created(table):
            hit("require-online-index-build", f"{table}.{index}")
    elif m := _REBUILD.match(code):
        if not has_word(code, "ONLINE") and not state.created(state.index_table.get(bare(m["index"]))):
            hit("require-online-index-build", bare(m["index"]))
    elif m := _DROP_TABLE.match(code):
        if not state.created(bare(m["table"])):
            hit("ban-drop-table", bare(m["table"]))
    elif m := _TRUNCATE.match(code):
        if not state.created(bare(m["table"])):
            hit("ban-truncate", bare(m["table"]))
    elif m := _LOCK.match(code):
        hit("ban-lock-table", bare(m["table"]))
    elif m := _RENAME_TABLE.match(code):
        if not state.created(bare(m["table"])):
            hit("renaming-table", bare(m["table"]))
    elif (m := _UPDATE.match(code) or _DELETE.match(code)):
        table = bare(m["table"])
        if not has_word(outside_parentheses(code), "WHERE") and not state.created(table) and table != "alembic_version":
            hit("ban-unbounded-update", table)
    elif m := _ALTER_TABLE.match(code):
        _alter_table(bare(m["table"]), m["action"], state, hit)
    return hits


def _alter_table(table: str, action: str, state: ScriptState, hit) -> None:
    if state.created(table):
        if m := _ADD.match(action):
            for column in top_level_parts(m["list"] or m["one"]):
                state.columns.add(f"{table}.{bare(column.split(' ', 1)[0])}")
        return
    if m := _ADD_CONSTRAINT.match(action):
        name = bare(m["name"]) if m["name"] else None
        obj = f"{table}.{name}" if name else table
        kind = m["kind"].upper()
        if kind in ("CHECK", "FOREIGN KEY") and not has_word(action, "NOVALIDATE"):
            hit("constraint-missing-not-valid" if kind == "CHECK" else "adding-foreign-key-constraint", obj)
        elif kind in ("UNIQUE", "PRIMARY KEY") and not has_word(action, "USING INDEX"):
            hit("disallowed-unique-constraint" if kind == "UNIQUE" else "adding-primary-key-constraint", obj)
    elif m := _ADD.match(action):
        for column in top_level_parts(m["list"] or m["one"]):
            name, _, definition = column.partition(" ")
            obj = f"{table}.{bare(name)}"
            state.columns.add(obj)
            has_default = has_word(definition, "DEFAULT")
            not_null = has_word(definition, "NOT NULL")
            if not_null and not has_default and not has_word(definition, "GENERATED"):
                hit("adding-required-field", obj)
            elif has_default and not not_null:
                hit("adding-field-with-default", obj)
    elif m := _MODIFY.match(action):
        for column in top_level_parts(m["list"] or m["one"]):
            if has_word(column, "NOT NULL") and not has_word(column, "NOVALIDATE"):
                hit("adding-not-nullable-field", f"{table}.{bare(column.split(' ', 1)[0])}")
    elif m := _DROP_COLUMNS.match(action):
        names = [m["one"] or m["unused"]] if (m["one"] or m["unused"]) else top_level_parts(m["list"] or m["unused_list"])
        for name in names:
            if f"{table}.{bare(name)}" not in state.columns:
                hit("ban-drop-column", f"{table}.{bare(name)}")
    elif re.match(r"^DROP UNUSED COLUMNS\b", action, IGNORE_CASE):
        hit("ban-drop-unused-columns", table)
    elif m := _RENAME_COLUMN.match(action):
        hit("renaming-column", f"{table}.{bare(m['old'])}")
    elif re.match(rf"^RENAME TO {NAME}$", action, IGNORE_CASE):
        hit("renaming-table", table)
    elif re.match(r"^MOVE\b", action, IGNORE_CASE) and not has_word(action, "ONLINE"):
        hit("require-online-table-move", table)
