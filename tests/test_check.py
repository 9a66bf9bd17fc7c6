"""`luna-db check` and drift in `status`, on real PostgreSQL databases."""

from __future__ import annotations

import json
import shutil
import textwrap
import uuid

import pytest
import sqlalchemy as sa

from luna_db_tools.schemas import migrations_dir
from tests.clirunner import ROOT, checkout_environment, invoke


@pytest.mark.pgversions
@pytest.mark.parametrize("schema", ["streams", "backport3"])
def test_check_passes_on_the_projects_own_histories(fresh_db, schema):
    result = invoke("check", "--schema", schema, "--dsn", fresh_db.dsn, "--json")
    assert result.exit_code == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert {"single-head", "upgrade", "models-match-migrations", "stairway", "online-safety-lint"} <= set(report["checks"])
    assert all(finding["accepted"] for finding in report["findings"])
    if schema == "backport3":
        accepted = {f["object"] for f in report["findings"]}
        # b0002 by design: the credentials move out (columns dropped), token_info is renamed
        # both ways, and the downgrade restores the unique email constraint 0.3 needs;
        # b0004's SMALLINT -> INTEGER rewrite of the small handler table, and its dropped
        # UTC defaults (the service writes every time itself).
        assert accepted == {
            "account.email", "account.password", "account.organization_name",
            "account_token.token_info", "account_token.token", "account.uq_account_email", "handler.type",
            "person.create_time", "persons_list.create_time", "descriptors_list.create_time",
            "handler.create_time", "handler.last_update_time",
            # The revision pattern: b0002's copy of the small account table in the transaction
            # that drops its columns; b0004's helper CHECK dropped after SET NOT NULL (catalog only).
            "account", "account_token", "persons_list", "descriptors_list",
        }


def test_check_can_create_its_scratch_database(pg_server):
    from tests.pghelpers import drop_database

    name = "lt_check_scratch"
    drop_database(pg_server, name)
    try:
        result = invoke("check", "--schema", "backport3", "--dsn", pg_server.dsn(name), "--create-database", "--json")
        assert result.exit_code == 0, result.stderr
        assert json.loads(result.stdout)["ok"] is True
        assert "created database" in result.stderr
    finally:
        drop_database(pg_server, name)


def test_check_refuses_a_non_empty_scratch_database(head_db):
    fresh_db = head_db("streams")
    result = invoke("check", "--schema", "streams", "--dsn", fresh_db.dsn)
    assert result.exit_code == 2
    assert "empty scratch database" in result.stderr
    assert "--create-database" in result.stderr and "new name" in result.stderr
    # With --create-database on a database that exists, the hint does not offer --create-database again.
    again = invoke("check", "--schema", "streams", "--dsn", fresh_db.dsn, "--create-database")
    assert again.exit_code == 2
    assert "creates a database only when none has that name" in again.stderr


def database_names(pg_server) -> set[str]:
    from tests.pghelpers import fetch_all

    return {row[0] for row in fetch_all(pg_server, "postgres", "SELECT datname FROM pg_database")}


def test_check_without_schema_checks_both_in_databases_it_creates_and_drops_twice_in_a_row(pg_server, tmp_path):
    """The README's CI command, as written, run twice: each run passes and leaves no database behind."""
    from xml.etree import ElementTree

    from tests.pghelpers import drop_database

    name = f"lt_ci_{uuid.uuid4().hex[:8]}"
    derived = {f"{name}_streams", f"{name}_backport3"}
    try:
        for attempt in (1, 2):
            junit = tmp_path / f"check{attempt}.xml"
            result = invoke("check", "--dsn", pg_server.dsn(name), "--create-database", "--junit", str(junit))
            assert result.exit_code == 0, (attempt, result.stdout, result.stderr)
            assert "streams: 0 finding(s)" in result.stdout and "backport3: 0 finding(s)" in result.stdout
            assert not derived & database_names(pg_server) and name not in database_names(pg_server)
            root = ElementTree.parse(junit).getroot()
            suites = {suite.get("name"): suite for suite in root.iter("testsuite")}
            assert set(suites) == {"luna-db check streams", "luna-db check backport3"}
            assert int(root.get("tests")) == sum(int(s.get("tests")) for s in suites.values()) > 0
            assert root.get("failures") == "0"
            assert {case.get("classname").split(".")[0] for case in root.iter("testcase")} == {"streams", "backport3"}
    finally:
        for database in derived | {name}:
            drop_database(pg_server, database)


