"""What both LUNA schemas are built from, for PostgreSQL and Oracle from one code.

- `NAMING_CONVENTION`: every constraint and index gets the same name, at
  most 30 characters, on every dialect;
- `utcnow()`: the UTC "now" server default of each dialect;
- `Bool`, `bool_check`, `bool_literal`: native BOOLEAN on PostgreSQL,
  SMALLINT with a named CHECK on Oracle;
- `JsonText`: JSON documents, stored as text;
- `EmptyString`: the schemas' `NOT NULL DEFAULT ''` strings, which Oracle
  cannot hold as such ('' is NULL there);
- `view(name, selectable)`: a view that comes and goes with the tables;
- `make_base()`: a declarative base with its own metadata, one per schema.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.schema import CreateColumn, ExecutableDDLElement
from sqlalchemy.sql import expression
from sqlalchemy.sql.util import find_tables

# --- names -------------------------------------------------------------------

# Oracle before 12.2 allows 30 characters. PostgreSQL would cut at 63 and
# SQLAlchemy truncates per dialect, so left alone the same constraint would
# be named differently on each. The convention cuts names itself, the same
# way everywhere, and migrations can name a constraint before it exists.
MAX_IDENTIFIER_LENGTH = 30
_HASH_LENGTH = 8


def fit_identifier(name: str) -> str:
    """`name` itself, or its first characters + `_` + 8 hex of its SHA-1 when too long."""
    if len(name) <= MAX_IDENTIFIER_LENGTH:
        return name
    digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:_HASH_LENGTH]
    return f"{name[: MAX_IDENTIFIER_LENGTH - _HASH_LENGTH - 1]}_{digest}"


def _column_names(constraint) -> str:
    return "_".join(column.name for column in constraint.columns)


def _index_name(index, table) -> str:
    return fit_identifier(f"ix_{table.name}_{_column_names(index)}")


def _unique_name(constraint, table) -> str:
    return fit_identifier(f"uq_{table.name}_{_column_names(constraint)}")


def _foreign_key_name(constraint, table) -> str:
    # The target as written ("stream.stream_id"): it is known before the
    # referred table is, which is what a migration's lone op.create_table has.
    target = constraint.elements[0].target_fullname.split(".")[-2]
    return fit_identifier(f"fk_{table.name}_{_column_names(constraint)}_{target}")


def _check_name(constraint, table) -> str:
    name = constraint.name
    if not isinstance(name, str) or not name:
        # A CHECK says nothing about its columns that a name could be made of.
        raise sa.exc.ArgumentError(f"CHECK constraint on {table.name} needs a name, e.g. name='status'")
    prefix = f"ck_{table.name}_"
    return fit_identifier(name if name.startswith(prefix) else prefix + name)


def _primary_key_name(constraint, table) -> str:
    return fit_identifier(f"pk_{table.name}")


NAMING_CONVENTION = {
    "luna_ix": _index_name,
    "luna_uq": _unique_name,
    "luna_fk": _foreign_key_name,
    # SQLAlchemy passes a name given in the code (CheckConstraint(...,
    # name="status")) through the convention only when the template mentions
    # "constraint_name": hence this token's name. It makes `ck_stream_status`.
    "luna_ck_from_constraint_name": _check_name,
    "luna_pk": _primary_key_name,
    "ix": "%(luna_ix)s",
    "uq": "%(luna_uq)s",
    "fk": "%(luna_fk)s",
    "ck": "%(luna_ck_from_constraint_name)s",
    "pk": "%(luna_pk)s",
}


# --- declarative base ----------------------------------------------------------


class ColumnNamesMixin:
    """`getColumnNames()`, as the services' models have it."""

    @classmethod
    def getColumnNames(cls) -> list[str]:  # noqa: N802 - the services' name
        """Get all column names of the table, in order as in the database."""
        return [column.name for column in cls.__table__.columns]


def make_base() -> type[DeclarativeBase]:
    """A new declarative base with its own MetaData and our naming convention (one per schema)."""

    class Base(ColumnNamesMixin, DeclarativeBase):
        """Base of one schema's models."""

        metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

    return Base


# --- types and server defaults -----------------------------------------------------

