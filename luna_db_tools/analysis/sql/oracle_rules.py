"""luna-db's Oracle rules, in the spirit of the PostgreSQL ones (no squawk for Oracle).

Oracle locks differently: an index build without ONLINE holds a DML lock on
the table for the whole build; ALTER TABLE MOVE without ONLINE blocks writes
and leaves the indexes UNUSABLE; DROP COLUMN rewrites every block under an
exclusive lock (SET UNUSED is instant but breaks the running release just the
same); and before 12c a nullable column added with a DEFAULT is written into
every row (11.2 does it only for NOT NULL columns). Backport 3 supports 11.2.

An Oracle ALTER TABLE is read as one action (the rest of the statement);
ADD, MODIFY and DROP take a column or a parenthesised list of them.
"""

from __future__ import annotations

from ..findings import Finding
from . import shapes as sh
from .classify import Action, Classified
from .rule import Registry, ScriptState, on_existing_table
from .sqltext import bare, has_word, top_level_parts

ORACLE = Registry("oracle")
statement_rule, action_rule = ORACLE.statement_rule, ORACLE.action_rule


@statement_rule("require-online-index-build", sh.CREATE_INDEX,
                "an index build without ONLINE holds a DML lock on the table for the whole build", "add ONLINE")
def _index_build(c: Classified, state: ScriptState):
    if not has_word(c.statement.code, "ONLINE") and not state.created(c.table):
        yield f"{c.table}.{bare(c.part('index'))}"


@statement_rule("require-online-index-build", sh.REBUILD_INDEX)
def _index_rebuild(c: Classified, state: ScriptState):
    index = bare(c.part("index"))
    if not has_word(c.statement.code, "ONLINE") and not state.created(state.index_table.get(index)):
        yield index


statement_rule("ban-drop-table", sh.DROP_TABLE, "dropping a table breaks the running release that still reads it",
               "stop using it in a release first (expand/contract), then drop it")(
    on_existing_table)
statement_rule("ban-truncate", sh.TRUNCATE, "TRUNCATE takes an exclusive lock and deletes every row (no undo)",
               "DELETE in batches, or accept it with the reason the rows may go")(
    on_existing_table)
statement_rule("renaming-table", sh.RENAME_TABLE,
               "renaming a table breaks the running release that reads it under the old name",
               "create the new table (or a view under the old name), switch readers, then drop the old one")(on_existing_table)
statement_rule("ban-lock-table", sh.LOCK, "an explicit LOCK TABLE queues every writer behind the migration",
               "leave the locking to the statements that need it, under a short ddl_lock_timeout")(
    lambda c, state: [c.table])


@statement_rule("ban-unbounded-update", (sh.UPDATE, sh.DELETE),
                "an UPDATE or DELETE without WHERE locks every row of a busy table until commit", "backfill in batches")
def _unbounded_update(c: Classified, state: ScriptState):
    if c.unbounded and not state.created(c.table) and c.table != "alembic_version":
        yield c.table


# --- ALTER TABLE (of a table the script did not create) ---------------------------------

def _columns(action: Action) -> list[str]:
    """The column clauses of an ADD, MODIFY, DROP or SET UNUSED: one, or a parenthesised list."""
    m = action.match
    single = m.groupdict().get("one") or m.groupdict().get("unused")
    if single:
        return [single]
    return top_level_parts(m.groupdict().get("list") or m.groupdict().get("unused_list") or "")


def _constraint_rule(name: str, kinds: tuple[str, ...], unless: str, problem: str, fix: str):
    @action_rule(name, sh.ADD_CONSTRAINT, problem, fix)
    def check(table: str, action: Action, state: ScriptState):
        m = action.match
        if m["kind"].upper() in kinds and not has_word(action.text, unless):
            yield f"{table}.{bare(m['name'])}" if m["name"] else table
    return check


_constraint_rule("constraint-missing-not-valid", ("CHECK",), "NOVALIDATE",
                 "adding a constraint checks every row under a table lock", "add it ENABLE NOVALIDATE, then ENABLE VALIDATE")
_constraint_rule("adding-foreign-key-constraint", ("FOREIGN KEY",), "NOVALIDATE",
                 "a foreign key checks every row under a table lock", "add it ENABLE NOVALIDATE, then ENABLE VALIDATE")
_constraint_rule("disallowed-unique-constraint", ("UNIQUE",), "USING INDEX",
                 "a UNIQUE constraint builds its index under a table lock",
                 "build the index ONLINE first and add the constraint USING INDEX")
