"""luna-db's own PostgreSQL rules: what locks a busy table, rewrites it, or breaks the running release.

They run beside squawk and cover what squawk is silent on (VACUUM FULL,
CLUSTER, LOCK TABLE, SET LOGGED/UNLOGGED, plain TRUNCATE, serial columns,
non-concurrent REFRESH, unbounded UPDATE/DELETE, ...) as well as the hazards
squawk knows, so that the lint stands on its own rules where squawk's parser
gives up. Where a rule means what a squawk rule means it has squawk's name,
so a hazard found by both is reported once and accepted by one name.

Each rule reads a statement as analysis/sql/classify classified it (or one
ALTER TABLE action of it) and the script's state before it; `record`
then updates the state with what the statement created.
"""

from __future__ import annotations

from ..findings import Finding
from . import shapes as sh
from .classify import Action, Classified
from .rule import Registry, ScriptState, on_existing_table, on_existing_table_action
from .sqltext import bare, has_word
from .type_change import track_type

PG = Registry("postgresql")
statement_rule, action_rule = PG.statement_rule, PG.action_rule


def _obj(table: str | None, name: str | None) -> str | None:
    return f"{table}.{name}" if table and name else (table or name)


# --- statements ------------------------------------------------------------------------

@statement_rule("ban-concurrent-index-creation-in-transaction", sh.CREATE_INDEX,
                "CREATE INDEX CONCURRENTLY cannot run inside a transaction block",
                "build it outside the transaction (luna-db's online index build does)")
def _concurrent_index_in_transaction(c: Classified, state: ScriptState):
    if c.concurrently and state.in_transaction:
        yield _obj(c.table, c.part("index") and bare(c.part("index")))


@statement_rule("require-concurrent-index-creation", sh.CREATE_INDEX,
                "CREATE INDEX blocks writes to the table while it builds",
                "use CREATE INDEX CONCURRENTLY outside a transaction")
def _index_not_concurrent(c: Classified, state: ScriptState):
    if not c.concurrently and not state.created(c.table):
        yield _obj(c.table, c.part("index") and bare(c.part("index")))


@statement_rule("require-concurrent-index-deletion", sh.DROP_INDEX,
                "DROP INDEX takes an ACCESS EXCLUSIVE lock on the table",
                "use DROP INDEX CONCURRENTLY outside a transaction")
def _drop_index_not_concurrent(c: Classified, state: ScriptState):
    if not c.concurrently:
        for index in c.indexes:
            table = state.index_table.get(index)
            if not state.created(table):
                yield _obj(table, index)


@statement_rule("require-concurrent-reindex", sh.REINDEX,
                "REINDEX blocks writes (and reads that use the index) while it builds",
                "use REINDEX ... CONCURRENTLY")
def _reindex_not_concurrent(c: Classified, state: ScriptState):
    if not c.concurrently:
        yield bare(c.part("object")) if c.part("object") else None


@statement_rule("ban-drop-table", sh.DROP_TABLE, "dropping a table breaks the running release that still reads it",
                "stop using it in a release first (expand/contract), then drop it")
def _drop_table(c: Classified, state: ScriptState):
    yield from (table for table in c.tables if not state.created(table))


statement_rule("ban-truncate", sh.TRUNCATE, "TRUNCATE takes an ACCESS EXCLUSIVE lock and deletes every row",
               "DELETE in batches, or accept it with the reason the rows may go")(
    on_existing_table)


statement_rule("ban-vacuum-full", sh.VACUUM_FULL,
                "VACUUM FULL rewrites the table under ACCESS EXCLUSIVE, blocking reads and writes",
                "use pg_repack or plain VACUUM")(lambda c, state: [c.table])


statement_rule("ban-cluster", sh.CLUSTER,
                "CLUSTER rewrites the table under ACCESS EXCLUSIVE, blocking reads and writes", "use pg_repack")(
    on_existing_table)


