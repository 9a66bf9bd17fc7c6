"""The Oracle scripts a DBA runs in SQL*Plus or SQLcl, read statement by statement.

Every script (`create --sql`, `upgrade --sql` base->head, `downgrade --sql`
head->base) of both schemas is split at SQL*Plus's `/` lines and each
statement parsed with sqlglot's Oracle reader; the Oracle rules (types,
'' defaults, identifier lengths, UTC defaults, no feature newer than the
schema's Oracle) are asserted on the parse trees. The rendered scripts of both
dialects are kept in tests/snapshots/, so that a change to the DDL shows in
review: `LUNA_DB_UPDATE_SNAPSHOTS=1 make test` rewrites them.

sqlglot is lenient: it reads PostgreSQL-isms (CONCURRENTLY, NOT VALID,
ADD COLUMN) as Oracle without a word. So each script is also parsed by
sqlfluff's oracle dialect, a stricter grammar, once per script (sqlfluff is
slow), with the SQL*Plus directives stripped first.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from luna_db_tools import __version__
from luna_db_tools.runtime import rerun
from luna_db_tools.script import history as schema_history
from tests.sqlscripts import (
    DIALECTS,
    KINDS,
    SCHEMAS,
    as_plain_sql,
    render,
    sqlfluff_parse,
    statements,
    without_version,
)

SNAPSHOTS = Path(__file__).parent / "snapshots"
MAX_IDENTIFIER = 30

# Valid Oracle that sqlglot 30 cannot read (it falls back to a bare Command):
# each form is allowed by an exact pattern, nothing looser.
UNPARSED_FORMS = [
    re.compile(r"ALTER TABLE \w+ RENAME CONSTRAINT \w+ TO \w+"),
    re.compile(r"ALTER TABLE \w+ MODIFY \w+ DEFAULT NULL"),
    re.compile(r"ALTER TABLE \w+ MODIFY \w+ (NOT )?NULL"),
    # A time's UTC default set back (backport3 b0004's downgrade): Oracle's own spelling only.
    re.compile(r"ALTER TABLE \w+ MODIFY \w+ DEFAULT SYS_EXTRACT_UTC\(SYSTIMESTAMP\)"),
]


def oracle_statements():
    for schema in SCHEMAS:
        for kind in KINDS:
            for number, statement in enumerate(statements(render(schema, "oracle", kind), "oracle"), 1):
                yield pytest.param(schema, statement, id=f"{schema}-{kind}-{number}")


def parse(statement: str) -> exp.Expression | None:
    """The statement's parse tree; None for an allowed form sqlglot cannot read."""
    parsed = sqlglot.parse_one(statement, read="oracle")
    if isinstance(parsed, exp.Command):
        assert any(form.fullmatch(statement) for form in UNPARSED_FORMS), f"sqlglot cannot read: {statement}"
        return None
    return parsed


@pytest.mark.parametrize("schema, statement", list(oracle_statements()))
def test_every_oracle_statement_parses_and_is_true_to_oracle(schema, statement):
    assert not statement.endswith(";"), "SQL*Plus ends a statement with '/', a ';' would be a syntax error"
    for keyword in ("RETURNING", "CONCURRENTLY", "IF EXISTS", "IF NOT EXISTS", "DEFAULT ''"):
        # No value comes back in a script; no PostgreSQL-only or 23ai-only
        # clause; and '' is NULL on Oracle (see models.base.EmptyString).
        assert keyword not in statement.upper(), statement
    tree = parse(statement)
    if tree is None:
        return
    for identifier in tree.find_all(exp.Identifier):
        assert len(identifier.name) <= MAX_IDENTIFIER, f"{identifier.name}: longer than Oracle 12.1 allows"
        if identifier.name.lower() == "group":
            assert identifier.quoted, f'"group" is a reserved word and must be quoted: {statement}'
    for data_type in tree.find_all(exp.DataType):
        assert data_type.this not in (exp.DataType.Type.BOOLEAN, exp.DataType.Type.JSON), statement
        if data_type.this == exp.DataType.Type.VARCHAR:
            assert data_type.sql("oracle").endswith(" CHAR)"), f"character, not byte, lengths: {data_type.sql()}"
    for column in tree.find_all(exp.ColumnDef):
        _assert_utc_default(column)
    if isinstance(tree, exp.Create) and tree.kind == "VIEW":
        assert tree.args.get("replace"), "views are CREATE OR REPLACE on Oracle"
    if schema == "backport3":
        # Backport 3 needs nothing newer than Oracle 11.2.
        assert not list(tree.find_all(exp.GeneratedAsIdentityColumnConstraint)), statement
        assert "FETCH FIRST" not in statement.upper()


