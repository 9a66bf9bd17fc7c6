"""The running release keeps working: its workload replayed on each revision, in `check` and the dry run.

The workload is generated from a revision's catalog snapshot (pure, tested
here without a database), then replayed on real PostgreSQL: on the
project's own histories (only b0002 breaks the running release, and accepts
it), on a migrations copy holding one revision per kind of break (each found,
naming its table, column and the server's reason) and per kind of safe
change (none found), and in `upgrade --dry-run`.
"""

from __future__ import annotations

import json
import uuid

import pytest
import sqlalchemy as sa
from alembic import command

from luna_db_tools.analysis.release_values import column_values
from luna_db_tools.analysis.release_workload import parents_first, release_workload
from luna_db_tools.analysis.schema import fingerprint
from luna_db_tools.analysis.schema.catalog import Column, Constraint, Snapshot, Table
from tests.clirunner import invoke
from tests.pghelpers import drop_database, fetch_all
from tests.test_check import add_revision, migrations_copy  # noqa: F401 (a fixture)

# --- the workload, from a snapshot (no database) ------------------------------------


def _values(type_: str, checks: tuple[str, ...] = (), name: str = "c"):
    snapshot = Snapshot("s", tables=(Table("t"),), columns=(Column("t", name, type_, True),),
                        constraints=tuple(Constraint("t", f"ck{i}", "check", (name,), d) for i, d in enumerate(checks)))
    return column_values(snapshot, snapshot.columns[0])


def test_values_are_at_the_full_width_and_range_of_each_type():
    assert _values("character varying(36)").insert == "'" + "x" * 36 + "'"
    assert _values("integer").insert == str(2**31 - 1) and _values("integer").update == str(-(2**31))
    assert _values("smallint").insert == "32767" and _values("bigint").insert == str(2**63 - 1)
    assert _values("numeric(6,2)").insert == "9999.99"
    assert _values("boolean").insert == "true" and _values("boolean").update == "false"
    assert _values("timestamp(3) without time zone").insert == "'9999-12-31 23:59:59.999'"
    assert _values("some_extension_type") is None


def test_values_stay_inside_the_columns_checks():
    listed = _values("character varying(16)", ("CHECK (c::text = ANY (ARRAY['a'::character varying, 'b''s'::character varying]::text[]))",))
    assert listed.allowed == ("'a'", "'b''s'") and (listed.insert, listed.update) == ("'a'", "'b''s'")
    assert _values("smallint", ("CHECK (c = ANY (ARRAY[0, 1, 2]))",)).allowed == ("0", "1", "2")
    bounded = _values("integer", ("CHECK (c >= 0 AND c < 100)",))
    assert (bounded.insert, bounded.update) == ("99", "0")
    assert _values("character varying(128)", ("CHECK (length(c::text) <= 10)",)).insert == "'" + "x" * 10 + "'"


def test_parents_come_first_and_children_take_the_parents_key():
    snapshot = fingerprint.load("backport3", "b0001")
    order = parents_first(snapshot)
    assert order.index("account") < order.index("person") < order.index("list_person")
    insert = {s.table: s.sql for s in release_workload(snapshot) if s.verb == "INSERT"}
    account_id = "'" + "x" * 36 + "'"
    assert f"VALUES ({account_id}" in insert["account"] and account_id in insert["person"]
    verbs = [s.verb for s in release_workload(snapshot)]
    # every table written, read back, updated and deleted; deletes last, children first
    assert verbs.count("INSERT") == verbs.count("DELETE") == len(snapshot.tables)
    deletes = [s.table for s in release_workload(snapshot) if s.verb == "DELETE"]
    assert deletes.index("list_person") < deletes.index("person") < deletes.index("account")


def test_every_view_is_read_by_its_column_names():
    snapshot = fingerprint.load("streams", "s0004")
    reads = [s for s in release_workload(snapshot, {"stream_view": ("stream_id", "name")}) if s.table == "stream_view"]
    assert [s.sql for s in reads] == ['SELECT "stream_id", "name" FROM "stream_view"']


# --- the project's own histories ----------------------------------------------------


