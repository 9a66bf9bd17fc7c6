"""A PostgreSQL catalog snapshot of one schema, as plain frozen dataclasses.

Read straight from the system catalogs with the server's own printers
(`format_type`, `pg_get_expr`, `pg_get_constraintdef`, `pg_get_indexdef`,
`pg_get_viewdef`, `pg_get_triggerdef`), so a snapshot holds what the server
would act on, spelled the way the server spells it. What it leaves out on
purpose, because none of it is schema: rows, statistics, sequence values,
other schemas, roles themselves, database settings, physical storage
(an index rebuilt by REINDEX is the same index), and luna-db's own tables.

Every object has `name` and `key`: the name is what drift compares by, the
key is what the object *is* without its name (an index is its table, method,
uniqueness, keys, INCLUDE columns and predicate), which `adopt` matches on
when another tool named the same objects differently.

NOT NULL constraints that PostgreSQL 18 lists in pg_constraint are skipped:
`Column.not_null` already says it, on every version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


def normalise_sql(text: str | None) -> str | None:
    """SQL the server printed, without layout: one space between tokens, none inside
    parentheses, no trailing semicolon (pretty-printing changed across versions)."""
    if text is None:
        return None
    text = " ".join(text.split()).rstrip(";").strip()
    return re.sub(r"\( ", "(", re.sub(r" \)", ")", text))


@dataclass(frozen=True)
class Column:
    table: str
    name: str
    type: str  # format_type: "character varying(36)", "timestamp without time zone"
    not_null: bool
    default: str | None = None  # pg_get_expr; None for identity and generated columns
    collation: str | None = None  # only when not the type's default
    identity: str | None = None  # "by default (start 1 increment 1 ...)" or None
    generated: str | None = None  # the expression of a STORED generated column
    comment: str | None = None

    @property
    def key(self) -> tuple:
        return (self.table, self.name)


@dataclass(frozen=True)
class Table:
    name: str
    unlogged: bool = False
    row_security: bool = False
    force_row_security: bool = False
    partitioned: bool = False
    options: tuple[str, ...] = ()  # storage parameters (fillfactor=70, ...)
    comment: str | None = None

    @property
    def key(self) -> tuple:
        return (self.name,)


@dataclass(frozen=True)
class Constraint:
    table: str
    name: str
    kind: str  # "primary key", "unique", "foreign key", "check", "exclude"
    columns: tuple[str, ...] = ()  # in the key's order
    definition: str = ""  # pg_get_constraintdef, normalised
    ref_table: str | None = None
    ref_columns: tuple[str, ...] = ()
    on_update: str | None = None
    on_delete: str | None = None
    deferrable: str | None = None  # None, "deferrable", "deferrable initially deferred"

    @property
    def key(self) -> tuple:
        if self.kind == "primary key":
            return (self.table, self.kind)  # a table has one; its columns are a property
        if self.kind == "foreign key":
            return (self.table, self.kind, self.columns, self.ref_table, self.ref_columns)
        if self.kind == "unique":
            return (self.table, self.kind, self.columns)
        return (self.table, self.kind, self.definition)


@dataclass(frozen=True)
class Index:
    table: str
    name: str
    method: str  # btree, hash, gin, gist, brin, ...
    unique: bool
    keys: tuple[str, ...]  # each: column or expression, then opclass/collation/order when not default
    include: tuple[str, ...] = ()
    predicate: str | None = None
    nulls_not_distinct: bool = False
    constraint: str | None = None  # the PRIMARY KEY/UNIQUE constraint this index enforces
    valid: bool = True  # False: a CREATE INDEX CONCURRENTLY that failed half-way
    options: tuple[str, ...] = ()  # storage parameters

    @property
    def key(self) -> tuple:
        return (self.table, self.method, self.unique, self.keys, self.include, self.predicate,
                self.nulls_not_distinct, self.options)


@dataclass(frozen=True)
class View:
    name: str
    definition: str  # pg_get_viewdef, normalised
    materialized: bool = False
    comment: str | None = None
    # reloptions: security_barrier=true, check_option=local|cascaded, security_invoker=true (15+);
    # a materialized view's storage parameters. Absent from a fingerprint: none.
    options: tuple[str, ...] = ()

    @property
    def key(self) -> tuple:
        return (self.name,)


@dataclass(frozen=True)
class Trigger:
    table: str
    name: str
    definition: str  # pg_get_triggerdef, normalised, with the name left out
    enabled: str = "O"  # pg_trigger.tgenabled: O origin, D disabled, R replica, A always

    @property
    def key(self) -> tuple:
        return (self.table, self.definition, self.enabled)


@dataclass(frozen=True)
class Policy:
    """A row-level security policy on one of the schema's tables (pg_policy)."""

    table: str
    name: str
    command: str = "ALL"  # ALL, SELECT, INSERT, UPDATE, DELETE
    permissive: bool = True  # PERMISSIVE; False: RESTRICTIVE
    roles: tuple[str, ...] = ("public",)
    using: str | None = None  # the USING expression (pg_get_expr), normalised
    with_check: str | None = None  # the WITH CHECK expression

    @property
    def key(self) -> tuple:
        return (self.table, self.command, self.permissive, self.roles, self.using, self.with_check)


