"""Drift where there is no catalog snapshot (Oracle): Alembic's comparison, made readable.

Alembic's `compare_metadata` compares tables, columns, types, nullability,
defaults, indexes, unique and foreign keys and comments against the models;
named CHECK constraints and views, which it leaves out, are compared here by
name. This module turns what was found into `Difference` lines and drops
Oracle's false alarms; running Alembic and the Inspector is the command's
(command/drift.py).
"""

from __future__ import annotations

import sqlalchemy as sa

from ...db.tool_tables import is_schema_object
from ...models.base import is_empty_string
from .difference import Difference, both
from .drift import kept_tables


def alembic_differences(diffs, dialect, metadata) -> list[Difference]:
    """Alembic's findings as lines, without the false alarms."""
    empty_strings = empty_string_columns(metadata)
    return [describe(diff, dialect) for diff in _flatten(diffs) if not is_false_alarm(dialect, diff, empty_strings)]


def schema_objects_of(metadata):
    """`is_schema_object` that also passes over the metadata's kept tables, found in the database only."""
    kept = kept_tables(metadata)

    def include(obj, name, type_, reflected, compare_to) -> bool:
        if type_ == "table" and reflected and compare_to is None and name in kept:
            return False
        return is_schema_object(obj, name, type_, reflected, compare_to)

    return include


def named_differences(metadata, dialect_name: str, checks: dict[str, set[str]], views: set[str]) -> list[Difference]:
    """CHECK constraints (`checks`: table -> names, for the tables present) and views, by name."""
    found = []
    for table in metadata.tables.values():
        if table.name not in checks:
            continue
        expected = {c.name for c in table.constraints
                    if isinstance(c, sa.CheckConstraint) and _applies_to(c, dialect_name)}
        found += [Difference("missing constraint", f"{table.name}.{name}") for name in expected - checks[table.name]]
        found += [Difference("extra constraint", f"{table.name}.{name}") for name in checks[table.name] - expected]
    expected_views = set(metadata.info.get("views", {}))
    return found + [Difference("missing view", name) for name in expected_views - views] + [
        Difference("extra view", name) for name in views - expected_views
    ]


def _applies_to(constraint, dialect: str) -> bool:
    """Oracle-only checks (booleans kept as SMALLINT) do not exist on PostgreSQL."""
    return constraint.info.get("dialect") in (None, dialect)


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
    """(table, column) of every EmptyString column of the models."""
    return {
        (table.name, column.name)
        for table in metadata.tables.values() for column in table.columns if is_empty_string(column)
    }


_PRESENCE = {
    "add_table": "missing table", "remove_table": "extra table",
    "add_column": "missing column", "remove_column": "extra column",
    "add_index": "missing index", "remove_index": "extra index",
    "add_constraint": "missing constraint", "add_fk": "missing constraint",
    "remove_constraint": "extra constraint", "remove_fk": "extra constraint",
}


def describe(diff, dialect=None) -> Difference:
    """One of Alembic's diff tuples as a line."""
    action = diff[0]
    if action in ("add_table", "remove_table"):
        return Difference(_PRESENCE[action], diff[1].name)
    if action in ("add_column", "remove_column"):
        return Difference(_PRESENCE[action], f"{diff[2]}.{diff[3].name}")
    if action in _PRESENCE:  # an index or a constraint: the object itself
        return Difference(_PRESENCE[action], f"{diff[1].table.name}.{diff[1].name}")
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