@pytest.mark.pgversions
@pytest.mark.parametrize("schema", ["streams", "backport3"])
def test_each_revisions_own_workload_runs_clean_on_its_own_schema(fresh_db, schema):
    """Nothing of the generated workload fails where it comes from: every failure later is a break."""
    from luna_db_tools.command.catalog_reader import read_snapshot
    from luna_db_tools.command.running_release import ReleaseWalk
    from luna_db_tools.runtime.environment import make_config

    revisions = fingerprint.revisions(schema)
    engine = sa.create_engine(fresh_db.url, poolclass=sa.pool.NullPool)
    breaks = {}
    with engine.connect() as connection:
        walk = ReleaseWalk(connection)
        for revision in revisions:
            connection.commit()
            command.upgrade(make_config(schema, connection=connection), revision)
            connection.commit()
            found = walk.at(revision, read_snapshot(connection), last=revision == revisions[-1])
            breaks[revision] = sorted({f.object for f in found})
        rows = connection.execute(sa.text("SELECT count(*) FROM account" if schema == "backport3" else "SELECT count(*) FROM stream"))
        assert rows.scalar() == 0  # each replay rolled back
    assert walk.unjudged == {}
    expected = {revision: [] for revision in revisions}
    if schema == "backport3":
        expected["b0002"] = ["account.email", "account.organization_name", "account.password", "account_token.token_info"]
    assert breaks == expected


# --- a history with one revision per kind of break, and per kind of safe change -------

BREAKING = [
    # (revision, upgrade, downgrade, object, words of the server's reason)
    ("s9rename", "op.alter_column('stream', 'description', new_column_name='summary')",
     "op.alter_column('stream', 'summary', new_column_name='description')",
     "stream.description", 'column "description" of relation "stream" does not exist'),
    ("s9drop", "op.drop_column('log', 'error')", "op.add_column('log', sa.Column('error', sa.Text))",
     "log.error", 'column "error" of relation "log" does not exist'),
    ("s9required", "op.add_column('log', sa.Column('severity', sa.Integer, nullable=False))",
     "op.drop_column('log', 'severity')", "log.severity", 'null value in column "severity"'),
    ("s9narrow", "op.alter_column('log', 'status', type_=sa.String(8), existing_type=sa.String(16))",
     "op.alter_column('log', 'status', type_=sa.String(16), existing_type=sa.String(8))",
     "log.status", "value too long for type character varying(8)"),
    ("s9check", "op.create_check_constraint('ck_restart_attempts', 'restart', 'attempt_count < 100')",
     "op.drop_constraint('ck_restart_attempts', 'restart')",
     "restart.attempt_count", 'violates check constraint "ck_restart_attempts"'),
    ("s9dropview", "op.execute('DROP VIEW group_view')", "pass", "group_view", 'relation "group_view" does not exist'),
    ("s9table", "op.rename_table('single_process_lock', 'process_lock')",
     "op.rename_table('process_lock', 'single_process_lock')",
     "single_process_lock", 'relation "single_process_lock" does not exist'),
]
SAFE = [
    ("s9nullable", "op.add_column('log', sa.Column('note', sa.String(64)))", "op.drop_column('log', 'note')"),
    ("s9default", "op.add_column('log', sa.Column('weight', sa.Integer, nullable=False, server_default='0'))",
     "op.drop_column('log', 'weight')"),
    ("s9widen", "op.alter_column('log', 'status', type_=sa.String(64), existing_type=sa.String(8))",
     "op.alter_column('log', 'status', type_=sa.String(8), existing_type=sa.String(64))"),
    ("s9index", "op.create_index('ix_log_note', 'log', ['note'])", "op.drop_index('ix_log_note', table_name='log')"),
]