def test_check_without_schema_in_one_empty_database_checks_both_in_turn_and_leaves_it_empty(fresh_db):
    for _ in (1, 2):
        result = invoke("check", "--dsn", fresh_db.dsn, "--json")
        assert result.exit_code == 0, result.stderr
        document = json.loads(result.stdout)
        assert document["ok"] is True
        assert [r["schema"] for r in document["reports"]] == ["streams", "backport3"]
        assert all("stairway" in r["checks"] for r in document["reports"])
        engine = sa.create_engine(fresh_db.url, poolclass=sa.pool.NullPool)
        inspector = sa.inspect(engine)
        assert inspector.get_table_names() == [] and inspector.get_view_names() == []
        assert inspector.get_sequence_names() == []


def test_a_failed_check_leaves_the_database_as_it_found_it(fresh_db, migrations_copy):
    """An upgrade that fails half-way: what the earlier revisions built is dropped too."""
    add_revision(migrations_copy, "s9fail", "s0005", "op.execute('SELECT no_such_column FROM stream')")
    for _ in (1, 2):
        code, report = check_json(fresh_db, migrations_copy)
        assert code == 1
        assert ("upgrade-failed", "s9fail") in kinds(report)
        engine = sa.create_engine(fresh_db.url, poolclass=sa.pool.NullPool)
        assert sa.inspect(engine).get_table_names() == []


@pytest.fixture
def migrations_copy(tmp_path):
    """A temporary copy of the Alembic environment, to add revisions to."""
    copy = tmp_path / "alembic"
    shutil.copytree(migrations_dir(), copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def add_revision(copy, name: str, down: str, upgrade: str, downgrade: str = "pass") -> None:
    body = f'''\
        """{name}"""
        import sqlalchemy as sa
        from alembic import op

        revision = "{name}"
        down_revision = "{down}"
        branch_labels = None
        depends_on = None


        def upgrade():
            {upgrade}


        def downgrade():
            {downgrade}
        '''
    (copy / "versions" / "streams" / f"{name}.py").write_text(textwrap.dedent(body))


def check_json(fresh_db, copy):
    result = invoke("check", "--schema", "streams", "--dsn", fresh_db.dsn, "--json", "--migrations-dir", str(copy))
    return result.exit_code, json.loads(result.stdout)


def kinds(report):
    return {(f["kind"], f["revision"]) for f in report["findings"] if not f["accepted"]}


def test_a_forked_head_is_found(fresh_db, migrations_copy):
    add_revision(migrations_copy, "s9fork", "s0004", "op.execute('SELECT 1')")
    code, report = check_json(fresh_db, migrations_copy)
    assert code == 1
    assert ("multiple-heads", None) in kinds(report)
    assert "s9fork" in report["findings"][0]["object"]


def test_a_downgrade_that_does_not_undo_is_found(fresh_db, migrations_copy):
    add_revision(
        migrations_copy, "s9down", "s0005",
        "op.create_table('audit_note', sa.Column('id', sa.Integer, primary_key=True))",
        downgrade="pass",
    )
    code, report = check_json(fresh_db, migrations_copy)
    assert code == 1
    stairway = [f for f in report["findings"] if f["kind"] == "stairway"]
    assert stairway and stairway[0]["revision"] == "s9down"
    assert "audit_note" in stairway[0]["object"]


def test_a_blocking_index_on_an_existing_table_is_found(fresh_db, migrations_copy):
    add_revision(
        migrations_copy, "s9index", "s0005",
        "op.create_index('ix_stream_name', 'stream', ['name'])",
        downgrade="op.drop_index('ix_stream_name', table_name='stream')",
    )
    code, report = check_json(fresh_db, migrations_copy)
    assert code == 1
    assert ("require-concurrent-index-creation", "s9index") in kinds(report)
    lint = [f for f in report["findings"] if f["kind"] == "require-concurrent-index-creation"]
    assert lint[0]["object"] == "stream.ix_stream_name"
    # Its downgrade drops the index without CONCURRENTLY: linted too.
    assert ("require-concurrent-index-deletion", "s9index") in kinds(report)
    # The model does not know the index either.
    assert ("model-mismatch", "s9index") in kinds(report)


def test_an_accepted_finding_is_listed_not_failed(fresh_db, migrations_copy):
    add_revision(
        migrations_copy, "s9accept", "s0005",
        "op.drop_table('single_process_lock')  # luna-db check: accept drop-table single_process_lock -- a test",
        downgrade="pass",
    )
    _, report = check_json(fresh_db, migrations_copy)
    dropped = [f for f in report["findings"] if f["kind"] == "ban-drop-table"]
    assert dropped and dropped[0]["accepted"] is True and dropped[0]["reason"] == "a test"


def test_a_model_column_without_a_migration_is_found(fresh_db):
    """The models change in a separate process: a column no revision adds."""
    probe = (
        "import sqlalchemy as sa\n"
        "from luna_db_tools.models import streams\n"
        "streams.Stream.__table__.append_column(sa.Column('priority', sa.Integer, comment='new'))\n"
        "from luna_db_tools.cli import main\n"
        f"main(['check', '--schema', 'streams', '--dsn', {fresh_db.dsn!r}, '--json'])\n"
    )
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT,
        env=checkout_environment(bare=True), timeout=300,
    )
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    mismatches = [f for f in report["findings"] if f["kind"] == "model-mismatch"]
    assert [(f["object"], f["message"]) for f in mismatches] == [("stream.priority", "missing column")]