statement_rule("ban-lock-table", sh.LOCK, "an explicit LOCK TABLE queues every reader and writer behind the migration",
               "leave the locking to the statements that need it, under a short lock_timeout")(
    on_existing_table)


@statement_rule("require-concurrent-refresh", sh.REFRESH, "REFRESH MATERIALIZED VIEW blocks every reader of the view",
                "use REFRESH MATERIALIZED VIEW CONCURRENTLY")
def _refresh(c: Classified, state: ScriptState):
    view = bare(c.part("view"))
    if not c.concurrently and view not in state.views:
        yield view


@statement_rule("ban-unbounded-update", (sh.UPDATE, sh.DELETE),
                "an UPDATE or DELETE without WHERE locks every row of a busy table for the whole transaction",
                "backfill in batches")
def _unbounded_update(c: Classified, state: ScriptState):
    if c.unbounded and not state.created(c.table) and c.table != "alembic_version":
        yield c.table


statement_rule("ban-drop-schema", sh.DROP_SCHEMA, "dropping a schema drops everything the running release reads in it",
               "drop schemas by hand once nothing reads them, never in a migration")(
    lambda c, state: [bare(c.part("object"))])
statement_rule("ban-drop-database", sh.DROP_DATABASE, "dropping a database breaks everything that uses it",
               "drop databases by hand, never in a migration")(
    lambda c, state: [bare(c.part("object"))])


# --- ALTER TABLE actions ---------------------------------------------------------------

def _constraint_rule(name: str, kinds: tuple[str, ...], when, problem: str, fix: str | None = None):
    """A rule on ADD CONSTRAINT of one of `kinds` (on a table that existed before), when `when(action)`."""
    @action_rule(name, sh.ADD_CONSTRAINT, problem, fix)
    def check(table: str, action: Action, state: ScriptState):
        m = action.match
        if m["kind"].upper() in kinds and when(action.text) and not state.created(table):
            yield _obj(table, m["name"] and bare(m["name"]))
    return check


def _not_valid(text: str) -> bool:
    return not has_word(text, "NOT VALID")


def _no_index(text: str) -> bool:
    return not has_word(text, "USING INDEX")


_constraint_rule("constraint-missing-not-valid", ("CHECK",), _not_valid,
                 "adding a constraint scans the table under a lock that blocks writes",
                 "add it NOT VALID, then VALIDATE CONSTRAINT in a later transaction")
_constraint_rule("adding-foreign-key-constraint", ("FOREIGN KEY",), _not_valid,
                 "a foreign key scans the table and blocks writes on both tables",
                 "add it NOT VALID, then VALIDATE CONSTRAINT")
_constraint_rule("disallowed-unique-constraint", ("UNIQUE",), _no_index,
                 "a UNIQUE constraint builds its index under ACCESS EXCLUSIVE",
                 "build a unique index CONCURRENTLY, then ADD CONSTRAINT ... UNIQUE USING INDEX")
_constraint_rule("adding-primary-key-constraint", ("PRIMARY KEY",), _no_index,
                 "a primary key builds its index under ACCESS EXCLUSIVE",
                 "build a unique index CONCURRENTLY, then ADD PRIMARY KEY USING INDEX")
_constraint_rule("adding-exclusion-constraint", ("EXCLUDE",), lambda text: True,
                 "an exclusion constraint builds its index under ACCESS EXCLUSIVE, blocking reads and writes",
                 "add it while the table is new or empty, or in a maintenance window (no online form exists)")


def _column_rule(name: str, when, problem: str | None = None, fix: str | None = None):
    """A rule on ADD COLUMN (to a table that existed before), when `when(definition)`."""
    @action_rule(name, sh.ADD_COLUMN, problem, fix)
    def check(table: str, action: Action, state: ScriptState):
        if not state.created(table) and when(action.match["definition"]):
            yield f"{table}.{bare(action.match['column'])}"
    return check


