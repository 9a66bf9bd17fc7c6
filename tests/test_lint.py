"""The online-safety lint (luna_db_tools.analysis): no database needed.

The hand-written corpus in tests/lint_corpus/ is the main table: every
hazardous case must be flagged, by luna-db's own rules alone (so they stand
where squawk's parser gives up) and by the full engine; every safe case must
pass both. The tables below add spellings (case, ONLY, IF EXISTS, quoting,
literals holding `;`) and the splitter, accept comments and output formats.
"""

from __future__ import annotations

import json
import os
import subprocess
import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from luna_db_tools.analysis.sql.lint import (
    Accepted,
    LintReport,
    accepted_in,
    accepted_rules,
    lint_revision,
    lint_sql,
)
from luna_db_tools.analysis.sql.sqltext import split_statements
from luna_db_tools.analysis.sql.squawk import EXCLUDED_RULES
from luna_db_tools.cli.lint_report import render_json, render_sarif, render_text
from luna_db_tools.command.lint import lint_files
from luna_db_tools.errors import BadInput
from luna_db_tools.runtime import offline as commands
from luna_db_tools.schemas import migrations_dir
from tests.clirunner import ROOT
from tests.lint_corpus import HAZARDOUS, ORACLE_HAZARDOUS, ORACLE_SAFE, SAFE, read_cases, streams_types


def corpus(path):
    return [pytest.param(case, id=case.name) for case in read_cases(path)]


def rules(findings):
    return [f.rule for f in findings]


# --- the corpus ---------------------------------------------------------------------------


def test_the_corpus_is_large_on_both_sides():
    assert len(read_cases(HAZARDOUS)) >= 75 and len(read_cases(SAFE)) >= 35
    assert len(read_cases(ORACLE_HAZARDOUS)) >= 25 and len(read_cases(ORACLE_SAFE)) >= 12


STREAMS = streams_types()


def standing(findings):
    """The findings left once the type changes the schema shows catalog-only are set aside."""
    return [f for f in findings if not f.not_a_hazard]


@pytest.mark.parametrize("case", corpus(HAZARDOUS))
def test_each_hazardous_statement_is_flagged(case):
    assert case.expect in rules(standing(lint_sql(case.sql, squawk=False, column_types=STREAMS))), case.sql
    full = standing(lint_sql(case.sql, column_types=STREAMS))
    assert full and not any(f.accepted for f in full)


@pytest.mark.parametrize("case", corpus(SAFE))
def test_no_safe_statement_is_flagged(case):
    assert standing(lint_sql(case.sql, squawk=False, column_types=STREAMS)) == []
    assert standing(lint_sql(case.sql, column_types=STREAMS)) == [], \
        "squawk's finding should have been judged a false positive"


@pytest.mark.parametrize("case", corpus(ORACLE_HAZARDOUS))
def test_each_hazardous_oracle_statement_is_flagged(case):
    assert case.expect in rules(lint_sql(case.sql, "oracle")), case.sql


@pytest.mark.parametrize("case", corpus(ORACLE_SAFE))
def test_no_safe_oracle_statement_is_flagged(case):
    assert lint_sql(case.sql, "oracle") == []


# --- more spellings, luna-db's rules alone ---------------------------------------------------