def _assert_utc_default(column: exp.ColumnDef) -> None:
    """Every time column defaults to the current UTC time, Oracle's way."""
    if column.args["kind"].this != exp.DataType.Type.TIMESTAMP:
        return
    for constraint in column.args.get("constraints") or []:
        if isinstance(constraint.args.get("kind"), exp.DefaultColumnConstraint):
            assert constraint.sql("oracle") == "DEFAULT SYS_EXTRACT_UTC(SYSTIMESTAMP)", column.sql("oracle")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("schema", SCHEMAS)
def test_oracle_scripts_run_as_written_in_sqlplus(schema, kind):
    """A header naming what the script does, stop on the first error, the version table kept."""
    script = render(schema, "oracle", kind)
    lines = script.splitlines()
    assert lines[0].startswith(f"-- luna-db {__version__}: {schema} schema, {kind}")
    assert lines[0].endswith("for oracle")
    # EXIT FAILURE, not SQL.SQLCODE: a shell sees the code modulo 256 (ORA-01536 would exit 0).
    assert lines[1] == "WHENEVER SQLERROR EXIT FAILURE ROLLBACK"
    assert "SET DEFINE OFF" in lines[:4], "'&' in a literal must not prompt for a substitution variable"
    # Every statement ends at a '/' line of its own; nothing dangles after the last one.
    assert script.rstrip().endswith("/")
    head = schema_history.heads(schema)[0]
    # Every script writes the version table, so it ends with an explicit COMMIT.
    assert script.rstrip().endswith("COMMIT\n/")
    if kind == "create":
        assert f"INSERT INTO alembic_version (version_num) VALUES ('{head}')" in script
    elif kind == "upgrade":
        assert "CREATE TABLE alembic_version" in script
        assert f"UPDATE alembic_version SET version_num='{head}'" in script
    else:
        assert "DELETE FROM alembic_version" in script


def test_streams_uses_an_identity_column_and_so_needs_oracle_12c():
    """The one thing that keeps streams off 11.2; README's Oracle notes say so."""
    script = render("streams", "oracle", "create")
    assert "log_id NUMBER(19) GENERATED BY DEFAULT AS IDENTITY" in script
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    assert "12c" in readme and "identity" in readme


def snapshot_cases():
    for schema in SCHEMAS:
        for db_type in DIALECTS:
            for kind in KINDS:
                yield pytest.param(schema, db_type, kind, id=f"{schema}.{kind}.{db_type}")


@pytest.mark.parametrize("schema, db_type, kind", list(snapshot_cases()))
def test_rendered_scripts_match_their_reviewed_snapshots(schema, db_type, kind):
    """A DDL change must show in review as a change to tests/snapshots/."""
    path = SNAPSHOTS / f"{schema}.{kind}.{db_type}.sql"
    rendered = without_version(render(schema, db_type, kind))
    if os.environ.get("LUNA_DB_UPDATE_SNAPSHOTS"):
        path.write_text(rendered)
    assert path.exists(), f"no snapshot {path.name}: run LUNA_DB_UPDATE_SNAPSHOTS=1 make test and review it"
    assert rendered == path.read_text(), (
        f"{path.name} differs from the rendered script: review the change, then "
        "LUNA_DB_UPDATE_SNAPSHOTS=1 make test to accept it"
    )


