"""What both LUNA schemas are built from, for PostgreSQL and Oracle from one code.

- a naming convention that gives every constraint and index the same name
  (at most 30 characters) on every dialect;
- `utcnow()`: the UTC "now" server default of each dialect;
- `Bool`: native BOOLEAN on PostgreSQL, SMALLINT with a named CHECK on Oracle;
- `view(name, selectable)`: a view that comes and goes with the tables.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.schema import ExecutableDDLElement
from sqlalchemy.sql import expression
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.sql.util import find_tables

# Oracle before 12.2 allows 30 characters; PostgreSQL would cut at 63 and
# SQLAlchemy truncates per dialect. Our names must be the same everywhere, so
# the convention cuts them itself, deterministically.
MAX_IDENTIFIER_LENGTH = 30


def fit_identifier(name: str) -> str:
    """`name` itself, or its first characters plus a hash of the whole when too long."""
    if len(name) <= MAX_IDENTIFIER_LENGTH:
        return name
    digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:8]
    return f"{name[: MAX_IDENTIFIER_LENGTH - 9]}_{digest}"


def _column_names(constraint) -> str:
    return "_".join(column.name for column in constraint.columns)


def _index_name(index, table) -> str:
    return fit_identifier(f"ix_{table.name}_{_column_names(index)}")


def _unique_name(constraint, table) -> str:
    return fit_identifier(f"uq_{table.name}_{_column_names(constraint)}")


def _foreign_key_name(constraint, table) -> str:
    target = constraint.elements[0].target_fullname.split(".")[0]
    return fit_identifier(f"fk_{table.name}_{_column_names(constraint)}_{target}")


def _check_name(constraint, table) -> str:
    return fit_identifier(f"ck_{table.name}_{constraint.name}")


def _primary_key_name(constraint, table) -> str:
    return fit_identifier(f"pk_{table.name}")


NAMING_CONVENTION = {
    "luna_ix": _index_name,
    "luna_uq": _unique_name,
    "luna_fk": _foreign_key_name,
    # SQLAlchemy rewrites a name given in the code (CheckConstraint(...,
    # name="status")) only when the template mentions "constraint_name":
    # hence this token's name. It makes `ck_stream_status`.
    "luna_ck_from_constraint_name": _check_name,
    "luna_pk": _primary_key_name,
    "ix": "%(luna_ix)s",
    "uq": "%(luna_uq)s",
    "fk": "%(luna_fk)s",
    "ck": "%(luna_ck_from_constraint_name)s",
    "pk": "%(luna_pk)s",
}


def make_base() -> type[DeclarativeBase]:
    """A declarative base with its own MetaData (one per schema) and our naming convention."""

    class Base(DeclarativeBase):
        metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

    return Base


class ColumnNamesMixin:
    """`getColumnNames()`, as the services' models have it."""

    @classmethod
    def getColumnNames(cls) -> list[str]:  # noqa: N802 - the services' name
        """The table's column names, in table order."""
        return [column.name for column in cls.__table__.columns]


# --- server defaults -----------------------------------------------------------


class utcnow(expression.FunctionElement):  # noqa: N801 - reads like the SQL it is
    """The current time in UTC, as a server default: every LUNA time is UTC."""

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
    inherit_cache = True

    _traverse_internals = [("value", InternalTraversal.dp_plain_obj)]

    def __init__(self, value: bool):
        self.value = bool(value)


@compiles(bool_literal)
def _bool_literal(element, compiler, **kw):
    return "true" if element.value else "false"


@compiles(bool_literal, "oracle")
def _bool_literal_oracle(element, compiler, **kw):
    return "1" if element.value else "0"


# --- booleans ------------------------------------------------------------------


class Bool(sa.types.TypeDecorator):
    """A boolean: native on PostgreSQL, SMALLINT 0/1 on Oracle.

    Oracle has BOOLEAN only from 23ai; SQLAlchemy would switch to it when it
    detects such a server, and the same schema would then differ by server
    version. So Oracle always gets SMALLINT, guarded by `bool_check`.
    """

    impl = sa.Boolean
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "oracle":
            return sa.SMALLINT()
        return dialect.type_descriptor(sa.Boolean(create_constraint=False))

    def process_bind_param(self, value, dialect):
        if value is None or dialect.name != "oracle":
            return value
        return 1 if value else 0

    def process_result_value(self, value, dialect):
        return value if value is None else bool(value)


def bool_check(column_name: str) -> sa.CheckConstraint:
    """The named `CHECK (x IN (0, 1))` that a `Bool` column needs on Oracle only."""
    return sa.CheckConstraint(f"{column_name} IN (0, 1)", name=column_name).ddl_if(dialect="oracle")


# --- views -----------------------------------------------------------------------


class CreateView(ExecutableDDLElement):
    def __init__(self, name: str, selectable):
        self.name = name
        self.selectable = selectable


class DropView(ExecutableDDLElement):
    def __init__(self, name: str):
        self.name = name


@compiles(CreateView)
def _create_view(element, compiler, **kw):
    select = compiler.sql_compiler.process(element.selectable, literal_binds=True)
    return f"CREATE VIEW {compiler.preparer.quote(element.name)} AS {select}"


@compiles(CreateView, "oracle")
def _create_view_oracle(element, compiler, **kw):
    select = compiler.sql_compiler.process(element.selectable, literal_binds=True)
    return f"CREATE OR REPLACE VIEW {compiler.preparer.quote(element.name)} AS {select}"


@compiles(DropView)
def _drop_view(element, compiler, **kw):
    return f"DROP VIEW IF EXISTS {compiler.preparer.quote(element.name)}"


@compiles(DropView, "oracle")
def _drop_view_oracle(element, compiler, **kw):
    # No IF EXISTS before 23ai: callers drop only the views that exist.
    return f"DROP VIEW {compiler.preparer.quote(element.name)}"


def view(name: str, selectable, metadata: sa.MetaData | None = None) -> sa.TableClause:
    """Create a simple view object. Use it like a table: select(SomeView.c.roi).

    Returns an `sa.table` (not a model) with the selectable's columns. The
    view is registered on the metadata of the tables it reads (or the one
    given) and is created after them by `create_all`, dropped before them
    by `drop_all`.
    """
    if metadata is None:
        metadata = find_tables(selectable)[0].metadata
    table = sa.table(name, *(sa.column(c.name, c.type) for c in selectable.selected_columns))
    views = metadata.info.setdefault("views", {})
    if not views:
        event.listen(metadata, "after_create", _after_create)
        event.listen(metadata, "before_drop", _before_drop)
    views[name] = selectable
    return table


def _after_create(metadata, connection, **kw):
    for name, selectable in metadata.info["views"].items():
        connection.execute(CreateView(name, selectable))


def _before_drop(metadata, connection, **kw):
    for name in reversed(list(metadata.info["views"])):
        connection.execute(DropView(name))


def create_views(connection, metadata: sa.MetaData) -> None:
    """Create every view of the metadata, in definition order."""
    _after_create(metadata, connection)


def drop_views(connection, metadata: sa.MetaData) -> None:
    """Drop the metadata's views that exist, in reverse order."""
    existing = set(sa.inspect(connection).get_view_names())
    for name in reversed(list(metadata.info.get("views", {}))):
        if name in existing:
            connection.execute(DropView(name))
