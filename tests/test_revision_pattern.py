"""The revision pattern in `luna-db check`: the lock table and the transaction rules."""

from __future__ import annotations

import pytest

from luna_db_tools.analysis.sql.lint import lint_revision, lint_sql
from luna_db_tools.analysis.sql.locks import statement_locks
from luna_db_tools.analysis.sql.sqltext import split_statements

# s0003 as it was before the revision pattern: the tables (foreign keys to stream) and the fill in one transaction.
OLD_S0003 = """
BEGIN;
CREATE TABLE restart (stream_id VARCHAR(36) NOT NULL, CONSTRAINT pk_restart PRIMARY KEY (stream_id),
  CONSTRAINT fk_restart_stream_id_stream FOREIGN KEY(stream_id) REFERENCES stream (stream_id) ON DELETE CASCADE);
INSERT INTO restart (stream_id) SELECT stream_id FROM stream WHERE NOT EXISTS (SELECT 1 FROM restart WHERE restart.stream_id = stream.stream_id);
UPDATE alembic_version SET version_num='s0003' WHERE alembic_version.version_num = 's0002';
COMMIT;
"""


def rules(findings):
    return sorted({(f.rule, f.object) for f in findings if f.rule in (
        "lock-held-while-moving-rows", "blocking-lock-without-short-timeout")})


def test_the_old_s0003_is_told_it_holds_stream_while_rows_move():
    found = lint_revision("s0003", OLD_S0003, "", squawk=False)
    assert rules(found) == [("blocking-lock-without-short-timeout", "stream"), ("lock-held-while-moving-rows", "stream")]
    moving = next(f for f in found if f.rule == "lock-held-while-moving-rows")
    assert "SHARE ROW EXCLUSIVE" in moving.message and moving.statement.startswith("INSERT INTO restart")


def test_the_order_does_not_matter_update_first_then_a_strong_lock():
    sql = "BEGIN;\nUPDATE stream SET status = 'restart' WHERE status = 'handler_lost';\n" \
          "SET LOCAL lock_timeout = '200ms';\nALTER TABLE stream DROP CONSTRAINT ck_stream_status;\nCOMMIT;\n"
    assert rules(lint_revision("s0004", sql, "", squawk=False)) == [("lock-held-while-moving-rows", "stream")]


def test_the_pattern_passes_catalog_step_then_batches():
    sql = """
BEGIN;
SET LOCAL lock_timeout = '200ms';
CREATE TABLE IF NOT EXISTS restart (stream_id VARCHAR(36) NOT NULL REFERENCES stream (stream_id));
COMMIT;
DO $luna$ BEGIN LOOP INSERT INTO restart (stream_id) SELECT stream_id FROM stream LIMIT 10; COMMIT; EXIT; END LOOP; END $luna$;
BEGIN;
UPDATE alembic_version SET version_num='s0003' WHERE alembic_version.version_num = 's0002';
COMMIT;
"""
    assert rules(lint_revision("s0003", sql, "", squawk=False)) == []


@pytest.mark.parametrize("timeout, flagged", [("'200ms'", False), ("'500ms'", False), ("'2s'", True), ("0", True)])
def test_a_catalog_step_needs_a_short_lock_timeout(timeout, flagged):
    sql = f"BEGIN;\nSET LOCAL lock_timeout = {timeout};\nALTER TABLE account DROP COLUMN email;\nCOMMIT;\n"
    found = rules(lint_revision("b0002", sql, "", squawk=False))
    assert (("blocking-lock-without-short-timeout", "account") in found) is flagged


@pytest.mark.parametrize("change, flagged", [("varchar(256)", True), ("varchar(64)", False)])
def test_a_widening_is_a_catalog_step_too(change, flagged):
    """The type change judged as the dry run judges it (analysis/sql/type_change): a widening is a
    catalog step, so it needs a short lock timeout; a narrowing is a rewrite, flagged by its own rule."""
    sql = f"BEGIN;\nALTER TABLE stream ALTER COLUMN name TYPE {change};\nCOMMIT;\n"
    found = lint_revision("r1", sql, "", squawk=False, column_types={"stream.name": "character varying(128)"})
    assert (("blocking-lock-without-short-timeout", "stream") in rules(found)) is flagged
    assert any(f.rule == "changing-column-type" and not f.accepted for f in found) is not flagged


