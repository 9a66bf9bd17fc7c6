"""One classification of each statement: the lint, the lock table and the dry run judge a statement alike."""

from __future__ import annotations

import pytest

from luna_db_tools.analysis.impact import statement_impacts
from luna_db_tools.analysis.sql import shapes
from luna_db_tools.analysis.sql.classify import classify
from luna_db_tools.analysis.sql.lint import lint_sql
from luna_db_tools.analysis.sql.locks import REWRITES, statement_locks
from luna_db_tools.analysis.sql.sqltext import split_statements


@pytest.mark.parametrize("sql", [
    "VACUUM FULL stream", "VACUUM (FULL) stream", "VACUUM (VERBOSE, FULL) stream", "VACUUM (FULL, ANALYZE) stream",
])
def test_the_lock_table_and_the_lint_agree_on_vacuum_full(sql):
    statement = split_statements(sql)[0]
    assert classify(statement).kind == shapes.VACUUM_FULL
    locks = statement_locks(statement.code, statement.text)
    assert [(lock.table, lock.mode, lock.effect) for lock in locks.locks] == [("stream", "ACCESS EXCLUSIVE", REWRITES)]
    assert [(f.rule, f.object) for f in lint_sql(sql, squawk=False)] == [("ban-vacuum-full", "stream")]


def test_vacuum_with_full_off_is_neither_locked_nor_flagged():
    sql = "VACUUM (FULL FALSE, VERBOSE) stream"
    statement = split_statements(sql)[0]
    assert statement_locks(statement.code, statement.text) is None
    assert lint_sql(sql, squawk=False) == []


@pytest.mark.parametrize("function", sorted(shapes.VOLATILE_FUNCTIONS))
def test_the_dry_run_and_the_lint_judge_a_volatile_default_alike(function):
    """uuidv7() among them: one list of volatile functions, read by both."""
    sql = f"ALTER TABLE log ADD COLUMN n uuid DEFAULT {function}()"
    impacts = statement_impacts("r1", sql, {"log": 1000})
    assert [(i.table, i.lock, i.effect) for i in impacts] == [("log", "ACCESS EXCLUSIVE", REWRITES)]
    assert [f.rule for f in lint_sql(sql, squawk=False)] == ["adding-field-with-default"]


def test_a_stable_default_is_catalog_only_for_both():
    sql = "ALTER TABLE log ADD COLUMN n timestamp DEFAULT timezone('utc', now())"
    assert [i.effect for i in statement_impacts("r1", sql, {"log": 1000})] == ["catalog only"]
    assert lint_sql(sql, squawk=False) == []


@pytest.mark.parametrize("change, effect", [("varchar(256)", "catalog only"), ("varchar(64)", REWRITES),
                                            ("text", "catalog only"), ("bigint", REWRITES)])
def test_the_dry_run_and_the_lint_judge_a_type_change_alike(change, effect):
    """One decision (analysis/sql/type_change): the lint accepts what the dry run calls catalog only."""
    types = {"stream.name": "character varying(128)"}
    sql = f"ALTER TABLE stream ALTER COLUMN name TYPE {change}"
    [impact] = statement_impacts("r1", sql, {"stream": 1000}, types)
    assert (impact.lock, impact.effect) == ("ACCESS EXCLUSIVE", effect)
    [finding] = lint_sql(sql, squawk=False, column_types=types)
    assert finding.not_a_hazard == (effect == "catalog only") and impact.reason in (finding.accepted or finding.message)


def test_a_type_change_with_a_scan_in_the_same_statement_still_scans():
    sql = "ALTER TABLE stream ALTER COLUMN name TYPE varchar(256), ADD CONSTRAINT c CHECK (version > 0)"
    [impact] = statement_impacts("r1", sql, {"stream": 1000}, {"stream.name": "character varying(128)"})
    assert (impact.effect, impact.reason) == ("scans", "varchar(128)→varchar(256) is catalog-only")


def test_without_the_types_a_type_change_still_counts_as_a_rewrite():
    [impact] = statement_impacts("r1", "ALTER TABLE stream ALTER COLUMN name TYPE varchar(256)", {"stream": 1000})
    assert impact.effect == REWRITES and "the live database has no such column" in impact.reason


