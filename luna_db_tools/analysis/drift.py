"""Differences between a live database and the models: drift.

Alembic's own comparison is the base: tables, columns, types, nullability,
indexes, unique and foreign keys, comments, against the models themselves.
On PostgreSQL, what it leaves out or gets wrong is compared with the head
revision's fingerprint (analysis/fingerprint.py), a catalog snapshot of the
database the migrations build: CHECK bodies, primary keys and their column
order, index methods, keys, sort orders, predicates and INCLUDE columns,
view definitions, triggers, collations, identity options, defaults as the
server prints them, persistence, row-level security, grants, functions,
sequences, types and extensions. Each difference is one readable line.
Elsewhere (Oracle), named CHECK constraints and views are compared by name.
"""

from __future__ import annotations

import warnings
from dataclasses import replace

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from ..db.tool_tables import is_schema_object
from ..models.base import is_empty_string
from ..runtime.revisions import head_revision
from ..schemas import load_models
from . import fingerprint
from .compare import compare_snapshots
from .difference import Difference, both
from .reflect import reflect

__all__ = ["Difference", "compare_database", "kept_tables", "schema_objects_of"]


def kept_tables(metadata) -> dict[str, str]:
    """Tables a migration left for an operator to remove (name -> why), e.g. backport3's
    `account_credentials_tmp`: present or not, they are not drift."""
    return dict(metadata.info.get("kept_tables", {}))


def schema_objects_of(metadata):
    """`is_schema_object` that also passes over the metadata's kept tables, found in the database only."""
    kept = kept_tables(metadata)

    def include(obj, name, type_, reflected, compare_to) -> bool:
        if type_ == "table" and reflected and compare_to is None and name in kept:
            return False
        return is_schema_object(obj, name, type_, reflected, compare_to)

    return include


def compare_database(connection, metadata, schema: str | None = None) -> list[Difference]:
    """Every difference between the database behind `connection` and `metadata`.

    `schema` ("streams", "backport3") picks the fingerprint; found from
    `metadata` when not given.
    """
    expected = _head_fingerprint(metadata, schema) if connection.dialect.name == "postgresql" else None
    context = MigrationContext.configure(
        connection,
        opts={
            "compare_type": True,
            # The fingerprint compares defaults as the server prints them, which
            # Alembic does not (timezone('utc', now()) and now() pass as equal).
            "compare_server_default": expected is None,
            "include_object": schema_objects_of(metadata),
        },
    )
    empty_strings = empty_string_columns(metadata)
    with warnings.catch_warnings():
        # Alembic warns about reflected index options it cannot place (INCLUDE,
        # NOT VALID, ...): noise on stderr; the fingerprint reports the difference.
        warnings.simplefilter("ignore")
        diffs = list(_flatten(compare_metadata(context, metadata)))
    alembic_found = [
        _describe(diff, connection.dialect) for diff in diffs
        if not is_false_alarm(connection.dialect, diff, empty_strings)
    ]
    if expected is None:
        differences = alembic_found + _compare_checks(connection, metadata) + _compare_views(connection, metadata)
        return sorted(set(differences), key=lambda d: (d.object, d.kind))


    live = _without_kept_tables(reflect(connection), expected, kept_tables(metadata))
    return _merge(compare_snapshots(expected, live), alembic_found)


def _without_kept_tables(live, expected, kept: dict):
    """The live snapshot without the kept tables that the fingerprint does not have."""
    gone = set(kept) - {t.name for t in expected.tables}
    if not gone:
        return live

    def keep(items):
        return tuple(i for i in items if getattr(i, "table", getattr(i, "name", "")).split(".")[0] not in gone)

    return replace(live, tables=keep(live.tables), columns=keep(live.columns), constraints=keep(live.constraints),
                   indexes=keep(live.indexes), triggers=keep(live.triggers), grants=keep(live.grants))


def _head_fingerprint(metadata, schema: str | None):

    if schema is None:
        schema = next((s for s in ("streams", "backport3") if load_models(s).metadata is metadata), None)
    if schema is None:
        return None
    return fingerprint.load(schema, head_revision(schema))


def _merge(found: list[Difference], alembic_found: list[Difference]) -> list[Difference]:
    """The fingerprint's lines, and Alembic's on what they do not already say.

    Alembic reports a changed index or foreign key as the same name missing
    and extra; the fingerprint says what changed, so such a pair is dropped.
    """
    said = {(d.kind, d.object) for d in found}
    objects = {d.object for d in found}
    # A missing or extra table says it all: not each of its indexes and keys again.
    tables = {d.object for d in found if d.kind in ("missing table", "extra table")}
    alembic_found = [d for d in alembic_found if d.object.split(".")[0] not in tables or "." not in d.object]
    pairs = {d.object for d in alembic_found if d.kind.startswith("missing ")} & {
        d.object for d in alembic_found if d.kind.startswith("extra ")}
    extra = [d for d in alembic_found
             if (d.kind, d.object) not in said and not (d.object in pairs and d.object in objects)]
    return sorted(set(found + extra), key=lambda d: (d.object, d.kind))


