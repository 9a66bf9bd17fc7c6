"""A type change judged against the schema it runs on (analysis/sql/type_change.py).

The verdicts are held to the server: each change runs on a real PostgreSQL
table with an index on the column, and a change judged catalog-only must
leave the table's and the index's files where they were (pg_class.relfilenode),
one judged a rewrite must move one of them. Then the lint with a schema, and
`luna-db lint FILE --schema` / without it; then `upgrade --dry-run`, which
judges against the live catalog and the types the steps before leave, held to
the server the same way.
"""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from luna_db_tools.analysis.sql.lint import lint_sql
from luna_db_tools.analysis.sql.type_change import CATALOG_ONLY, REWRITE, UNKNOWN, judge, parse_type
from tests.clirunner import invoke

# (the column's type as the catalog prints it, the change, the verdict)
CASES = [
    ("character varying(64)", "TYPE varchar(128)", CATALOG_ONLY),
    ("character varying(64)", "TYPE varchar(64)", CATALOG_ONLY),
    ("character varying(64)", "TYPE character varying", CATALOG_ONLY),
    ("character varying(64)", "TYPE text", CATALOG_ONLY),
    ("text", "SET DATA TYPE varchar", CATALOG_ONLY),
    ("numeric(10,2)", "TYPE numeric(12, 2)", CATALOG_ONLY),
    ("numeric(10,2)", "TYPE numeric", CATALOG_ONLY),
    ("timestamp(3) without time zone", "TYPE timestamp(6)", CATALOG_ONLY),
    ("character varying(64)", "TYPE varchar(32)", REWRITE),
    ("text", "TYPE varchar(100)", REWRITE),
    ("numeric(10,2)", "TYPE numeric(12,3)", REWRITE),
    ("numeric(10,2)", "TYPE numeric(8,2)", REWRITE),
    ("numeric", "TYPE numeric(10,2)", REWRITE),
    ("integer", "TYPE bigint", REWRITE),
    ("character varying(64)", "TYPE varchar(128) COLLATE \"C\"", REWRITE),
    ('character varying(64) COLLATE "C"', "TYPE varchar(128)", REWRITE),
    ("timestamp without time zone", "TYPE timestamptz", REWRITE),
]


@pytest.mark.parametrize("current, change, effect", CASES, ids=[f"{c}->{ch}" for c, ch, _ in CASES])
def test_the_verdicts(current, change, effect):
    assert judge("t.c", current, change).effect == effect


def test_an_unknown_column_is_a_hazard_that_says_so():
    verdict = judge("t.c", None, "TYPE text")
    assert verdict.effect == UNKNOWN and verdict.hazard
    assert "unknown" in verdict.reason and "--schema" in verdict.reason


def test_using_is_counted_as_a_rewrite():
    assert judge("t.c", "character varying(64)", "TYPE varchar(128) USING c").effect == REWRITE


def test_spellings_are_read_alike():
    assert parse_type("character varying(36)") == parse_type("VARCHAR(36)") == parse_type("pg_catalog.varchar (36)")
    assert parse_type("timestamp with time zone") == parse_type("timestamptz")
    assert str(parse_type("numeric(10)")) == "numeric(10,0)"


def _files(connection) -> tuple:
    return tuple(connection.execute(sa.text(
        "SELECT relfilenode FROM pg_class WHERE relname IN ('t', 't_c') ORDER BY relname")).scalars())


@pytest.mark.pgversions
@pytest.mark.parametrize("current, change, effect", CASES, ids=[f"{c}->{ch}" for c, ch, _ in CASES])
def test_the_server_agrees(fresh_db, current, change, effect):
    """Catalog-only: neither the table nor the column's index gets a new file; a rewrite: one does.
    The session's TimeZone is not UTC, where timestamp -> timestamptz does rewrite (as luna-db assumes)."""
    engine = sa.create_engine(fresh_db.url, poolclass=sa.pool.NullPool)
    with engine.begin() as connection:
        connection.execute(sa.text("SET TimeZone = 'Asia/Tokyo'"))
        connection.execute(sa.text(f"CREATE TABLE t (c {current})"))
        connection.execute(sa.text("CREATE INDEX t_c ON t (c)"))
        connection.execute(sa.text("INSERT INTO t SELECT NULL"))
        before = _files(connection)
        connection.execute(sa.text(f"ALTER TABLE t ALTER COLUMN c {change}"))
        moved = _files(connection) != before
    engine.dispose()
    assert moved == (effect == REWRITE)