#: JSON documents: TEXT on PostgreSQL, CLOB on Oracle. The services read and
#: write them as strings, and Oracle's JSON type differs by server version.
JsonText = sa.Text


class EmptyString(sa.types.TypeDecorator):
    """A string that is never missing, whose "nothing" is '' (a `NOT NULL DEFAULT ''` column of the schemas).

    Oracle stores '' as NULL, so there `NOT NULL DEFAULT ''` would reject
    every row that omits the column or gives it ''. On Oracle the column is
    therefore nullable with no default, NULL standing for '', and this type
    reads NULL back as '': the services see the same value on both
    dialects. PostgreSQL keeps `NOT NULL DEFAULT ''`. Declare such columns
    with `nullable=False, server_default=""`, the PostgreSQL truth.
    """

    impl = sa.String
    cache_ok = True

    def process_result_value(self, value, dialect):
        return "" if value is None else value


def is_empty_string(column) -> bool:
    """True for an `EmptyString` column: nullable with no default on Oracle."""
    return isinstance(column.type, EmptyString)


@compiles(CreateColumn, "oracle")
def _create_column_oracle(element, compiler, **kw):
    column = element.element
    if not is_empty_string(column):
        return compiler.visit_create_column(element, **kw)
    type_sql = compiler.dialect.type_compiler_instance.process(column.type, type_expression=column)
    # Neither DEFAULT '' (that is DEFAULT NULL) nor NOT NULL: see EmptyString.
    return f"{compiler.preparer.format_column(column)} {type_sql}"


class utcnow(expression.FunctionElement):  # noqa: N801 - reads like the SQL it is
    """The current time in UTC, as a server default: every LUNA time is UTC.

    Models and migrations alike: `server_default=utcnow()`.
    """

    type = sa.TIMESTAMP()
    inherit_cache = True
    name = "utcnow"


@compiles(utcnow)
def _utcnow_default(element, compiler, **kw):
    return "CURRENT_TIMESTAMP"


@compiles(utcnow, "postgresql")
def _utcnow_postgresql(element, compiler, **kw):
    return "timezone('utc', now())"


@compiles(utcnow, "oracle")
def _utcnow_oracle(element, compiler, **kw):
    return "SYS_EXTRACT_UTC(SYSTIMESTAMP)"


class bool_literal(expression.ColumnElement):  # noqa: N801
    """A boolean server default: `true`/`false` on PostgreSQL, `1`/`0` on Oracle."""

    type = sa.Boolean()
    # Not cached (a server default is compiled once per DDL statement): the public
    # way to leave SQLAlchemy's cache key, which would otherwise need the
    # private _traverse_internals to tell true from false.
    inherit_cache = False

    def __init__(self, value: bool):
        self.value = bool(value)


@compiles(bool_literal)
def _bool_literal(element, compiler, **kw):
    return "true" if element.value else "false"


@compiles(bool_literal, "oracle")
def _bool_literal_oracle(element, compiler, **kw):
    return "1" if element.value else "0"


class Bool(sa.types.TypeDecorator):
    """A boolean: native BOOLEAN on PostgreSQL, SMALLINT 0/1 on Oracle.

    Oracle has BOOLEAN only from 23ai, and SQLAlchemy's Boolean becomes it
    whenever the dialect believes the server has it (an unconnected Oracle
    dialect, as in offline scripts, believes so too). One schema must not
    differ by server version, so Oracle always gets SMALLINT, guarded by
    `bool_check` (a named CHECK that a table adds for each Bool column).
    """

    impl = sa.Boolean
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "oracle":
            # Not dialect.type_descriptor(): the Oracle drivers adapt SMALLINT
            # to their integer type, which renders as INTEGER.
            return sa.SMALLINT()
        return dialect.type_descriptor(sa.Boolean(create_constraint=False))

    def process_bind_param(self, value, dialect):
        if value is None or dialect.name != "oracle":
            return value
        return 1 if value else 0

    def process_result_value(self, value, dialect):
        return value if value is None else bool(value)


def bool_check(column_name: str) -> sa.CheckConstraint:
    """The `CHECK (x IN (0, 1))` a `Bool` column needs on Oracle only, named `ck_<table>_<x>`."""
    check = sa.CheckConstraint(f"{column_name} IN (0, 1)", name=column_name, info={"dialect": "oracle"})
    # info says which dialect the CHECK exists on, for drift (ddl_if keeps its
    # condition in a private attribute).
    return check.ddl_if(dialect="oracle")