def _flatten(diffs):
    for diff in diffs:
        if isinstance(diff, list):  # column modifications come grouped per column
            yield from diff
        else:
            yield diff


def is_false_alarm(dialect, diff, empty_strings: set[tuple[str, str]]) -> bool:
    """Differences Alembic reports on Oracle that are not drift.

    An EmptyString column is nullable there with no default, by design. And
    Oracle hands a default back as the text it was given, with its own
    spacing and case, where Alembic compares it strictly. (Alembic's
    `compare_server_default` hook cannot do this: it fails on identity
    columns.)
    """
    if dialect.name != "oracle" or diff[0] not in ("modify_nullable", "modify_default"):
        return False
    # ("modify_...", schema, table, column, existing, database's, models')
    if (diff[2], diff[3]) in empty_strings:
        return True
    if diff[0] != "modify_default":
        return False
    # `MODIFY x DEFAULT NULL`, Oracle's only way to drop a default (backport3
    # b0004), leaves the text 'NULL' behind: that is no default.
    database, models = _loose(diff[5], dialect), _loose(diff[6], dialect)
    return database == models or (database == "null" and models == "")


def _loose(default, dialect) -> str:
    """A server default's SQL text without case, spacing or enclosing parentheses."""
    arg = getattr(default, "arg", default)
    if hasattr(arg, "compile"):
        arg = arg.compile(dialect=dialect)
    text = "".join(str(arg if arg is not None else "").split()).lower()
    while text.startswith("(") and text.endswith(")"):
        text = text[1:-1]
    return text


def empty_string_columns(metadata) -> set[tuple[str, str]]:

    return {
        (table.name, column.name)
        for table in metadata.tables.values() for column in table.columns if is_empty_string(column)
    }


def _describe(diff, dialect=None) -> Difference:
    action = diff[0]
    if action in ("add_table", "remove_table"):
        kind = "missing table" if action == "add_table" else "extra table"
        return Difference(kind, diff[1].name)
    if action in ("add_column", "remove_column"):
        kind = "missing column" if action == "add_column" else "extra column"
        return Difference(kind, f"{diff[2]}.{diff[3].name}")
    if action in ("add_index", "remove_index"):
        index = diff[1]
        kind = "missing index" if action == "add_index" else "extra index"
        return Difference(kind, f"{index.table.name}.{index.name}")
    if action in ("add_constraint", "remove_constraint", "add_fk", "remove_fk"):
        constraint = diff[1]
        kind = "missing constraint" if action.startswith("add") else "extra constraint"
        return Difference(kind, f"{constraint.table.name}.{constraint.name}")
    if action.startswith("modify_"):
        # ("modify_type", schema, table, column, existing, old, new)
        what = action.removeprefix("modify_").replace("_", " ")
        _, _, table, column, _, old, new = diff
        return Difference(what, f"{table}.{column}", both(_readable(what, new, dialect), _readable(what, old, dialect)))
    if action in ("add_table_comment", "remove_table_comment"):
        table = diff[1]
        return Difference("table comment", table.name, both(
            _readable("comment", table.comment, dialect), _readable("comment", diff[2], dialect)))
    return Difference(action.replace("_", " "), str(diff[1:]))


def _readable(what: str, value, dialect) -> str:
    """SQL text, not a Python repr: VARCHAR(16), NOT NULL, now(), 'a comment'."""
    if what == "nullable":
        return "NULL" if value else "NOT NULL"
    if value is None:
        return {"default": "no default", "comment": "no comment"}.get(what, "none")
    if what == "comment":
        return f"'{value}'"
    arg = getattr(value, "arg", value)  # a server default holds its SQL in .arg
    if hasattr(arg, "compile"):
        try:
            return str(arg.compile(dialect=dialect))
        except Exception:  # a type this dialect cannot render: its generic name
            return str(arg)
    return str(arg)


def _compare_checks(connection, metadata) -> list[Difference]:

    inspector = sa.inspect(connection)
    present_tables = set(inspector.get_table_names())
    dialect = connection.dialect.name
    found = []
    for table in metadata.tables.values():
        if table.name not in present_tables:
            continue
        expected = {
            c.name for c in table.constraints
            if isinstance(c, sa.CheckConstraint) and _applies_to(c, dialect)
        }
        reflected = {c["name"] for c in inspector.get_check_constraints(table.name)}
        found += [Difference("missing constraint", f"{table.name}.{name}") for name in expected - reflected]
        found += [Difference("extra constraint", f"{table.name}.{name}") for name in reflected - expected]
    return found


def _applies_to(constraint, dialect: str) -> bool:
    """Oracle-only checks (booleans kept as SMALLINT) do not exist on PostgreSQL."""
    return constraint.info.get("dialect") in (None, dialect)


def _compare_views(connection, metadata) -> list[Difference]:

    expected = set(metadata.info.get("views", {}))
    present = set(sa.inspect(connection).get_view_names())
    return [Difference("missing view", name) for name in expected - present] + [
        Difference("extra view", name) for name in present - expected
    ]