def test_luna_db_lint_of_a_loose_file_does_not_judge_the_revision_pattern():
    assert rules(lint_sql(OLD_S0003, squawk=False)) == []


@pytest.mark.parametrize("sql, kind, expected", [
    ("CREATE TABLE t (id int REFERENCES stream (stream_id))", "CREATE TABLE", [("stream", "SHARE ROW EXCLUSIVE", "catalog only")]),
    ("CREATE INDEX ix ON log (stream_id)", "CREATE INDEX", [("log", "SHARE", "scans")]),
    ("CREATE INDEX CONCURRENTLY ix ON log (stream_id)", "CREATE INDEX CONCURRENTLY", [("log", "SHARE UPDATE EXCLUSIVE", "scans")]),
    ("ALTER TABLE stream ADD CONSTRAINT ck CHECK (x > 0) NOT VALID", "ALTER TABLE", [("stream", "ACCESS EXCLUSIVE", "catalog only")]),
    ("ALTER TABLE stream ADD CONSTRAINT ck CHECK (x > 0)", "ALTER TABLE", [("stream", "ACCESS EXCLUSIVE", "scans")]),
    ("ALTER TABLE stream VALIDATE CONSTRAINT ck", "ALTER TABLE", [("stream", "SHARE UPDATE EXCLUSIVE", "scans")]),
    ("ALTER TABLE log ALTER COLUMN status TYPE text", "ALTER TABLE", [("log", "ACCESS EXCLUSIVE", "rewrites")]),
    ("ALTER TABLE log ADD COLUMN n int DEFAULT random()", "ALTER TABLE", [("log", "ACCESS EXCLUSIVE", "rewrites")]),
    ("ALTER TABLE log ADD COLUMN n int DEFAULT 0", "ALTER TABLE", [("log", "ACCESS EXCLUSIVE", "catalog only")]),
    ("ALTER TABLE a ADD CONSTRAINT fk FOREIGN KEY (x) REFERENCES b (y) NOT VALID", "ALTER TABLE",
     [("a", "SHARE ROW EXCLUSIVE", "catalog only"), ("b", "SHARE ROW EXCLUSIVE", "catalog only")]),
    ("INSERT INTO restart (stream_id) SELECT stream_id FROM stream", "INSERT ... SELECT",
     [("restart", "ROW EXCLUSIVE", "moves rows"), ("stream", "ACCESS SHARE", "reads")]),
    ("UPDATE stream SET status = 'x' WHERE status = 'y'", "UPDATE", [("stream", "ROW EXCLUSIVE", "moves rows")]),
    ("TRUNCATE log", "TRUNCATE", [("log", "ACCESS EXCLUSIVE", "catalog only")]),
    ("DROP TABLE handler", "DROP TABLE", [("handler", "ACCESS EXCLUSIVE", "catalog only")]),
])
def test_the_lock_table(sql, kind, expected):
    statement = split_statements(sql)[0]
    locks = statement_locks(statement.code, statement.text)
    assert locks.kind == kind
    assert [(lock.table, lock.mode, lock.effect) for lock in locks.locks] == expected


def test_a_batched_backfill_is_read_from_its_do_block():
    sql = ("DO $luna$ BEGIN LOOP WITH batch AS (SELECT stream_id FROM stream WHERE stream_id > k LIMIT 5), "
           "moved AS (INSERT INTO restart (stream_id) SELECT stream_id FROM batch RETURNING 1) SELECT 1; END LOOP; END $luna$")
    statement = split_statements(sql)[0]
    locks = statement_locks(statement.code, statement.text)
    assert locks.batched and locks.moves_rows
    assert [(lock.table, lock.mode) for lock in locks.locks] == [("restart", "ROW EXCLUSIVE"), ("stream", "ROW SHARE")]


def test_the_impact_of_the_old_s0003_names_the_stall_before_it_happens():
    from luna_db_tools.analysis.impact import statement_impacts

    impacts = statement_impacts("s0003", OLD_S0003, {"stream": 200_000, "restart": None})
    stalls = [i.summary for i in impacts if i.held_while]
    assert stalls == ["s0003: SHARE ROW EXCLUSIVE on stream while 200k rows are copied (ROW EXCLUSIVE on restart)"]
    first = impacts[0]
    assert (first.table, first.lock, first.blocks_writers, first.effect, first.rows) == (
        "stream", "SHARE ROW EXCLUSIVE", True, "catalog only", 200_000)
