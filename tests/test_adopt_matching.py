"""Matching a database without history to its revision (analysis/schema/adopt.py), on real PostgreSQL.

Each revision of both histories is built with `luna-db upgrade`, then made to
look like LUNA's own tooling left it: no `alembic_version`, no audit table,
and every constraint and index under the name PostgreSQL picks itself
(`account_pkey`, `person_account_id_fkey`, `stream_status_idx`, ...) except
the seed's two pagination indexes, which LUNA names. The match must find
exactly that revision from the schema alone; its renames must give back the
models' names exactly; and stamped, the database must upgrade to the head
without drift.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from luna_db_tools.analysis.schema.adopt import Rename, match_revision
from luna_db_tools.analysis.schema.catalog import Constraint, Index, Snapshot
from luna_db_tools.analysis.schema.compare import compare_snapshots
from luna_db_tools.analysis.schema.fingerprint import load
from luna_db_tools.command.adopt import plan_adoption
from luna_db_tools.command.catalog_reader import read_snapshot
from luna_db_tools.script.revisions import history_order
from tests.clirunner import invoke

REVISIONS = [(schema, revision) for schema in ("streams", "backport3") for revision in history_order(schema)]
SEED_NAMES = {"create_persons_list_time_index", "create_descr_list_time_index"}
_SUFFIX = {"primary key": "pkey", "unique": "key", "foreign key": "fkey", "check": "check"}


def postgres_default_name(obj) -> str:
    """The name PostgreSQL gives a constraint or index created without one."""
    if isinstance(obj, Constraint):
        columns = obj.columns[:1] if obj.kind == "check" else obj.columns
        return "_".join([obj.table, *columns, _SUFFIX[obj.kind]]) if obj.kind != "primary key" else f"{obj.table}_pkey"
    return "_".join([obj.table, *(k.split()[0].strip('"') for k in obj.keys), "idx"])


def as_luna_tooling_leaves_it(connection) -> None:
    connection.execute(sa.text("DROP TABLE alembic_version, luna_db_audit"))
    live = read_snapshot(connection)
    for constraint in live.constraints:
        connection.execute(sa.text(Rename("constraint", constraint.table, constraint.name,
                                          postgres_default_name(constraint)).sql()))
    for index in live.indexes:
        if not index.constraint and index.name not in SEED_NAMES:
            connection.execute(sa.text(Rename("index", index.table, index.name, postgres_default_name(index)).sql()))
    connection.commit()


def build(db, schema: str, revision: str):
    result = invoke("upgrade", revision, "--schema", schema, "--dsn", db.dsn)
    assert result.exit_code == 0, result.stderr
    engine = sa.create_engine(db.url, poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        as_luna_tooling_leaves_it(connection)
    return engine


@pytest.mark.parametrize(("schema", "revision"), REVISIONS)
def test_each_revision_is_recognised_from_its_schema_alone(fresh_db, schema, revision):
    engine = build(fresh_db, schema, revision)
    with engine.connect() as connection:
        before = read_snapshot(connection)
        assert not any(c.name.startswith(("pk_", "uq_", "fk_", "ck_")) for c in before.constraints)
        adoption = plan_adoption(connection, schema)
        assert adoption.exact == (revision,), [(m.revision, [str(d) for d in m.differences]) for m in adoption.matches]
        assert adoption.nearest.revision == revision
        chosen = adoption.match(revision)
        assert chosen.renames, "the names differ, so there is something to rename"
        assert all(r.live != r.model for r in chosen.renames)
        # The renames give every object the models' name: then it is the fingerprint, names and all.
        for rename in chosen.renames:
            connection.execute(sa.text(rename.sql()))
        connection.commit()
        assert compare_snapshots(load(schema, revision), read_snapshot(connection)) == []
    engine.dispose()

    # Stamped, the adopted database takes the later revisions and ends without drift.
    assert invoke("stamp", revision, "--schema", schema, "--dsn", fresh_db.dsn).exit_code == 0
    result = invoke("upgrade", "--schema", schema, "--dsn", fresh_db.dsn)
    assert result.exit_code == 0, result.stderr
    status = invoke("status", "--json", "--schema", schema, "--dsn", fresh_db.dsn)
    assert status.exit_code == 0, status.stdout


@pytest.mark.parametrize(("schema", "change", "expect"), [
    ("streams", "ALTER TABLE stream ALTER create_time SET DEFAULT now()", ("default", "stream.create_time")),
    ("streams", "DROP INDEX stream_status_idx", ("missing index", "stream.ix_stream_status")),
    ("streams", "ALTER TABLE log ADD COLUMN extra int", ("extra column", "log.extra")),
    ("backport3", "ALTER TABLE handler DROP CONSTRAINT handler_type_check", ("missing constraint", "handler.ck_handler_type")),
    ("backport3", "CREATE INDEX ON person (user_data)", ("extra index", "person.person_user_data_idx")),
])
def test_one_changed_object_is_named_instead_of_matched(fresh_db, schema, change, expect):
    head = history_order(schema)[-1]
    engine = build(fresh_db, schema, head)
    with engine.connect() as connection:
        connection.execute(sa.text(change))
        connection.commit()
        adoption = plan_adoption(connection, schema)
    engine.dispose()
    assert adoption.exact == ()
    assert adoption.nearest.revision == head
    assert [(d.kind, d.object) for d in adoption.nearest.differences] == [expect]


def test_an_older_revision_is_told_apart_from_the_head():
    """b0001 (credentials in account) and b0003 differ by structure, whatever the names."""
    old, head = load("backport3", "b0001"), load("backport3", "b0003")
    assert not match_revision(head, old, "b0003").exact
    assert match_revision(old, old, "b0001").exact and not match_revision(old, old, "b0001").renames


def test_an_empty_schema_matches_nothing():
    adoption = plan_adoption_of(Snapshot("public"), "streams")
    assert adoption.exact == ()
    assert all(d.kind.startswith("missing ") for d in adoption.nearest.differences)


def plan_adoption_of(live: Snapshot, schema: str):
    from luna_db_tools.analysis.schema.adopt import match_history

    return match_history(live, schema, history_order(schema))


def test_renames_are_quoted_where_needed():
    assert Rename("constraint", "group", "group_pkey", "pk_group").sql() == (
        'ALTER TABLE "group" RENAME CONSTRAINT group_pkey TO pk_group')
    assert Rename("index", "stream", "stream_status_idx", "ix_stream_status").sql() == (
        "ALTER INDEX stream_status_idx RENAME TO ix_stream_status")
    assert Index("t", "a", "btree", False, ("x",)).key == Index("t", "b", "btree", False, ("x",)).key


# --- the operation (command/adopt.py), on an open connection -----------------------


@pytest.mark.pgversions
def test_adopt_renames_stamps_and_audits_an_exact_match(fresh_db):
    from luna_db_tools.command.adopt import adopt_connection
    from luna_db_tools.command.guards import needs_adoption

    engine = build(fresh_db, "backport3", "b0001")  # the pre-0.4.0 shape, credentials in account
    with engine.connect() as connection:
        assert needs_adoption(connection)
        dry = adopt_connection(connection, "backport3", dry_run=True)
        assert (dry.ok, dry.revision, dry.stamped) == (True, "b0001", False)
        assert "alembic_version" not in sa.inspect(connection).get_table_names()
        done = adopt_connection(connection, "backport3")
        assert done.stamped and done.revision == "b0001" and "exactly" in done.reason
        assert {r.live for r in done.renames} >= {"account_pkey", "person_account_id_fkey"}
        assert not needs_adoption(connection)
        row = connection.execute(sa.text("SELECT revision, direction, outcome, error FROM luna_db_audit")).one()
        assert tuple(row) == ("b0001", "adopt", "done", None)
    engine.dispose()
    result = invoke("upgrade", "--schema", "backport3", "--dsn", fresh_db.dsn)
    assert result.exit_code == 0, result.stderr
    assert invoke("status", "--schema", "backport3", "--dsn", fresh_db.dsn).exit_code == 0


@pytest.mark.pgversions
def test_adopt_writes_nothing_without_a_match_unless_forced(fresh_db):
    from luna_db_tools.command.adopt import adopt_connection

    engine = build(fresh_db, "streams", "s0003")
    with engine.connect() as connection:
        connection.execute(sa.text("ALTER TABLE stream ALTER version SET DEFAULT 2"))
        connection.commit()
        refused = adopt_connection(connection, "streams")
        assert not refused.ok and not refused.stamped and refused.revision is None
        assert "nearest is s0003" in refused.reason
        assert [str(d) for d in refused.differences] == ["default: stream.version (1 in the models, 2 in the database)"]
        assert "alembic_version" not in sa.inspect(connection).get_table_names()
        forced = adopt_connection(connection, "streams", force=True)
        assert forced.stamped and forced.revision == "s0003"
        error = connection.execute(sa.text("SELECT error FROM luna_db_audit WHERE direction = 'adopt'")).scalar_one()
        assert error.startswith("forced with 1 difference(s): default: stream.version")
    engine.dispose()


@pytest.mark.pgversions
def test_adopt_tells_an_empty_or_controlled_database_apart(fresh_db):
    from luna_db_tools.command.adopt import adopt_connection
    from luna_db_tools.errors import BadInput, OperationFailed

    engine = sa.create_engine(fresh_db.url, poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        with pytest.raises(OperationFailed, match="luna-db create"):
            adopt_connection(connection, "streams")
        with pytest.raises(BadInput, match="not a revision"):
            adopt_connection(connection, "streams", revision="b0001")
    assert invoke("create", "--schema", "streams", "--dsn", fresh_db.dsn).exit_code == 0
    with engine.connect() as connection:
        with pytest.raises(OperationFailed, match="luna-db upgrade"):
            adopt_connection(connection, "streams")
    engine.dispose()