_constraint_rule("adding-primary-key-constraint", ("PRIMARY KEY",), "USING INDEX",
                 "a primary key builds its index under a table lock",
                 "build the index ONLINE first and add the key USING INDEX")


def _added(action: Action) -> list[tuple[str, str]]:
    """(column, definition) of each column an ADD adds."""
    return [(bare(name), definition) for name, _, definition in (c.partition(" ") for c in _columns(action))]


@action_rule("adding-required-field", sh.ADD_COLUMN,
             "adding a NOT NULL column without a default fails on a table with rows (ORA-01758)",
             "add it nullable (or with a DEFAULT), backfill, then MODIFY ... NOT NULL")
def _required(table: str, action: Action, state: ScriptState):
    for column, definition in _added(action):
        if has_word(definition, "NOT NULL") and not has_word(definition, "DEFAULT") \
                and not has_word(definition, "GENERATED"):
            yield f"{table}.{column}"


@action_rule("adding-field-with-default", sh.ADD_COLUMN,
             "before Oracle 12c a nullable column added with a DEFAULT is written into every row under a table lock",
             "on 11g add it without the DEFAULT, backfill in batches, then set the DEFAULT")
def _with_default(table: str, action: Action, state: ScriptState):
    for column, definition in _added(action):
        if has_word(definition, "DEFAULT") and not has_word(definition, "NOT NULL"):
            yield f"{table}.{column}"


@action_rule("adding-not-nullable-field", "modify",
             "MODIFY ... NOT NULL checks every row under a table lock", "add a CHECK ... ENABLE NOVALIDATE, then validate")
def _modify_not_null(table: str, action: Action, state: ScriptState):
    for column in _columns(action):
        if has_word(column, "NOT NULL") and not has_word(column, "NOVALIDATE"):
            yield f"{table}.{bare(column.split(' ', 1)[0])}"


@action_rule("ban-drop-column", sh.DROP_COLUMN,
             "dropping a column (or SET UNUSED) breaks the running release that still reads it; "
             "DROP COLUMN also rewrites every block",
             "stop reading it in a release first, SET UNUSED, and DROP UNUSED COLUMNS in a maintenance window")
def _drop_column(table: str, action: Action, state: ScriptState):
    for name in _columns(action):
        if f"{table}.{bare(name)}" not in state.columns:
            yield f"{table}.{bare(name)}"


action_rule("ban-drop-unused-columns", "drop unused columns",
            "DROP UNUSED COLUMNS rewrites every block of the table under an exclusive lock",
            "run it in a maintenance window, or with CHECKPOINT n to bound the undo")(lambda table, action, state: [table])


@action_rule("renaming-column", sh.RENAME, "renaming a column breaks the running release that reads it under the old name",
             "add the new column, write both, switch readers, then drop the old one")
def _rename_column(table: str, action: Action, state: ScriptState):
    yield f"{table}.{bare(action.match['old'])}"


action_rule("renaming-table", sh.RENAME_TABLE)(lambda table, action, state: [table])


@action_rule("require-online-table-move", "move",
             "ALTER TABLE MOVE without ONLINE blocks writes and leaves the table's indexes UNUSABLE",
             "use MOVE ONLINE (12.2+)")
def _move(table: str, action: Action, state: ScriptState):
    if not has_word(action.text, "ONLINE"):
        yield table


def _one_column_each(action: Action) -> list[Action]:
    """ADD (a ..., b ...) as one ADD per column, judged in the order written."""
    if action.kind != sh.ADD_COLUMN or not action.match["list"]:
        return [action]
    return [Action(action.kind, f"ADD {column}", action.match.re.match(f"ADD {column}")) for column in _columns(action)]


def oracle_findings(c: Classified, state: ScriptState) -> list[Finding]:
    """The findings of one statement; updates `state` with what it creates."""
    found = ORACLE.findings(c, state)
    for action in (one for written in c.actions for one in _one_column_each(written)):
        if not state.created(c.table):  # a table of this script: no rows, no reader
            found += ORACLE.action_findings(c, c.table, action, state)
        if action.kind == sh.ADD_COLUMN:
            state.columns.update(f"{c.table}.{column}" for column, _ in _added(action))
    if c.kind == sh.CREATE_TABLE:
        state.tables.add(c.table)
    elif c.kind == sh.CREATE_VIEW:
        state.views.add(bare(c.part("view")))
    elif c.kind == sh.CREATE_INDEX:
        state.index_table[bare(c.part("index"))] = c.table
    return found
