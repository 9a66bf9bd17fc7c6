"""Drift on PostgreSQL: the live catalog snapshot against the head's, held to the models.

The head revision's fingerprint (analysis/schema/fingerprint.py) is the
catalog snapshot of the database the migrations build: CHECK bodies,
primary keys and their column order, index methods, keys, sort orders,
predicates and INCLUDE columns, view definitions, triggers, collations,
identity options, defaults as the server prints them, persistence,
row-level security and its policies, view options (security_barrier,
check_option, security_invoker), grants, functions, sequences, types and extensions.
Before the compare it is held to the models by name (tables, columns with
their types and nullability, indexes, unique and foreign keys), so a model
changed without a migration is drift too. Each difference is one readable line.
"""

from __future__ import annotations

import re
from dataclasses import replace

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from .catalog import Column, Constraint, Index, Snapshot, Table
from .compare import compare_snapshots
from .difference import Difference


def kept_tables(metadata) -> dict[str, str]:
    """Tables a migration left for an operator to remove (name -> why), e.g. backport3's
    `account_credentials_tmp`: present or not, they are not drift."""
    return dict(metadata.info.get("kept_tables", {}))


def snapshot_drift(fingerprint: Snapshot, live: Snapshot, metadata) -> list[Difference]:
    """Every difference between `live` and the head `fingerprint` held to `metadata`, by object then kind."""
    live = _without_kept_tables(live, fingerprint, kept_tables(metadata))
    return _sorted(compare_snapshots(held_to_models(fingerprint, metadata), live))


def shipped_drift(fingerprint: Snapshot, live: Snapshot, kept: dict[str, str]) -> list[Difference]:
    """`snapshot_drift` against the models shipped with the fingerprint, without loading them.

    The shipped models leave the head fingerprint as it is (held_to_models
    changes nothing: tests/test_drift.py holds that), so the fingerprint
    alone is what they expect; `kept`: the schema's kept tables (models/kept.py).
    """
    return _sorted(compare_snapshots(fingerprint, _without_kept_tables(live, fingerprint, kept)))


def _sorted(found: list[Difference]) -> list[Difference]:
    return sorted(set(found), key=lambda d: (d.object, d.kind))


def held_to_models(fingerprint: Snapshot, metadata) -> Snapshot:
    """The fingerprint with the models' tables, columns (type, nullability), indexes, unique
    and foreign keys, by name: what the models add is expected (by name only, nothing to
    compare it by), what they lack is not."""
    tables = list(metadata.tables.values())
    models = {
        "tables": {t.name: t for t in tables},
        "columns": {(t.name, c.name): c for t in tables for c in t.columns},
        "indexes": {(t.name, str(i.name)): i for t in tables for i in t.indexes},
        "constraints": {(t.name, str(c.name)): c for t in tables for c in t.constraints
                        if isinstance(c, (sa.UniqueConstraint, sa.ForeignKeyConstraint))},
    }
    held = {attr: _hold(getattr(fingerprint, attr), models[attr], *how) for attr, how in _HOLD.items()}
    return replace(fingerprint, **held)


def _hold(items, models: dict, key, bound, update, make) -> tuple:
    """`items` kept when the models have them (or are not `bound` to them), `update`d from
    the model; the models' others `make`d."""
    kept = tuple(update(item, models[key(item)]) if key(item) in models else item
                 for item in items if key(item) in models or not bound(item))
    have = {key(item) for item in items}
    return kept + tuple(make(name, model) for name, model in models.items() if name not in have)


def _same(item, _model):
    return item


def _columns_of(key) -> tuple[str, ...]:
    return tuple(c.name for c in key.columns)


def _held_column(column: Column, model) -> Column:
    return replace(column, type=server_spelling(model.type) or column.type, not_null=not model.nullable)


_AS_IS = {"BIGINT", "INTEGER", "SMALLINT", "TEXT", "BOOLEAN", "DOUBLE PRECISION", "REAL", "DATE", "JSON", "JSONB",
          "UUID", "BYTEA", "TIMESTAMP WITHOUT TIME ZONE", "TIMESTAMP WITH TIME ZONE"}
_RESPELT = ((r"VARCHAR\((\d+)\)", r"character varying(\1)"), (r"CHAR\((\d+)\)", r"character(\1)"),
            (r"NUMERIC\((\d+), (\d+)\)", r"numeric(\1,\2)"), (r"FLOAT", "double precision"),
            (r"TIMESTAMP", "timestamp without time zone"))


def server_spelling(type_) -> str | None:
    """A model column's type as PostgreSQL's format_type prints it; None for a type
    not known here (the fingerprint's spelling then stands)."""
    try:
        compiled = type_.compile(dialect=postgresql.dialect())
    except Exception:  # a type PostgreSQL cannot render: nothing to hold the fingerprint to
        return None
    if compiled in _AS_IS:
        return compiled.lower()
    for pattern, spelling in _RESPELT:
        if re.fullmatch(pattern, compiled):
            return re.sub(pattern, spelling, compiled)
    return None


# snapshot field: (its name, held to the models or not, updated from the model, made from the model)
_HOLD = {
    "tables": (lambda t: t.name, lambda t: True, _same, lambda name, _table: Table(name)),
    "columns": (lambda c: c.key, lambda c: True, lambda c, model: _held_column(c, model),
                lambda name, model: Column(*name, "", not model.nullable)),
    # An index behind a constraint is the constraint's.
    "indexes": (lambda i: (i.table, i.name), lambda i: not i.constraint, _same,
                lambda name, model: Index(*name, "btree", bool(model.unique), _columns_of(model))),
    # Primary keys and CHECK constraints stay the fingerprint's: their bodies are what drift compares.
    "constraints": (lambda c: (c.table, c.name), lambda c: c.kind in ("unique", "foreign key"), _same,
                    lambda name, model: Constraint(
                        *name, "unique" if isinstance(model, sa.UniqueConstraint) else "foreign key",
                        _columns_of(model))),
}


def _without_kept_tables(live: Snapshot, expected: Snapshot, kept: dict) -> Snapshot:
    """The live snapshot without the kept tables that the fingerprint does not have."""
    gone = set(kept) - {t.name for t in expected.tables}
    if not gone:
        return live

    def keep(items):
        return tuple(i for i in items if getattr(i, "table", getattr(i, "name", "")).split(".")[0] not in gone)

    return replace(live, tables=keep(live.tables), columns=keep(live.columns), constraints=keep(live.constraints),
                   indexes=keep(live.indexes), triggers=keep(live.triggers), grants=keep(live.grants),
                   policies=keep(live.policies))