@pytest.mark.pgversions
def test_status_names_a_column_added_by_hand_and_a_dropped_index(head_db):
    fresh_db = head_db("streams")  # built by `luna-db create`, copied from the session's template
    assert invoke("status", "--schema", "streams", "--dsn", fresh_db.dsn).exit_code == 0
    engine = sa.create_engine(fresh_db.url, poolclass=sa.pool.NullPool)
    with engine.begin() as connection:
        connection.execute(sa.text("ALTER TABLE stream ADD COLUMN added_by_hand integer"))
        connection.execute(sa.text("DROP INDEX ix_log_stream_id_time"))
    result = invoke("status", "--schema", "streams", "--dsn", fresh_db.dsn, "--json")
    assert result.exit_code == 1
    drift = {(d["kind"], d["object"]) for d in json.loads(result.stdout)["drift"]}
    assert drift == {("extra column", "stream.added_by_hand"), ("missing index", "log.ix_log_stream_id_time")}
    plain = invoke("status", "--schema", "streams", "--dsn", fresh_db.dsn)
    assert "extra column: stream.added_by_hand" in plain.stdout


def test_junit_has_one_case_per_check_and_revision_and_fails_the_right_one(fresh_db, migrations_copy, tmp_path):
    from xml.etree import ElementTree

    add_revision(
        migrations_copy, "s9index", "s0005",
        "op.create_index('ix_stream_name', 'stream', ['name'])",
        downgrade="op.drop_index('ix_stream_name', table_name='stream')",
    )
    junit = tmp_path / "check.xml"
    result = invoke("check", "--schema", "streams", "--dsn", fresh_db.dsn, "--migrations-dir", str(migrations_copy),
                    "--junit", str(junit))
    assert result.exit_code == 1
    suite = ElementTree.parse(junit).getroot().find("testsuite")
    cases = {(case.get("classname"), case.get("name")): case for case in suite.iter("testcase")}
    assert ("streams.upgrade", "s0001") in cases and ("streams.single-head", "history") in cases
    failed = {key for key, case in cases.items() if case.find("failure") is not None}
    assert failed == {("streams.online-safety-lint", "s9index"), ("streams.models-match-migrations", "history")}
    assert suite.get("failures") == "2" and int(suite.get("tests")) == len(cases)


def test_a_widening_revision_passes_the_lint_and_a_narrowing_one_does_not(fresh_db, migrations_copy):
    """Each revision's type changes are judged against the snapshot of the revision below it:
    s9widen takes log.status from varchar(16) to varchar(64) (catalog-only), s9narrow
    from the 64 that s9widen left to 8 (a rewrite that fails on longer values)."""
    def alter(to: int, was: int) -> str:
        return f"op.alter_column('log', 'status', type_=sa.String({to}), existing_type=sa.String({was}))"

    add_revision(migrations_copy, "s9widen", "s0005", alter(64, 16), downgrade=alter(16, 64))
    add_revision(migrations_copy, "s9narrow", "s9widen", alter(8, 64), downgrade=alter(64, 8))
    code, report = check_json(fresh_db, migrations_copy)
    assert code == 1
    changes = [f for f in report["findings"] if f["kind"] == "changing-column-type"]
    judged = {(f["revision"], f["message"].split(":", 1)[0]): f for f in changes}
    widen_up, narrow_up = judged[("s9widen", "s9widen upgrade")], judged[("s9narrow", "s9narrow upgrade")]
    assert widen_up["accepted"] and widen_up["reason"] == "not a hazard: varchar(16)→varchar(64) is catalog-only"
    assert not narrow_up["accepted"] and "varchar(64)→varchar(8) narrows" in narrow_up["message"]
    # Each downgrade runs on its revision's own schema: s9widen's narrows back, s9narrow's widens.
    assert not judged[("s9widen", "s9widen downgrade")]["accepted"]
    assert judged[("s9narrow", "s9narrow downgrade")]["accepted"]
    plain = invoke("-v", "check", "--schema", "streams", "--dsn", fresh_db.dsn, "--migrations-dir", str(migrations_copy))
    assert "not a hazard: varchar(16)→varchar(64) is catalog-only" in plain.stdout