SPELLINGS = [
    ("Create Index ix ON Stream (Name);", "require-concurrent-index-creation"),
    ('CREATE INDEX "IX" ON "Stream" ("Name");', "require-concurrent-index-creation"),
    ("create index if not exists ix on only public.log using brin (time);", "require-concurrent-index-creation"),
    ("DROP INDEX IF EXISTS public.ix RESTRICT;", "require-concurrent-index-deletion"),
    ("reindex (concurrently false) table log;", "require-concurrent-reindex"),
    ("alter table if exists only public.log add column if not exists n int not null;", "adding-required-field"),
    ("ALTER TABLE log ADD COLUMN n int CONSTRAINT nn NOT NULL;", "adding-required-field"),
    ("ALTER TABLE log ADD COLUMN id uuid NOT NULL DEFAULT public.gen_random_uuid();", "adding-field-with-default"),
    ("ALTER TABLE log ADD COLUMN n serial4;", "adding-serial-field"),
    ('ALTER TABLE "log" ALTER COLUMN "Time" SET DATA TYPE timestamptz;', "changing-column-type"),
    ("ALTER TABLE log ALTER time TYPE timestamptz;", "changing-column-type"),
    ("alter table log alter column message set not null, alter column time set not null;", "adding-not-nullable-field"),
    ("ALTER TABLE log ADD CHECK (length(message) < 100);", "constraint-missing-not-valid"),
    ("ALTER TABLE log ADD CONSTRAINT ck CHECK (message <> 'NOT VALID');", "constraint-missing-not-valid"),
    ("ALTER TABLE log ADD UNIQUE (message);", "disallowed-unique-constraint"),
    ("ALTER TABLE log ADD CONSTRAINT pk PRIMARY KEY (log_id);", "adding-primary-key-constraint"),
    ("ALTER TABLE IF EXISTS log DROP COLUMN IF EXISTS message CASCADE;", "ban-drop-column"),
    ("DROP TABLE IF EXISTS a, b;", "ban-drop-table"),
    ('ALTER TABLE "Account" RENAME TO "Accounts";', "renaming-table"),
    ("alter table only account rename column email to mail;", "renaming-column"),
    ("TRUNCATE ONLY log;", "ban-truncate"),
    ("VACUUM (VERBOSE, FULL) log;", "ban-vacuum-full"),
    ("VACUUM FULL;", "ban-vacuum-full"),
    ("CLUSTER;", "ban-cluster"),
    ("LOCK TABLE ONLY log IN SHARE MODE;", "ban-lock-table"),
    ("ALTER TABLE log SET ACCESS METHOD heap2;", "ban-set-tablespace"),
    ("REFRESH MATERIALIZED VIEW public.stats WITH DATA;", "require-concurrent-refresh"),
    ("UPDATE log l SET message = upper(l.message);", "ban-unbounded-update"),
    ("DELETE FROM ONLY log;", "ban-unbounded-update"),
    ("UPDATE log SET message = (SELECT name FROM stream WHERE stream.stream_id = log.stream_id);", "ban-unbounded-update"),
    ("BEGIN; CREATE INDEX CONCURRENTLY ix ON log (time); COMMIT;", "ban-concurrent-index-creation-in-transaction"),
    ("ALTER TABLE log ALTER COLUMN message DROP DEFAULT;", "ban-drop-default"),
    ("DROP SCHEMA IF EXISTS streams;", "ban-drop-schema"),
]


@pytest.mark.parametrize("sql, rule", SPELLINGS)
def test_luna_db_rules_read_every_spelling(sql, rule):
    assert rule in rules(lint_sql(sql, squawk=False))


SAFE_SPELLINGS = [
    "vacuum (full false) log;",
    "VACUUM log;",
    "REINDEX TABLE CONCURRENTLY log;",
    "ALTER TABLE log ALTER COLUMN message DROP NOT NULL;",
    "ALTER TABLE log DROP CONSTRAINT IF EXISTS ck_old;",
    "ALTER TABLE log ADD COLUMN n int DEFAULT 0 NOT NULL, ADD COLUMN m text;",
    "ALTER TABLE log ADD COLUMN t timestamp DEFAULT CURRENT_TIMESTAMP NOT NULL;",
    "ALTER TABLE log ADD CONSTRAINT uq UNIQUE USING INDEX uq_idx;",
    "ALTER TABLE log ADD CONSTRAINT pk PRIMARY KEY USING INDEX pk_idx;",
    "CREATE TABLE t (id int); ALTER TABLE t ADD COLUMN n int NOT NULL; ALTER TABLE t ALTER COLUMN n TYPE bigint;",
    "CREATE TABLE t (id int); TRUNCATE t; LOCK TABLE t; ALTER TABLE t SET UNLOGGED; DROP TABLE t;",
    "CREATE TABLE t (id int); UPDATE t SET id = 1; DELETE FROM t;",
    "CREATE MATERIALIZED VIEW s AS SELECT 1 WITH NO DATA; REFRESH MATERIALIZED VIEW s;",
    "CREATE MATERIALIZED VIEW s AS SELECT 1 AS n; CREATE INDEX ix_s ON s (n);",
    "UPDATE log SET message = '' WHERE log_id IN (SELECT log_id FROM log LIMIT 1000);",
    "CREATE TABLE t (id int); CREATE INDEX ix ON t (id) WHERE note = 'ALTER TABLE x DROP COLUMN y;';",
    "SELECT 'TRUNCATE log; VACUUM FULL log;' AS note;",
    "SELECT E'it\\'s; DROP TABLE log' AS note;",
    "INSERT INTO t VALUES ($q$ ; CLUSTER log; $q$);",
    "/* nested /* DROP TABLE log; */ still a comment; */ SELECT 1;",
    "ALTER TABLE log ADD COLUMN note text; ALTER TABLE log ALTER COLUMN note SET NOT NULL;",
    "ALTER TABLE log ADD COLUMN note text DEFAULT 'x'; ALTER TABLE log ALTER COLUMN note DROP DEFAULT;",
    "ALTER TABLE log ADD COLUMN note text; ALTER TABLE log DROP COLUMN note;",
    'CREATE TABLE "Odd" (id int); CREATE INDEX ix_odd ON public."Odd" (id);',
    "BEGIN; ALTER TABLE log ADD CONSTRAINT ck CHECK (true) NOT VALID; COMMIT; ALTER TABLE log VALIDATE CONSTRAINT ck;",
]