@dataclass(frozen=True)
class Grant:
    table: str  # a table or view; `table.column` for a column grant
    grantee: str  # a role name, or PUBLIC
    privilege: str  # SELECT, INSERT, ...
    grantable: bool = False

    @property
    def name(self) -> str:
        return f"{self.privilege} on {self.table} to {self.grantee}"

    @property
    def key(self) -> tuple:
        return (self.table, self.grantee, self.privilege, self.grantable)


@dataclass(frozen=True)
class Routine:
    """A function or procedure of the schema (not an extension's)."""

    name: str  # name(argument types)
    definition: str  # pg_get_functiondef, normalised

    @property
    def key(self) -> tuple:
        return (self.name,)


@dataclass(frozen=True)
class Sequence:
    """A sequence not behind an identity column (those are part of the column)."""

    name: str
    options: str  # type, start, increment, min, max, cache, cycle: never its value

    @property
    def key(self) -> tuple:
        return (self.name,)


@dataclass(frozen=True)
class TypeDef:
    """An enum, domain or standalone composite type of the schema."""

    name: str
    definition: str

    @property
    def key(self) -> tuple:
        return (self.name,)


@dataclass(frozen=True)
class Snapshot:
    schema: str
    tables: tuple[Table, ...] = ()
    columns: tuple[Column, ...] = ()
    constraints: tuple[Constraint, ...] = ()
    indexes: tuple[Index, ...] = ()
    views: tuple[View, ...] = ()
    triggers: tuple[Trigger, ...] = ()
    grants: tuple[Grant, ...] = ()
    routines: tuple[Routine, ...] = ()
    sequences: tuple[Sequence, ...] = ()
    types: tuple[TypeDef, ...] = ()
    extensions: tuple[str, ...] = field(default=())  # extensions installed into this schema
    policies: tuple[Policy, ...] = ()  # row-level security policies; absent from a fingerprint: none

    def is_empty(self) -> bool:
        return not (self.tables or self.views or self.routines or self.sequences or self.types)


#: The categories of a snapshot that hold objects, in report order.
CATEGORIES = ("tables", "columns", "constraints", "indexes", "views", "triggers", "policies", "grants",
              "routines", "sequences", "types")


def column_types(snapshot: Snapshot) -> dict[str, str]:
    """Each column's type ("table.column" -> format_type's spelling, with a non-default COLLATE):
    what the lint judges an ALTER COLUMN ... TYPE against (analysis/sql/type_change)."""
    return {f"{c.table}.{c.name}": c.type + (f' COLLATE "{c.collation}"' if c.collation else "")
            for c in snapshot.columns}