# --- views -------------------------------------------------------------------------


class CreateView(ExecutableDDLElement):
    """`CREATE VIEW name AS <select>`; `CREATE OR REPLACE VIEW` on Oracle."""

    def __init__(self, name: str, selectable):
        self.name = name
        self.selectable = selectable


class DropView(ExecutableDDLElement):
    """`DROP VIEW IF EXISTS name` on PostgreSQL; `DROP VIEW name` on Oracle."""

    def __init__(self, name: str):
        self.name = name


def _view_query(element, compiler) -> str:
    # A view stores its query: values are written in, never bound.
    return compiler.sql_compiler.process(element.selectable, literal_binds=True)


@compiles(CreateView)
def _create_view(element, compiler, **kw):
    return f"CREATE VIEW {compiler.preparer.quote(element.name)} AS {_view_query(element, compiler)}"


@compiles(CreateView, "oracle")
def _create_view_oracle(element, compiler, **kw):
    return f"CREATE OR REPLACE VIEW {compiler.preparer.quote(element.name)} AS {_view_query(element, compiler)}"


@compiles(DropView)
def _drop_view(element, compiler, **kw):
    return f"DROP VIEW IF EXISTS {compiler.preparer.quote(element.name)}"


@compiles(DropView, "oracle")
def _drop_view_oracle(element, compiler, **kw):
    # No IF EXISTS before 23ai: drop_views() drops only the views that exist.
    return f"DROP VIEW {compiler.preparer.quote(element.name)}"


def view(name: str, selectable, metadata: sa.MetaData | None = None) -> sa.TableClause:
    """Create a simple view object. Use it like a table: select(SomeView.c.roi).

    Returns an `sa.table` object (NOT a model) with one column per column
    of `selectable`. The view is registered in `metadata.info["views"]`
    (name -> (table, selectable)) of the given metadata, or of the first
    table the selectable reads; `create_all` creates it after the tables,
    `drop_all` drops it before them.
    """
    if metadata is None:
        metadata = next(t for t in find_tables(selectable, include_joins=True) if isinstance(t, sa.Table)).metadata
    table = sa.table(name, *(sa.column(column.name, column.type) for column in selectable.selected_columns))
    metadata.info.setdefault("views", {})[name] = (table, selectable)
    if not event.contains(metadata, "after_create", _after_create):
        event.listen(metadata, "after_create", _after_create)
        event.listen(metadata, "before_drop", _before_drop)
    return table


def view_ddl(metadata: sa.MetaData) -> list[CreateView]:
    """The metadata's `CreateView` elements, in definition order (a view may read an earlier one)."""
    return [CreateView(name, selectable) for name, (_, selectable) in metadata.info.get("views", {}).items()]


def create_views(connection, metadata: sa.MetaData) -> None:
    """Create every view of the metadata, in definition order.

    Works on a mock connection too (Alembic's offline mode, `create --sql`).
    """
    for create in view_ddl(metadata):
        connection.execute(create)


def drop_views(connection, metadata: sa.MetaData) -> None:
    """Drop the metadata's views that exist, in reverse definition order."""
    existing = set(sa.inspect(connection).get_view_names())
    for name in reversed(list(metadata.info.get("views", {}))):
        if name in existing:
            connection.execute(DropView(name))


def _is_live(connection) -> bool:
    # create_all/drop_all on a mock engine (scripts) hand in a mock connection
    # that cannot be inspected: there, every statement is simply emitted.
    return isinstance(connection, sa.engine.Connection)


def _after_create(metadata, connection, checkfirst=False, **kw):
    if checkfirst and _is_live(connection):
        existing = set(sa.inspect(connection).get_view_names())
        for create in view_ddl(metadata):
            if create.name not in existing:
                connection.execute(create)
        return
    create_views(connection, metadata)


def _before_drop(metadata, connection, checkfirst=False, **kw):
    if checkfirst and _is_live(connection):
        drop_views(connection, metadata)
        return
    for name in reversed(list(metadata.info.get("views", {}))):
        connection.execute(DropView(name))