def test_each_kind_of_break_is_found_and_no_safe_change_is(fresh_db, migrations_copy):  # noqa: F811
    below = "s0005"
    for revision, upgrade, downgrade, *_ in BREAKING + SAFE:
        add_revision(migrations_copy, revision, below, upgrade, downgrade)
        below = revision
    accepted = migrations_copy / "versions" / "streams" / "s9dropview.py"
    accepted.write_text(accepted.read_text() + "# luna-db check: accept breaks-running-release group_view -- a test\n")

    result = invoke("check", "--schema", "streams", "--dsn", fresh_db.dsn, "--json", "--migrations-dir", str(migrations_copy))
    report = json.loads(result.stdout)
    assert "breaks-running-release" in report["checks"]
    found = {(f["revision"], f["object"]): f for f in report["findings"] if f["kind"] == "breaks-running-release"}
    assert set(found) == {(revision, name) for revision, _, _, name, _ in BREAKING}
    for revision, _, _, name, reason in BREAKING:
        assert reason in found[(revision, name)]["message"], found[(revision, name)]
    assert found[("s9dropview", "group_view")]["accepted"] is True
    assert found[("s9dropview", "group_view")]["reason"] == "a test"
    assert result.exit_code == 1

    text = invoke("check", "--schema", "streams", "--dsn", fresh_db.dsn, "--migrations-dir", str(migrations_copy)).stdout
    line = next(line for line in text.splitlines() if line.startswith("breaks-running-release [s9rename]"))
    assert "INSERT into stream fails" in line
    assert 'expand/contract way (README, "Writing migrations: keep the running release working")' in line


# --- the dry run ---------------------------------------------------------------------


@pytest.mark.pgversions
def test_the_dry_run_says_which_step_breaks_the_running_release(fresh_db):
    assert invoke("upgrade", "b0001", "--schema", "backport3", "--dsn", fresh_db.dsn).exit_code == 0
    databases_before = {r[0] for r in fetch_all(fresh_db.server, "postgres", "SELECT datname FROM pg_database")}
    document = json.loads(invoke("upgrade", "--dry-run", "--json", "--schema", "backport3", "--dsn", fresh_db.dsn).stdout)
    verdicts = {step["revision"]: step["running_release"] for step in document["steps"]}
    assert verdicts["b0003"] == verdicts["b0004"] == {"breaks": False, "failures": []}
    assert verdicts["b0002"]["breaks"] is True
    first = verdicts["b0002"]["failures"][0]
    assert (first["statement"], first["columns"]) == ("INSERT into account", ["password"])
    assert 'column "password" of relation "account" does not exist' in first["reason"]

    text = invoke("upgrade", "--dry-run", "--schema", "backport3", "--dsn", fresh_db.dsn).stdout.splitlines()
    assert ('  ! stop every instance of the running release before this revision: INSERT into account fails: '
            'column "password" of relation "account" does not exist') in text
    assert "  - the running release keeps working" in text
    assert text[-1] == ("the running release breaks at b0002: stop every instance of it before that revision "
                        "(no rolling upgrade)")
    # The live database was only read, and the scratch database is gone.
    assert [r[0] for r in fetch_all(fresh_db.server, fresh_db.name, "SELECT version_num FROM alembic_version")] == ["b0001"]
    assert {r[0] for r in fetch_all(fresh_db.server, "postgres", "SELECT datname FROM pg_database")} == databases_before


def test_the_dry_run_of_a_rolling_upgrade_says_the_running_release_keeps_working(fresh_db):
    assert invoke("upgrade", "s0002", "--schema", "streams", "--dsn", fresh_db.dsn).exit_code == 0
    text = invoke("upgrade", "--dry-run", "--schema", "streams", "--dsn", fresh_db.dsn).stdout.splitlines()
    assert text.count("  - the running release keeps working") == 3
    assert text[-1] == "the running release keeps working through every step"


