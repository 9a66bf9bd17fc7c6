"""Drift on real PostgreSQL: every single-object change to a database made by
`luna-db create` is reported, readably; benign changes report nothing.

Each case runs on its own copy of a database `luna-db create` made (CREATE
DATABASE ... TEMPLATE, so the suite stays quick); the cases are in
tests/drift_cases.py, shared with bench/drift_vs_migra.py.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import replace

import pytest
import sqlalchemy as sa

from luna_db_tools.analysis.schema.catalog import Index
from luna_db_tools.analysis.schema.compare import compare_snapshots
from luna_db_tools.analysis.schema.difference import Difference
from luna_db_tools.analysis.schema.drift import held_to_models, snapshot_drift
from luna_db_tools.analysis.schema.fingerprint import from_json, load, to_json
from luna_db_tools.command.catalog_reader import read_snapshot
from luna_db_tools.command.drift import compare_database
from luna_db_tools.db.server_version import POSTGRESQL_FEATURES
from luna_db_tools.schemas import load_models
from luna_db_tools.script.revisions import head_revision
from tests.clirunner import invoke
from tests.drift_cases import BENIGN, CHANGES, Case
from tests.pghelpers import create_database, drop_database, fetch_all, server_major

# What a Python repr looks like in a line meant for people.
_REPR = re.compile(r"<[A-Za-z_.]+ object|[A-Z][a-z]+\(|TextClause|DefaultClause|\\n")


@pytest.fixture(scope="session")
def role(pg_server):
    name = f"lt_role_{uuid.uuid4().hex[:8]}"
    fetch_all(pg_server, pg_server.admin_database, f"CREATE ROLE {name}")
    yield name
    # The grants died with the case databases; the role can go now.
    fetch_all(pg_server, pg_server.admin_database, f"DROP ROLE IF EXISTS {name}")


@pytest.fixture(scope="session")
def templates(pg_server):
    """{schema: database made by `luna-db create`}, copied by each case."""
    made = {}
    for schema in ("streams", "backport3"):
        name = f"lt_tpl_{schema}_{uuid.uuid4().hex[:6]}"
        create_database(pg_server, name)
        result = invoke("create", "--schema", schema, "--dsn", pg_server.dsn(name))
        assert result.exit_code == 0, result.stderr
        made[schema] = name
    yield made
    for name in made.values():
        drop_database(pg_server, name)


@pytest.fixture
def case_db(pg_server, templates, role):
    """A function that makes a copy of the schema's template with a case's change applied."""
    made = []

    def make(case: Case) -> str:
        name = f"lt_{uuid.uuid4().hex[:12]}"
        fetch_all(pg_server, pg_server.admin_database, f'CREATE DATABASE "{name}" TEMPLATE "{templates[case.schema]}"')
        made.append(name)
        for statement in case.statements:
            fetch_all(pg_server, name, statement.format(role=role, database=name))
        return name

    yield make
    for name in made:
        drop_database(pg_server, name)
    fetch_all(pg_server, pg_server.admin_database, "DROP SCHEMA IF EXISTS lt_other CASCADE")


def drift(server, database: str, schema: str) -> list[Difference]:
    engine = sa.create_engine(server.url(database), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            return compare_database(connection, load_models(schema).metadata)
    finally:
        engine.dispose()


def _skip_unless_the_server_has(server, case: Case) -> None:
    if case.needs is None:
        return
    first, instead = POSTGRESQL_FEATURES[case.needs]
    major = server_major(server)
    if major < first:
        pytest.skip(f"PostgreSQL {major} has no {case.needs} (first in {first}; luna-db: {instead})")


def test_there_are_many_cases_of_every_kind_in_both_schemas():
    assert len(CHANGES) > 100 and len(BENIGN) >= 30
    assert {c.schema for c in CHANGES} == {c.schema for c in BENIGN} == {"streams", "backport3"}
    assert len({c.id for c in CHANGES + BENIGN}) == len(CHANGES + BENIGN)


@pytest.mark.pgversions
@pytest.mark.pgedges
@pytest.mark.parametrize("case", CHANGES, ids=lambda c: c.id)
def test_a_change_is_reported_in_one_readable_line(pg_server, case_db, case):
    _skip_unless_the_server_has(pg_server, case)
    found = drift(pg_server, case_db(case), case.schema)
    assert case.expect in {(d.kind, d.object) for d in found}, [str(d) for d in found]
    for difference in found:
        line = str(difference)
        assert "\n" not in line and not _REPR.search(line), line


@pytest.mark.pgversions
@pytest.mark.pgedges
@pytest.mark.parametrize("case", BENIGN, ids=lambda c: c.id)
def test_a_benign_change_reports_nothing(pg_server, case_db, case):
    _skip_unless_the_server_has(pg_server, case)
    assert drift(pg_server, case_db(case), case.schema) == []


def test_the_default_of_the_issue_reads_as_sql(pg_server, case_db):
    case = next(c for c in CHANGES if c.id == "default-now")
    found = {(d.kind, d.object): d.detail for d in drift(pg_server, case_db(case), case.schema)}
    assert found[("default", "stream.create_time")] == (
        "timezone('utc'::text, now()) in the models, now() in the database")


@pytest.mark.pgversions
@pytest.mark.parametrize("schema", ["streams", "backport3"])
def test_a_fresh_database_matches_its_head_fingerprint_exactly(pg_server, templates, schema):
    engine = sa.create_engine(pg_server.url(templates[schema]), poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        live = read_snapshot(connection)
    engine.dispose()
    expected = load(schema, head_revision(schema))
    assert compare_snapshots(expected, live) == []
    assert to_json(live) == to_json(expected)
    # The round trip through JSON keeps every field, tuples included.
    assert from_json(to_json(live), live.schema) == live


def test_the_structural_key_of_an_index_ignores_its_name():
    one = Index("stream", "ix_stream_status", "btree", False, ("status",))
    other = Index("stream", "stream_status_idx", "btree", False, ("status",))
    assert one.key == other.key and one != other
    assert Index("stream", "x", "hash", False, ("status",)).key != one.key


@pytest.mark.parametrize("schema", ["streams", "backport3"])
def test_the_models_as_shipped_leave_the_head_fingerprint_as_it_is(schema):
    fingerprint = load(schema, head_revision(schema))
    assert held_to_models(fingerprint, load_models(schema).metadata) == fingerprint


def test_a_model_changed_without_a_migration_is_drift_without_a_database():
    """The fingerprint is held to the models by name: a column they add, a type or a
    nullability they change, an index they drop, with no revision saying so."""
    models = sa.MetaData()
    for table in load_models("streams").metadata.tables.values():
        table.to_metadata(models)
    models.tables["stream"].append_column(sa.Column("priority", sa.Integer))
    models.tables["log"].c.status.type = sa.String(32)
    models.tables["log"].c.error.nullable = False
    models.tables["stream"].indexes.remove(next(i for i in models.tables["stream"].indexes if i.name == "ix_stream_status"))
    fingerprint = load("streams", head_revision("streams"))
    found = {(d.kind, d.object): d.detail for d in snapshot_drift(fingerprint, fingerprint, models)}
    assert found == {
        ("missing column", "stream.priority"): "",
        ("type", "log.status"): "character varying(32) in the models, character varying(16) in the database",
        ("nullable", "log.error"): "NOT NULL in the models, NULL in the database",
        ("extra index", "stream.ix_stream_status"): "btree (status)",
    }


# --- view options and row-level security policies ---------------------------------------------


def test_view_options_and_policies_read_as_one_line_each(pg_server, case_db):
    """What an operator reads: the option the database has and the models do not, the policy as
    CREATE POLICY writes it, and row-level security turned on, each its own line."""
    case = Case("options-and-policy", "streams", (
        "ALTER VIEW stream_view SET (security_barrier = true)",
        "ALTER TABLE stream ENABLE ROW LEVEL SECURITY",
        "CREATE POLICY p_tenant ON stream USING (account_id = current_setting('app.account_id'))",
    ))
    lines = {str(d) for d in drift(pg_server, case_db(case), "streams")}
    assert lines == {
        "view options: stream_view (none in the models, security_barrier=true in the database)",
        "row-level security: stream (off in the models, on in the database)",
        "extra policy: stream.p_tenant (AS PERMISSIVE FOR ALL TO public USING"
        " (account_id::text = current_setting('app.account_id'::text)))",
    }


def test_a_changed_policy_is_drift_in_each_property(pg_server, case_db, role):
    """Two snapshots of the same database, before and after ALTER POLICY: what changed, by name."""
    case = Case("policy-then-altered", "streams", (
        "CREATE POLICY p_open ON log FOR SELECT USING (true)",))
    database = case_db(case)
    engine = sa.create_engine(pg_server.url(database), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            before = read_snapshot(connection)
            connection.execute(sa.text(f"ALTER POLICY p_open ON log TO {role} USING (status <> 'done')"))
            after = read_snapshot(connection)
            connection.rollback()
    finally:
        engine.dispose()
    assert {(d.kind, d.object, d.detail) for d in compare_snapshots(before, after)} == {
        ("policy roles", "log.p_open", f"(public) in the models, ({role}) in the database"),
        ("policy USING", "log.p_open", "true in the models, status::text <> 'done'::text in the database"),
    }
    # A fingerprint keeps the policy (and reads back the same); one without policies means none.
    assert from_json(to_json(after)) == replace(after, schema="")
    assert '"policies"' not in to_json(before.__class__(before.schema, tables=before.tables))


def test_a_views_check_option_is_compared(pg_server, case_db):
    """WITH CHECK OPTION needs an updatable view (neither shipped view is one): a view of one
    table, its check option changed from LOCAL to CASCADED between two snapshots."""
    case = Case("check-option", "streams", (
        "CREATE VIEW pending_log AS SELECT * FROM log WHERE status = 'pending' WITH LOCAL CHECK OPTION",))
    engine = sa.create_engine(pg_server.url(case_db(case)), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            before = read_snapshot(connection)
            connection.execute(sa.text("ALTER VIEW pending_log SET (check_option = cascaded)"))
            after = read_snapshot(connection)
            connection.rollback()
    finally:
        engine.dispose()
    assert [str(d) for d in compare_snapshots(before, after)] == [
        "view options: pending_log (check_option=local in the models, check_option=cascaded in the database)"]


def test_a_view_option_dropped_again_is_no_drift(pg_server, case_db):
    case = Case("view-option-reset", "streams", (
        "ALTER VIEW stream_view SET (security_barrier = true)", "ALTER VIEW stream_view RESET (security_barrier)"))
    assert drift(pg_server, case_db(case), "streams") == []
