"""Drift: every difference between a live database and the models, one engine per dialect.

PostgreSQL: the live catalog snapshot against the head revision's
fingerprint held to the models (analysis/schema/drift.py). Elsewhere
(Oracle): Alembic's `compare_metadata` against the models, plus named CHECK
constraints and views (analysis/schema/alembic_drift.py). This module is the
one place that picks the engine.

`schema_drift` is drift against the shipped models: on PostgreSQL it loads
neither the models nor the ORM nor Alembic (the shipped models leave the
head fingerprint as it is), which is most of what `status` would cost.
"""

from __future__ import annotations

import warnings

import sqlalchemy as sa

from ..analysis.schema import fingerprint
from ..analysis.schema.catalog import Snapshot
from ..analysis.schema.difference import Difference
from ..analysis.schema.drift import shipped_drift, snapshot_drift
from ..db.catalog_queries import table_names
from ..errors import OperationFailed
from ..models.kept import KEPT_TABLES
from ..schemas import load_models
from ..script.revisions import head_revision
from .catalog_reader import read_snapshot


def compare_database(connection, metadata, schema: str | None = None,
                     live: Snapshot | None = None) -> list[Difference]:
    """Every difference between the database behind `connection` and `metadata`.

    `schema` ("streams", "backport3") picks the fingerprint; found from
    `metadata` when not given. `live`: the snapshot the command already read
    of this database (PostgreSQL), so the catalog is read once per run.
    """
    if connection.dialect.name == "postgresql":
        expected = _head_fingerprint(metadata, schema)
        return snapshot_drift(expected, live if live is not None else read_snapshot(connection), metadata)
    return _alembic_drift(connection, metadata)


def schema_drift(connection, schema: str) -> list[Difference]:
    """Every difference between the database behind `connection` and the shipped models of `schema`.

    The same differences as `compare_database(connection, load_models(schema).metadata, schema)`.
    """
    if connection.dialect.name == "postgresql":
        return shipped_drift(_head_fingerprint(None, schema), read_snapshot(connection), KEPT_TABLES[schema])
    return _alembic_drift(connection, load_models(schema).metadata)


def _head_fingerprint(metadata, schema: str | None) -> Snapshot:
    if schema is None:
        schema = next((s for s in ("streams", "backport3") if load_models(s).metadata is metadata), None)
    if schema is None:
        raise OperationFailed("drift compares the models of streams or backport3; these are neither")
    head = head_revision(schema)
    found = fingerprint.load(schema, head)
    if found is None:
        raise OperationFailed(f"no fingerprint of {schema} {head} ships with this luna-db: "
                              "run `make fingerprints` to make it")
    return found


def _alembic_drift(connection, metadata) -> list[Difference]:
    # Here, not at the top: they bring the models' base (the ORM) and Alembic, which PostgreSQL's drift does without.
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from ..analysis.schema.alembic_drift import alembic_differences, named_differences, schema_objects_of

    context = MigrationContext.configure(connection, opts={
        "compare_type": True, "compare_server_default": True, "include_object": schema_objects_of(metadata),
    })
    with warnings.catch_warnings():
        # Alembic warns about reflected index options it cannot place (INCLUDE, ...): noise on stderr.
        warnings.simplefilter("ignore")
        diffs = compare_metadata(context, metadata)
    inspector = sa.inspect(connection)
    present = table_names(connection)
    checks = {table.name: {c["name"] for c in inspector.get_check_constraints(table.name)}
              for table in metadata.tables.values() if table.name in present}
    found = alembic_differences(diffs, connection.dialect, metadata)
    found += named_differences(metadata, connection.dialect.name, checks, set(inspector.get_view_names()))
    return sorted(set(found), key=lambda d: (d.object, d.kind))