def migration_statements():
    for schema in SCHEMAS:
        for kind in ("upgrade", "downgrade"):
            for number, statement in enumerate(statements(render(schema, "oracle", kind), "oracle"), 1):
                if "alembic_version" not in statement:  # Alembic's own, in the step's transaction
                    yield pytest.param(statement, id=f"{schema}-{kind}-{number}")


@pytest.mark.parametrize("statement", list(migration_statements()))
def test_every_oracle_migration_statement_can_be_rerun(statement):
    """Oracle commits each DDL statement: a revision left part-applied is completed by a rerun
    only if each of its statements either repeats harmlessly or has an "already done" error."""
    assert rerun.is_rerunnable(statement), f"no rerun rule for: {statement[:200]}"


def test_already_done_errors_are_matched_to_their_statements():
    assert rerun.already_done_codes('CREATE TABLE "group" (x INTEGER)') == {955}
    assert rerun.already_done_codes("ALTER TABLE account ADD CONSTRAINT uq_a UNIQUE (email)") >= {2261, 2264}
    assert rerun.already_done_codes("ALTER TABLE account ADD email VARCHAR2(64 CHAR)") == {1430}
    assert rerun.already_done_codes("DROP INDEX ix_log_stream_id_time") == {1418}
    # A plain INSERT would add the rows twice: it is not rerunnable.
    assert not rerun.is_rerunnable("INSERT INTO restart (stream_id) SELECT stream_id FROM stream")
    assert not rerun.already_done_codes("INSERT INTO restart (stream_id) SELECT stream_id FROM stream")
    # A single keyed row: a duplicate key means the first run inserted it.
    assert rerun.already_done_codes("INSERT INTO single_process_lock (lock_name) VALUES ('streams_master')") == {1}


# --- a second, stricter Oracle grammar: sqlfluff ------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("schema", SCHEMAS)
def test_every_oracle_script_parses_with_sqlfluffs_oracle_grammar(schema, kind):
    script = render(schema, "oracle", kind)
    parsed, problems = sqlfluff_parse(as_plain_sql(script))
    assert problems == [], f"sqlfluff's oracle grammar cannot read: {problems[:3]}"
    # The same statements as SQL*Plus sees them: nothing merged, nothing lost.
    top = list(parsed.tree.recursive_crawl("statement", recurse_into=False))
    assert len(top) == len(statements(script, "oracle"))


# Invalid Oracle, each a mistake a migration could make (a PostgreSQL habit, a
# slip of syntax), that sqlglot's Oracle reader accepts as a parse tree. Not
# caught by either: LIMIT, UPDATE ... FROM, `::` casts, TRUNCATE without
# TABLE, DEFAULT now(): grammar checks are a net, not a proof.
INVALID_ORACLE = [
    "CREATE TABLE t (id NUMBER(10) PRIMARY KEY,)",
    "ALTER TABLE t ADD COLUMN x NUMBER(10)",
    "CREATE INDEX CONCURRENTLY ix ON t (a)",
    "ALTER TABLE t ALTER COLUMN a TYPE NUMBER(19)",
    "INSERT INTO t (a) VALUES (1) RETURNING a",
    "ALTER TABLE t DROP COLUMN a, DROP COLUMN b",
    "ALTER TABLE t ADD CONSTRAINT ck_a CHECK (a > 0) NOT VALID",
    "CREATE UNIQUE INDEX ix ON t USING btree (a)",
]


@pytest.mark.parametrize("statement", INVALID_ORACLE)
def test_sqlfluff_catches_invalid_oracle_that_sqlglot_accepts(statement):
    tree = sqlglot.parse_one(statement, read="oracle")
    assert not isinstance(tree, exp.Command), "sqlglot accepts it as a statement it understood"
    _, problems = sqlfluff_parse(statement + "\n")
    assert problems, f"sqlfluff's oracle grammar should reject: {statement}"