@pytest.mark.parametrize("sql", SAFE_SPELLINGS)
def test_luna_db_rules_leave_safe_spellings_alone(sql):
    assert lint_sql(sql, squawk=False) == []


# --- splitting ------------------------------------------------------------------------------


def test_a_semicolon_inside_literals_comments_and_dollar_quotes_does_not_split():
    sql = textwrap.dedent("""\
        INSERT INTO t VALUES ('a;b', E'c\\';d', 'it''s;');
        -- a comment; with a semicolon
        CREATE FUNCTION f() RETURNS int AS $fn$ SELECT 1; $fn$ LANGUAGE sql;
        SELECT "odd;name" FROM t /* ; */;
        SELECT 2""")
    statements = split_statements(sql)
    assert [s.line for s in statements] == [1, 3, 4, 5]
    assert statements[0].text == "INSERT INTO t VALUES ('a;b', E'c\\';d', 'it''s;')"
    assert statements[0].code == "INSERT INTO t VALUES ('', E'', '')"
    assert statements[1].code == "CREATE FUNCTION f() RETURNS int AS $$''$$ LANGUAGE sql"
    assert statements[2].code == 'SELECT "odd;name" FROM t'


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(alphabet="ab ;'\"$-/*\n", max_size=12), min_size=1, max_size=5))
def test_any_literal_survives_the_split(texts):
    """Whatever a literal holds (quotes, `;`, comment openers, dollar signs), it stays one statement."""
    literals = ["'" + text.replace("'", "''") + "'" for text in texts]
    sql = ";\n".join(f"SELECT {literal} AS x" for literal in literals) + ";"
    statements = split_statements(sql)
    assert [s.text for s in statements] == [f"SELECT {literal} AS x" for literal in literals]
    assert all(s.code == "SELECT '' AS x" for s in statements)


def test_oracle_scripts_split_at_slash_lines_and_keep_plsql_blocks_whole():
    sql = textwrap.dedent("""\
        WHENEVER SQLERROR EXIT FAILURE
        SET DEFINE OFF
        PROMPT creating; things
        CREATE TABLE t (id NUMBER(10))
        /
        BEGIN
          EXECUTE IMMEDIATE 'DROP TABLE x';
          NULL;
        END;
        /
        INSERT INTO t VALUES (q'{a;b}');
        SELECT 1 / 2 FROM dual
        /
        """)
    statements = split_statements(sql, "oracle")
    assert [s.code.split(" ")[0] for s in statements] == ["CREATE", "BEGIN", "INSERT", "SELECT"]
    assert [s.line for s in statements] == [4, 6, 11, 12]
    assert statements[2].code == "INSERT INTO t VALUES ('')"


def test_findings_carry_their_line_and_statement():
    sql = "SELECT 1;\n\n-- why\nALTER TABLE stream\n  DROP COLUMN name;\n"
    [finding] = lint_sql(sql, source="m.sql")
    assert (finding.source, finding.line, finding.rule) == ("m.sql", 4, "ban-drop-column")
    assert finding.statement == "ALTER TABLE stream\n  DROP COLUMN name"
    assert finding.object == "stream.name" and finding.engine == "squawk"


def test_a_finding_squawk_also_makes_is_reported_once():
    findings = lint_sql("CREATE INDEX ix ON log (time);")
    assert rules(findings) == ["require-concurrent-index-creation"]
    assert findings[0].engine == "squawk"
    only_ours = lint_sql("VACUUM FULL log;")
    assert [(f.rule, f.engine) for f in only_ours] == [("ban-vacuum-full", "luna-db")]