def test_each_statement_is_classified_once_with_its_parts():
    statements = split_statements(
        "BEGIN; SET LOCAL lock_timeout = '200ms'; CREATE INDEX CONCURRENTLY ix ON stream (a);"
        " ALTER TABLE stream ADD COLUMN n uuid DEFAULT uuidv7(), DROP COLUMN old; COMMIT;")
    begin, timeout, index, alter, commit = (classify(s) for s in statements)
    assert (begin.transaction, commit.transaction) == (shapes.BEGIN, shapes.END)
    assert timeout.lock_timeout == (True, 200)
    assert (index.kind, index.table, index.concurrently) == (shapes.CREATE_INDEX, "stream", True)
    assert index.locks.locks[0].mode == "SHARE UPDATE EXCLUSIVE"
    assert [(a.kind, a.volatility) for a in alter.actions] == [(shapes.ADD_COLUMN, shapes.VOLATILE),
                                                                (shapes.DROP_COLUMN, None)]


def test_the_rules_are_registered_objects_with_a_name_a_message_and_a_dialect():
    from luna_db_tools.analysis.sql.oracle_rules import ORACLE
    from luna_db_tools.analysis.sql.pg_rules import PG
    from luna_db_tools.analysis.sql.txn_rules import TRANSACTION

    names = {rule.name for rule in PG.rules()}
    assert {"ban-vacuum-full", "adding-field-with-default", "ban-drop-column", "ban-drop-database"} <= names
    assert len(names) == 30
    assert {rule.name for rule in ORACLE.rules()} >= {"require-online-index-build", "require-online-table-move"}
    assert {rule.name for rule in TRANSACTION.rules()} == {
        "lock-held-while-moving-rows", "blocking-lock-without-short-timeout"}
    for registry in (PG, ORACLE, TRANSACTION):
        for rule in registry.rules():
            assert rule.dialect == registry.dialect and rule.message and rule.reads is not None
            assert rule.message == registry.rule(rule.name).message  # one message per rule name


def test_the_classification_names_columns_and_what_happens_to_rows():
    add, drop = classify(split_statements("ALTER TABLE log ADD COLUMN n int, DROP COLUMN old")[0]).actions
    assert (add.column, drop.column) == ("n", "old")
    assert classify(split_statements("VACUUM (VERBOSE, FULL) log")[0]).rows == REWRITES
    assert classify(split_statements("INSERT INTO a SELECT * FROM b")[0]).rows == "moves rows"
    assert classify(split_statements("SET search_path = streams")[0]).rows is None


def test_the_data_loss_guard_reads_the_classified_statements():
    from luna_db_tools.analysis.data_loss import destructions_in_sql

    sql = """
        INSERT INTO kept SELECT * FROM tmp;
        SELECT 'DROP TABLE not_a_statement;';
        DROP TABLE IF EXISTS tmp, streams.log CASCADE;
        ALTER TABLE ONLY stream DROP COLUMN IF EXISTS description;
        TRUNCATE TABLE ONLY restart;
        DELETE FROM location WHERE city = 'Moscow';
        DROP TABLE alembic_version;
    """
    assert [d.describe() for d in destructions_in_sql("r1", "down", sql)] == [
        "drops table log", "drops column stream.description", "deletes rows of restart",
        "deletes rows of location WHERE city = 'Moscow'",
    ]


def test_the_data_loss_guard_reads_what_a_do_block_deletes_or_drops():
    """A DO block's body is PL/pgSQL: its DELETE, TRUNCATE and DROP TABLE lines destroy rows as plainly as the script's own."""
    from luna_db_tools.analysis.data_loss import destructions_in_sql

    sql = """
        DO $$
        BEGIN
          IF EXISTS (SELECT 1 FROM stream) THEN
            DELETE FROM stream_log WHERE archived;
            TRUNCATE restart;
          END IF;
          DROP TABLE old_handler;
          PERFORM 'DELETE FROM in_a_string';
        END
        $$;
        DO $body$ BEGIN UPDATE stream SET name = ''; END $body$;
    """
    assert [d.describe() for d in destructions_in_sql("r1", "down", sql)] == [
        "deletes rows of stream_log WHERE archived", "deletes rows of restart", "drops table old_handler",
    ]