# --- the lint with a schema --------------------------------------------------------------------

SCHEMA = {"stream.name": "character varying(128)", "stream.version": "integer",
          "stream.description": "character varying(512)"}


def test_a_widening_is_accepted_as_not_a_hazard_and_a_narrowing_is_not():
    widen, narrow = lint_sql(
        "ALTER TABLE stream ALTER COLUMN name TYPE varchar(256);\n"
        "ALTER TABLE stream ALTER COLUMN description TYPE varchar(256);", column_types=SCHEMA)
    assert widen.accepted == "not a hazard: varchar(128)→varchar(256) is catalog-only" and widen.not_a_hazard
    assert not narrow.accepted and "varchar(512)→varchar(256) narrows" in narrow.message
    assert narrow.object == "stream.description"


def test_varchar_to_text_int_to_bigint_and_an_unknown_column():
    text, bigint, unknown = lint_sql(
        "ALTER TABLE stream ALTER name TYPE text; ALTER TABLE stream ALTER version TYPE bigint;"
        " ALTER TABLE stream ALTER nope TYPE text;", column_types=SCHEMA)
    assert text.not_a_hazard
    assert not bigint.accepted and "integer→bigint is a different type" in bigint.message
    assert not unknown.accepted and "current type of stream.nope is unknown" in unknown.message


def test_a_type_changed_earlier_in_the_script_is_judged_as_changed():
    first, second = lint_sql("ALTER TABLE stream ALTER name TYPE varchar(256);"
                             " ALTER TABLE stream ALTER name TYPE varchar(200);", column_types=SCHEMA)
    assert first.not_a_hazard and "varchar(256)→varchar(200) narrows" in second.message


def test_one_statement_with_a_widening_and_a_narrowing_stands_on_the_narrowing():
    findings = lint_sql("ALTER TABLE stream ALTER name TYPE varchar(256), ALTER description TYPE varchar(10);",
                        column_types=SCHEMA)
    standing = [f for f in findings if not f.accepted]
    assert standing and all(f.object == "stream.description" for f in standing)


# --- luna-db lint FILE --------------------------------------------------------------------------


@pytest.fixture
def widen_and_narrow(tmp_path):
    path = tmp_path / "m.sql"
    path.write_text("ALTER TABLE stream ALTER COLUMN name TYPE varchar(256);\n"
                    "ALTER TABLE log ALTER COLUMN status TYPE varchar(8);\n")
    return path


def test_lint_file_with_schema_judges_against_its_head(widen_and_narrow):
    result = invoke("lint", "--schema", "streams", str(widen_and_narrow))
    assert result.exit_code == 1
    assert ":1: " not in result.stdout  # the widening: listed with -v only
    assert "varchar(16)→varchar(8) narrows" in result.stdout
    verbose = invoke("-v", "lint", "--schema", "streams", str(widen_and_narrow)).stdout
    assert "(accepted: not a hazard: varchar(128)→varchar(256) is catalog-only)" in verbose
    document = json.loads(invoke("lint", "--json", "--schema", "streams", str(widen_and_narrow)).stdout)
    assert [f["accepted"] for f in document["findings"]] == [
        "not a hazard: varchar(128)→varchar(256) is catalog-only", None]


def test_lint_file_finds_the_schema_its_tables_belong_to(widen_and_narrow):
    assert invoke("lint", "--json", str(widen_and_narrow)).stdout == \
        invoke("lint", "--json", "--schema", "streams", str(widen_and_narrow)).stdout


def test_lint_file_of_another_schema_does_not_know_the_types(widen_and_narrow):
    document = json.loads(invoke("lint", "--json", "--schema", "backport3", str(widen_and_narrow)).stdout)
    assert [f["accepted"] for f in document["findings"]] == [None, None]
    assert "current type of stream.name is unknown" in document["findings"][0]["message"]


# --- upgrade --dry-run ---------------------------------------------------------------------------

# r2 is judged against r1's types: its varchar(20) narrows the varchar(32) r1 set
# (against the live varchar(16) it would be a widening). `log`: no view reads it.
TWO_STEPS = [
    ("r1", "ALTER TABLE log ALTER COLUMN status TYPE varchar(32);\n"
           "ALTER TABLE log ALTER COLUMN error TYPE varchar(256);\n"),
    ("r2", "ALTER TABLE log ALTER COLUMN status TYPE varchar(20);\n"
           "ALTER TABLE log ALTER COLUMN error TYPE text;\n"),
]