def test_squawk_style_rules_are_excluded_with_a_reason():
    for rule in ("prefer-text-field", "prefer-bigint-over-int", "prefer-identity", "prefer-timestamp-tz", "ban-char-field"):
        assert EXCLUDED_RULES[rule].startswith("style:")
    sql = "CREATE TABLE t (a int, b varchar(10), c char(2), d timestamp, e serial);"
    assert lint_sql(sql) == []


# --- accept comments ---------------------------------------------------------------------------


def test_old_accept_kinds_map_to_the_rule_names():
    text = (
        "# luna-db check: accept drop-column account.email -- moved out\n"
        "# luna-db check: accept index-not-concurrent -- small table\n"
        "-- luna-db lint: accept ban-truncate staging -- emptied on purpose\n"
    )
    assert accepted_in(text) == [
        Accepted("ban-drop-column", "account.email", "moved out", 1),
        Accepted("require-concurrent-index-creation", None, "small table", 2),
        Accepted("ban-truncate", "staging", "emptied on purpose", 3),
    ]


def test_an_accept_covers_its_rule_and_object_only():
    accepted = accepted_in("# luna-db check: accept drop-column account.email -- moved out")
    findings = lint_sql("ALTER TABLE account DROP COLUMN email; ALTER TABLE account DROP COLUMN password;", accepted=accepted)
    assert [(f.object, f.accepted) for f in findings] == [("account.email", "moved out"), ("account.password", None)]


def test_an_accept_for_a_hazard_covers_squawks_companion_finding():
    accepted = accepted_in("-- luna-db lint: accept disallowed-unique-constraint account.uq -- small")
    findings = lint_sql("ALTER TABLE account ADD CONSTRAINT uq UNIQUE (email);", accepted=accepted)
    assert findings and all(f.accepted == "small" for f in findings)


def test_the_projects_revision_files_accept_what_is_by_design():
    path = next((migrations_dir() / "versions" / "backport3").glob("b0002_*.py"))
    accepted = accepted_rules(path)
    assert {(a.rule, a.object) for a in accepted} >= {
        ("ban-drop-column", "account.email"), ("renaming-column", "account_token.token_info"),
    }
    assert all(a.reason for a in accepted)


# --- revisions: upgrades and downgrades ------------------------------------------------------------

REVISIONS = {"streams": ["s0001", "s0002", "s0003", "s0004", "s0005"], "backport3": ["b0001", "b0002", "b0003"]}


def revision_cases():
    for schema, revisions in REVISIONS.items():
        for below, revision in zip(["base", *revisions[:-1]], revisions):
            yield pytest.param(schema, below, revision, id=revision)


@pytest.mark.parametrize("schema, below, revision", list(revision_cases()))
def test_the_projects_revisions_lint_clean_both_ways(schema, below, revision):
    upgrade = commands.migration_sql(schema, "postgres", f"{below}:{revision}", "upgrade")
    downgrade = commands.migration_sql(schema, "postgres", f"{revision}:{below}", "downgrade")
    path = next((migrations_dir() / "versions" / schema).glob(f"{revision}_*.py"))
    findings = lint_revision(revision, upgrade, downgrade, accepted_rules(path))
    assert [str(f) for f in findings if not f.accepted] == []


def test_a_downgrade_is_linted_and_may_undo_what_its_upgrade_created():
    upgrade = "CREATE TABLE note (id int); ALTER TABLE log ADD COLUMN n int; CREATE INDEX ix_log_n ON log (n);"
    downgrade = "DROP INDEX ix_log_n; ALTER TABLE log DROP COLUMN n; DROP TABLE note;"
    findings = lint_revision("s9", upgrade, downgrade)
    assert [(f.source, f.rule, f.object) for f in findings] == [
        # ADD/DROP COLUMN: ACCESS EXCLUSIVE on log, requested without a short lock timeout (txn_rules)
        ("s9 upgrade", "blocking-lock-without-short-timeout", "log"),
        ("s9 upgrade", "require-concurrent-index-creation", "log.ix_log_n"),
        ("s9 downgrade", "require-concurrent-index-deletion", "log.ix_log_n"),
        ("s9 downgrade", "blocking-lock-without-short-timeout", "log"),
    ]


