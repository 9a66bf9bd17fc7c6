"""Differences between a live database and the models: drift.

Alembic's own comparison covers tables, columns, types, nullability, server
defaults, indexes, unique and foreign keys, and comments; what it leaves out
(named CHECK constraints, views) is compared here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from ..db.tool_tables import is_schema_object


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


@dataclass(frozen=True)
class Difference:
    kind: str  # e.g. "missing column", "extra index", "type", "nullable"
    object: str  # e.g. "stream.status"
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.kind}: {self.object}" + (f" ({self.detail})" if self.detail else "")

    def as_dict(self) -> dict:
        return asdict(self)


def compare_database(connection, metadata) -> list[Difference]:
    """Every difference between the database behind `connection` and `metadata`."""

    context = MigrationContext.configure(
        connection,
        opts={
            "compare_type": True,
            "compare_server_default": True,
            "include_object": schema_objects_of(metadata),
        },
    )
    empty_strings = empty_string_columns(metadata)
    differences = [
        _describe(diff) for diff in _flatten(compare_metadata(context, metadata))
        if not is_false_alarm(connection.dialect, diff, empty_strings)
    ]
    differences += _compare_checks(connection, metadata)
    differences += _compare_views(connection, metadata)
    return sorted(set(differences), key=lambda d: (d.object, d.kind))


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
    from ..models.base import is_empty_string

    return {
        (table.name, column.name)
        for table in metadata.tables.values() for column in table.columns if is_empty_string(column)
    }


def _describe(diff) -> Difference:
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
        return Difference(what, f"{table}.{column}", f"database: {old!s}, models: {new!s}")
    if action in ("add_table_comment", "remove_table_comment"):
        return Difference("table comment", diff[1].name)
    return Difference(action.replace("_", " "), str(diff[1:]))


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
    condition = getattr(constraint, "_ddl_if", None)
    return condition is None or condition.dialect in (None, dialect)


def _compare_views(connection, metadata) -> list[Difference]:

    expected = set(metadata.info.get("views", {}))
    present = set(sa.inspect(connection).get_view_names())
    return [Difference("missing view", name) for name in expected - present] + [
        Difference("extra view", name) for name in present - expected
    ]