def _fills_with_default(definition: str) -> bool:
    return not sh.is_serial(definition) and (
        sh.is_generated_fill(definition) or sh.default_volatility(definition) == sh.VOLATILE)


def _required(definition: str) -> bool:
    return not sh.fills_every_row(definition) and has_word(definition, "NOT NULL") \
        and sh.default_volatility(definition) is None and not has_word(definition, "GENERATED")


_column_rule("adding-serial-field", sh.is_serial,
             "a serial column fills every row from its sequence: a table rewrite under ACCESS EXCLUSIVE",
             "add a nullable column, attach a sequence default, backfill in batches")
_column_rule("adding-field-with-default", _fills_with_default,
             "a volatile default (or a generated or identity column) fills every row: a table rewrite under ACCESS EXCLUSIVE",
             "add the column without it (or with a constant default), then backfill in batches")
_column_rule("adding-required-field", _required,
             "adding a NOT NULL column without a default fails on a table with rows, and the running release does not fill it",
             "add it nullable (or with a constant default), backfill, then SET NOT NULL")
# Constraints declared with the column: the rules of ADD CONSTRAINT, their messages.
_column_rule("disallowed-unique-constraint", lambda definition: has_word(definition, "UNIQUE"))
_column_rule("adding-primary-key-constraint", lambda definition: has_word(definition, "PRIMARY KEY"))
_column_rule("adding-foreign-key-constraint", lambda definition: sh.REFERENCES.search(definition) is not None)


def _change_rule(name: str, change, problem: str, fix: str | None = None, unless=lambda obj, state: False):
    """A rule on ALTER COLUMN (of a column that existed before) whose change matches `change`."""
    @action_rule(name, sh.ALTER_COLUMN, problem, fix)
    def check(table: str, action: Action, state: ScriptState):
        obj = f"{table}.{bare(action.match['column'])}"
        if state.created(table) or obj in state.columns or unless(obj, state):
            return
        if change.match(action.match["change"]):
            yield obj
    return check


_change_rule("changing-column-type", sh.COLUMN_TYPE,
             "changing a column's type rewrites the table under ACCESS EXCLUSIVE and breaks the release that reads the old type",
             "add a column of the new type, backfill it, switch readers, then drop the old one")
_change_rule("adding-not-nullable-field", sh.SET_NOT_NULL,
             "SET NOT NULL scans the whole table under ACCESS EXCLUSIVE",
             "add a CHECK (col IS NOT NULL) NOT VALID, validate it, then SET NOT NULL",
             unless=lambda obj, state: obj in state.proven_not_null)
_change_rule("ban-drop-default", sh.DROP_DEFAULT,
             "dropping a default breaks the running release's inserts that leave the column out",
             "drop it in the release after the one that stops relying on it")


@action_rule("ban-drop-column", sh.DROP_COLUMN, "dropping a column breaks the running release that still reads it",
             "stop reading and writing it in a release first (expand/contract), then drop it")
def _drop_column(table: str, action: Action, state: ScriptState):
    obj = f"{table}.{bare(action.match['column'])}"
    if not state.created(table) and obj not in state.columns:
        yield obj


@action_rule("renaming-column", sh.RENAME, "renaming a column breaks the running release that reads it under the old name",
             "add the new column, write both, switch readers, then drop the old one")
def _rename_column(table: str, action: Action, state: ScriptState):
    m = action.match
    if not m["constraint"] and not state.created(table) and m["old"]:
        yield f"{table}.{bare(m['old'])}"


@action_rule("renaming-table", sh.RENAME, "renaming a table breaks the running release that reads it under the old name",
             "create the new table (or a view under the old name), switch readers, then drop the old one")
def _rename_table(table: str, action: Action, state: ScriptState):
    m = action.match
    if not m["constraint"] and not state.created(table) and not m["old"]:
        yield table