# --- files, output formats, a missing engine --------------------------------------------------------


@pytest.fixture
def sql_files(tmp_path):
    bad = tmp_path / "0002_bad.sql"
    bad.write_text("-- luna-db lint: accept ban-truncate staging -- emptied on purpose\n"
                   "TRUNCATE staging;\nalter table stream rename column name to title;\n")
    good = tmp_path / "0001_good.sql"
    good.write_text("CREATE INDEX CONCURRENTLY ix ON log (time);\n")
    return [str(good), str(bad)]


def test_lint_files_reads_each_file_with_its_own_accepts(sql_files):
    report = lint_files(sql_files)
    assert report.files == sql_files
    assert [(f.rule, bool(f.accepted)) for f in report.findings] == [("ban-truncate", True), ("renaming-column", False)]
    assert [f.rule for f in report.failures] == ["renaming-column"]
    assert report.exit_code == 1
    assert lint_files(sql_files[:1]).exit_code == 0


def test_text_output_is_one_finding_a_line(sql_files):
    lines = render_text(lint_files(sql_files)).splitlines()
    assert lines[0] == f"{sql_files[1]}:2: ban-truncate: " + lines[0].split(": ", 2)[2]
    assert lines[0].endswith("(accepted: emptied on purpose)")
    assert lines[1].startswith(f"{sql_files[1]}:3: renaming-column: ")


def test_json_output(sql_files):
    document = json.loads(render_json(lint_files(sql_files)))
    assert document["ok"] is False and document["dialect"] == "postgresql"
    assert set(document["findings"][0]) == {"rule", "message", "source", "line", "statement", "engine", "object", "accepted"}


def test_sarif_output_has_the_shape_code_scanning_reads(sql_files):
    document = json.loads(render_sarif(lint_files(sql_files)))
    assert document["version"] == "2.1.0" and "sarif-2.1.0" in document["$schema"]
    [run] = document["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "luna-db lint"
    assert [r["id"] for r in driver["rules"]] == ["ban-truncate", "renaming-column"]
    accepted, failing = run["results"]
    assert accepted["suppressions"] == [{"kind": "inSource", "justification": "emptied on purpose"}]
    assert "suppressions" not in failing
    location = failing["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == sql_files[1] and location["region"]["startLine"] == 3
    assert failing["ruleIndex"] == 1 and failing["level"] == "warning"


def test_bad_input_is_one_clear_error(tmp_path):
    with pytest.raises(BadInput, match="cannot read .*missing.sql"):
        lint_files([str(tmp_path / "missing.sql")])
    with pytest.raises(BadInput, match="unknown dialect 'mysql'"):
        lint_files([], "mysql")


def test_an_oracle_revision_is_linted_both_ways():
    findings = lint_revision(
        "b9", "ALTER TABLE account ADD (note VARCHAR2(64 CHAR))\n/\nCREATE INDEX ix_note ON account (note)\n/\n",
        "DROP INDEX ix_note\n/\nALTER TABLE account DROP COLUMN note\n/\n", dialect="oracle",
    )
    assert [(f.source, f.rule) for f in findings] == [("b9 upgrade", "require-online-index-build")]


def test_an_empty_report_is_ok():
    assert LintReport("oracle").as_dict() == {"dialect": "oracle", "files": [], "ok": True, "findings": []}


def test_without_squawk_the_error_names_the_extra():
    """A Python without squawk beside it and no squawk on PATH: one line, exit 2 (BadInput)."""
    probe = (
        "from luna_db_tools.analysis.sql.lint import lint_sql\n"
        "from luna_db_tools.errors import LunaDbError\n"
        "try:\n    lint_sql('DROP TABLE log;')\n"
        "except LunaDbError as error:\n    print(error.exit_code, error)\n"
    )
    result = subprocess.run(
        ["/usr/bin/python3", "-c", probe], capture_output=True, text=True, timeout=60,
        env={"PYTHONPATH": str(ROOT), "PATH": "/nonexistent"}, cwd=ROOT,
    )
    assert result.stdout.strip() == (
        "2 squawk, luna-db's PostgreSQL lint engine, is not installed: pip install 'luna-db-tools[lint]'"
    ), result.stderr
    # luna-db's own rules and Oracle need no squawk.
    assert os.path.exists("/usr/bin/python3")