def _log_file(connection) -> int:
    return connection.execute(sa.text("SELECT relfilenode FROM pg_class WHERE relname = 'log'")).scalar_one()


def test_the_dry_run_judges_against_the_live_types_as_the_steps_before_leave_them(head_db):
    """The live catalog's types (read_snapshot), row estimates from the live statistics; then
    each statement run for real: it rewrites `log` exactly when the dry run said so."""
    from luna_db_tools.analysis.impact import plan_impacts
    from luna_db_tools.analysis.schema.catalog import column_types
    from luna_db_tools.command.catalog_reader import read_snapshot
    from luna_db_tools.db.statistics import row_estimates

    db = head_db("streams")
    engine = sa.create_engine(db.url, poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        connection.execute(sa.text("INSERT INTO log (stream_id, status, error)"
                                   " SELECT 's' || i, 'pending', 'e' FROM generate_series(1, 300) i"))
        connection.commit()
        connection.execute(sa.text("ANALYZE log"))
        types, estimates = column_types(read_snapshot(connection)), row_estimates(connection)
        impacts = plan_impacts(TWO_STEPS, estimates, types)
        said = [(i.revision, i.table, i.lock, i.effect, i.rows) for step in impacts.values() for i in step]
        assert said == [("r1", "log", "ACCESS EXCLUSIVE", "catalog only", 300),
                        ("r1", "log", "ACCESS EXCLUSIVE", "rewrites", 300),
                        ("r2", "log", "ACCESS EXCLUSIVE", "rewrites", 300),
                        ("r2", "log", "ACCESS EXCLUSIVE", "catalog only", 300)]
        widen, length = impacts["r1"]
        assert widen.reason == "varchar(16)→varchar(32) is catalog-only"
        assert "catalog only (ALTER TABLE: varchar(16)→varchar(32) is catalog-only; waits at most" in widen.summary
        assert length.summary.startswith("r1: ACCESS EXCLUSIVE on log while 300 rows are rewritten (ALTER TABLE:"
                                         " text→varchar(256) imposes a length")
        assert "varchar(32)→varchar(20) narrows" in impacts["r2"][0].reason
        assert impacts["r2"][1].reason == "varchar(256)→text is catalog-only"
        assert types["log.status"] == "character varying(16)"  # the caller's types are left as read

        statements = [sql for _, script in TWO_STEPS for sql in script.splitlines()]
        for sql, impact in zip(statements, [i for step in impacts.values() for i in step], strict=True):
            before = _log_file(connection)
            connection.execute(sa.text(sql))
            assert (_log_file(connection) != before) == (impact.effect == "rewrites"), sql
        connection.rollback()
    engine.dispose()


def test_the_dry_run_of_b0004_says_why_its_type_change_rewrites_both_ways(fresh_db):
    """backport3's b0004 turns handler.type from smallint to integer (PostgreSQL only): a different
    type, a rewrite, judged from the live catalog; its downgrade is one too."""
    assert invoke("upgrade", "b0003", "--schema", "backport3", "--dsn", fresh_db.dsn).exit_code == 0
    up = json.loads(invoke("upgrade", "--dry-run", "--json", "--schema", "backport3", "--dsn", fresh_db.dsn).stdout)
    [step] = up["steps"]
    on_handler = [i for i in step["impact"] if i["reason"]]
    assert [(i["table"], i["effect"], i["reason"]) for i in on_handler] == [
        ("handler", "rewrites", "smallint→integer is a different type: the table is rewritten under ACCESS EXCLUSIVE")]
    assert all(i["reason"] is None and i["effect"] == "catalog only" for i in step["impact"] if i not in on_handler)
    text = invoke("upgrade", "--dry-run", "--schema", "backport3", "--dsn", fresh_db.dsn).stdout
    assert "rows are rewritten (ALTER TABLE: smallint→integer is a different type" in text

    assert invoke("upgrade", "--schema", "backport3", "--dsn", fresh_db.dsn).exit_code == 0
    down = json.loads(invoke("downgrade", "b0003", "--dry-run", "--json", "--schema", "backport3",
                             "--dsn", fresh_db.dsn).stdout)
    reasons = [i["reason"] for i in down["steps"][0]["impact"] if i["reason"]]
    assert reasons == ["integer→smallint is a different type: the table is rewritten under ACCESS EXCLUSIVE"]