@action_rule("validate-constraint-in-transaction", sh.VALIDATE,
             "VALIDATE CONSTRAINT in the transaction that added it NOT VALID keeps the ACCESS EXCLUSIVE lock "
             "for the whole scan", "commit in between")
def _validate_in_transaction(table: str, action: Action, state: ScriptState):
    name = bare(action.match["name"])
    if state.in_transaction and name in state.not_valid:
        yield f"{table}.{name}"


action_rule("ban-set-logged", sh.SET_LOGGED, "SET LOGGED/UNLOGGED rewrites the table under ACCESS EXCLUSIVE",
            "do it in a maintenance window, or on a new table filled in batches")(
    on_existing_table_action)
action_rule("ban-set-tablespace", sh.SET_TABLESPACE,
            "SET TABLESPACE / SET ACCESS METHOD copies the whole table under ACCESS EXCLUSIVE",
            "use pg_repack, or a maintenance window")(on_existing_table_action)


# --- the engine ------------------------------------------------------------------------

def pg_findings(c: Classified, state: ScriptState) -> list[Finding]:
    """The findings of one statement; updates `state` with what it creates."""
    found = PG.findings(c, state)
    for action in c.actions:
        found += PG.action_findings(c, c.table, action, state)
        _record_action(c.table, action, state)
    _record(c, state)
    return found


def _record(c: Classified, state: ScriptState) -> None:
    if c.transaction:
        state.in_transaction, state.not_valid = c.kind == sh.BEGIN, set()
    elif c.kind == sh.CREATE_TABLE:
        state.tables.add(c.table)
    elif c.kind == sh.CREATE_VIEW:
        view = bare(c.part("view"))
        state.views.add(view)
        if c.part("materialized"):  # a new one has rows no one reads yet: index it freely
            state.tables.add(view)
    elif c.kind == sh.CREATE_INDEX and c.part("index"):
        state.index_table[bare(c.part("index"))] = c.table


def _record_action(table: str, action: Action, state: ScriptState) -> None:
    m = action.match
    track_type(table, action, state.column_types)
    if action.kind == sh.ADD_COLUMN:
        state.columns.add(f"{table}.{bare(m['column'])}")
    elif action.kind == sh.VALIDATE and bare(m["name"]) in state.not_null_checks:
        state.proven_not_null.add(state.not_null_checks[bare(m["name"])])
    elif action.kind == sh.ADD_CONSTRAINT:
        name = bare(m["name"]) if m["name"] else None
        not_valid = has_word(action.text, "NOT VALID")
        if not_valid and name:
            state.not_valid.add(name)
        if m["kind"].upper() == "CHECK" and (column := sh.IS_NOT_NULL.search(action.text)):
            proven = f"{table}.{bare(column['column'])}"
            if name:
                state.not_null_checks[name] = proven
            if not not_valid:
                state.proven_not_null.add(proven)


#: The kinds whose table the squawk filter exempts when the script created it.
_TARGETED = {sh.ALTER_TABLE, sh.CREATE_INDEX, sh.TRUNCATE, sh.LOCK, sh.UPDATE, sh.DELETE, sh.CLUSTER, sh.VACUUM_FULL}


def target_table(c: Classified, state: ScriptState) -> str | None:
    """The table a statement acts on, to exempt tables created earlier in the script."""
    if c.kind in _TARGETED:
        return c.table
    if c.kind == sh.DROP_TABLE:
        return c.tables[0] if len(c.tables) == 1 else None
    if c.kind == sh.DROP_INDEX:
        return state.index_table.get(c.indexes[0]) if len(c.indexes) == 1 else None
    return None


def added_column_definition(c: Classified) -> str | None:
    """The column definition of an ALTER TABLE ... ADD COLUMN with a single action."""
    if len(c.actions) != 1 or c.actions[0].kind != sh.ADD_COLUMN:
        return None
    return c.actions[0].match["definition"]