def test_without_the_right_to_create_a_database_the_dry_run_says_it_did_not_check(pg_server, fresh_db):
    assert invoke("upgrade", "b0001", "--schema", "backport3", "--dsn", fresh_db.dsn).exit_code == 0
    role = f"lt_nocreate_{uuid.uuid4().hex[:8]}"
    fetch_all(pg_server, "postgres", f"CREATE ROLE {role} LOGIN PASSWORD 'pw' NOCREATEDB")
    fetch_all(pg_server, fresh_db.name, f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
    try:
        dsn = f"{role}:pw@{pg_server.host}:{pg_server.port}/{fresh_db.name}"
        result = invoke("upgrade", "--dry-run", "--schema", "backport3", "--dsn", dsn)
        document = json.loads(invoke("upgrade", "--dry-run", "--json", "--schema", "backport3", "--dsn", dsn).stdout)
    finally:
        fetch_all(pg_server, fresh_db.name, f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}")
        fetch_all(pg_server, "postgres", f"DROP ROLE {role}")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "running release: not checked (no right to create a scratch database)"
    assert document["steps"][0]["running_release"] == {
        "breaks": None, "failures": [], "not_checked": "not checked (no right to create a scratch database)"}


def test_scratch_names_are_dropped_even_when_the_walk_fails(pg_server):
    """`plan_verdicts` drops its database whatever happens inside (here: a revision that does not exist)."""
    from luna_db_tools.command.running_release import plan_verdicts
    from luna_db_tools.config.dsn import HostPort
    from luna_db_tools.config.settings import DbSettings
    from luna_db_tools.script.history import PlannedStep

    before = {r[0] for r in fetch_all(pg_server, "postgres", "SELECT datname FROM pg_database")}
    settings = DbSettings("streams", "postgres", pg_server.user, pg_server.password,
                          (HostPort(pg_server.host, pg_server.port),), "postgres", {})
    with pytest.raises(Exception):  # noqa: B017 (Alembic's own error for an unknown revision)
        plan_verdicts(settings, "streams", [], [PlannedStep("s9nowhere", "", "up", "s9nowhere", None)])
    after = {r[0] for r in fetch_all(pg_server, "postgres", "SELECT datname FROM pg_database")}
    assert after == before
    for name in after - before:
        drop_database(pg_server, name)


def test_the_dry_run_of_a_downgrade_judges_the_newer_release_that_keeps_running(head_db):
    """While b0004..b0002 are reverted, the release at head still serves: what it writes must still fit."""
    db = head_db("backport3")
    document = json.loads(invoke("downgrade", "b0001", "--dry-run", "--json", "--schema", "backport3",
                                 "--dsn", db.dsn).stdout)
    verdicts = {step["revision"]: step["running_release"] for step in document["steps"]}
    assert verdicts["b0003"] == {"breaks": False, "failures": []}
    # b0004's release writes NULL into persons_list.account_id; b0003 makes it NOT NULL again.
    assert {tuple(f["columns"]) for f in verdicts["b0004"]["failures"]} >= {("account_id",)}
    assert any('null value in column "account_id"' in f["reason"] for f in verdicts["b0004"]["failures"])
    # b0002's release writes no password (NOT NULL in 0.3) and calls the token column token.
    reasons = " ".join(f["reason"] for f in verdicts["b0002"]["failures"])
    assert 'null value in column "password"' in reasons and 'column "token" of relation "account_token"' in reasons


def test_a_statement_that_fails_on_its_own_schema_is_not_judged_and_said(fresh_db, migrations_copy):  # noqa: F811
    # No value the generator writes satisfies this CHECK: s9like breaks the s0005 release (found), and
    # its own workload fails on its own schema, so s9after is not blamed for it.
    add_revision(migrations_copy, "s9like", "s0005",
                 "op.create_check_constraint('ck_log_status', 'log', \"status LIKE 'st-%'\")",
                 "op.execute('ALTER TABLE log DROP CONSTRAINT ck_log_status')")
    add_revision(migrations_copy, "s9after", "s9like", "op.add_column('restart', sa.Column('note', sa.String(64)))",
                 "op.drop_column('restart', 'note')")
    result = invoke("check", "--schema", "streams", "--dsn", fresh_db.dsn, "--json", "--migrations-dir", str(migrations_copy))
    found = {(f["revision"], f["object"]) for f in json.loads(result.stdout)["findings"] if f["kind"] == "breaks-running-release"}
    assert found == {("s9like", "log.status")}, result.stdout + result.stderr
    assert "running release of s9like: 1 statement(s) fail on its own schema already, not judged" in result.stderr
    assert 'INSERT into log: new row for relation "log" violates check constraint' in result.stderr
