"""The Oracle releases LUNA documents, offline: each schema's scripts rendered for each.

LUNA's manuals name Oracle 11.2 for Backport 3 and 21c for Streams; Streams'
identity column (log.log_id) needs 12.1. So backport3 is rendered for 11.2 and
21, streams for 12.1 and 21 (`--oracle-version`), each script parsed with
sqlfluff's Oracle grammar, and the 11.2 scripts searched for anything that
release lacks. What the offline dialect renders for a release is pinned here
too, since luna-db sets it up by hand (runtime/environment.aim_offline_dialect):
SQLAlchemy learns it from a server only when it connects.

No Oracle server runs here: that a script runs on a real 11.2 is left to the
live tests under tests/oracle/ (.github/workflows/oracle.yml).
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from sqlalchemy import create_mock_engine
from sqlglot import exp

from luna_db_tools.config.settings import ConnectionOptions, resolve_settings
from luna_db_tools.db.connect_errors import refusal
from luna_db_tools.db.server_version import OLDEST_ORACLE
from luna_db_tools.runtime import offline
from luna_db_tools.runtime.environment import OFFLINE_URLS, aim_offline_dialect, offline_dialect_options
from tests.clirunner import invoke, run_process
from tests.sqlscripts import KINDS, as_plain_sql, render, sqlfluff_parse, statements
from tests.test_oracle_scripts import parse

# The releases each schema is documented (or needs) to run on, oldest first.
DOCUMENTED = {"backport3": [(11, 2), (21, 0)], "streams": [(12, 1), (21, 0)]}

# Oracle 12c and later, each a pattern that would show in a script: none may appear in an 11.2 script.
NEWER_THAN_11_2 = {
    "identity column (12.1)": re.compile(r"\bIDENTITY\b|\bGENERATED\s+(ALWAYS|BY\s+DEFAULT)\b", re.I),
    "FETCH FIRST / OFFSET ... ROWS (12.1)": re.compile(r"\bFETCH\s+(FIRST|NEXT)\b|\bOFFSET\s+\S+\s+ROWS?\b", re.I),
    "DEFAULT ON NULL (12.1)": re.compile(r"\bDEFAULT\s+ON\s+NULL\b", re.I),
    "a sequence's NEXTVAL as a column default (12.1)": re.compile(r"\bDEFAULT\s+\w+\.NEXTVAL\b", re.I),
    "INVISIBLE columns (12.1)": re.compile(r"\bINVISIBLE\b", re.I),
    "LATERAL / CROSS APPLY (12.1)": re.compile(r"\bLATERAL\b|\bCROSS\s+APPLY\b|\bOUTER\s+APPLY\b", re.I),
    "JSON (12.1 constraint, 21 type)": re.compile(r"\bJSON\b|\bIS\s+JSON\b", re.I),
    "BOOLEAN (23ai)": re.compile(r"\bBOOLEAN\b", re.I),
    "IF [NOT] EXISTS (23ai)": re.compile(r"\bIF\s+(NOT\s+)?EXISTS\b", re.I),
    "LISTAGG ... ON OVERFLOW (12.2)": re.compile(r"\bON\s+OVERFLOW\b", re.I),
}
STRING_LITERAL = re.compile(r"'(?:[^']|'')*'")
MAX_IDENTIFIER_BEFORE_12_2 = 30
MAX_VARCHAR2_BEFORE_12_1 = 4000  # longer needs 12c's MAX_STRING_SIZE=EXTENDED


def documented_scripts():
    for schema, releases in DOCUMENTED.items():
        for release in releases:
            for kind in KINDS:
                yield pytest.param(schema, release, kind, id=f"{schema}-{offline.release_name(release)}-{kind}")


@pytest.mark.parametrize("schema, release, kind", list(documented_scripts()))
def test_each_documented_release_gets_a_script_sqlfluffs_oracle_grammar_reads(schema, release, kind):
    script = render(schema, "oracle", kind, release)
    name = offline.release_name(release)
    assert f"-- for Oracle {name} and newer (--oracle-version {name})" in script.splitlines()[:5]
    parsed, problems = sqlfluff_parse(as_plain_sql(script))
    assert problems == [], f"sqlfluff's oracle grammar cannot read: {problems[:3]}"
    top = list(parsed.tree.recursive_crawl("statement", recurse_into=False))
    assert len(top) == len(statements(script, "oracle"))


@pytest.mark.parametrize("kind", KINDS)
def test_backport3_for_11_2_holds_nothing_from_12c_on(kind):
    script = render("backport3", "oracle", kind, (11, 2))
    for statement in statements(script, "oracle"):
        code = STRING_LITERAL.sub("''", statement)  # a comment's text may say "json"
        for feature, pattern in NEWER_THAN_11_2.items():
            assert not pattern.search(code), f"{feature} in an 11.2 script: {statement[:200]}"
        for length in re.findall(r"VARCHAR2\((\d+)", code):
            assert int(length) <= MAX_VARCHAR2_BEFORE_12_1, statement[:200]
        tree = parse(statement)
        # sqlglot's identifiers where it reads the statement, every word where it cannot.
        names = [i.name for i in tree.find_all(exp.Identifier)] if tree else re.findall(r"\w+", code)
        too_long = [name for name in names if len(name) > MAX_IDENTIFIER_BEFORE_12_2]
        assert not too_long, f"longer than Oracle 11.2's 30 characters: {too_long}"
        if tree is not None:
            assert not list(tree.find_all(exp.GeneratedAsIdentityColumnConstraint)), statement[:200]
            for data_type in tree.find_all(exp.DataType):
                assert data_type.this != exp.DataType.Type.BOOLEAN, statement[:200]


def test_the_default_is_the_oldest_release_each_schema_supports():
    """A script that runs on the oldest runs on every newer one, so that is what a DBA gets unasked."""
    assert OLDEST_ORACLE == {"backport3": (11, 2), "streams": (12, 1)}
    for schema, (oldest, *_) in DOCUMENTED.items():
        assert oldest == OLDEST_ORACLE[schema]
        for kind in KINDS:
            assert render(schema, "oracle", kind) == render(schema, "oracle", kind, oldest)


# --- what the offline dialect renders for a release ---------------------------------------


def compiled(release, element) -> str:
    """`element` (DDL or a query) as the offline Oracle dialect prints it for `release`."""
    engine = create_mock_engine(OFFLINE_URLS["oracle"], None, **offline_dialect_options("oracle", release))
    aim_offline_dialect(engine.dialect, release)
    return str(element.compile(dialect=engine.dialect)).strip()


def _table(name: str = "t", *columns) -> sa.Table:
    return sa.Table(name, sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True), *columns)


def test_for_11_2_a_boolean_is_a_smallint_and_a_limit_is_rownum():
    table = _table("t", sa.Column("flag", sa.Boolean(create_constraint=True, name="ck_t_flag")))
    ddl = compiled((11, 2), sa.schema.CreateTable(table))
    assert "flag SMALLINT" in ddl and "CHECK (flag IN (0, 1))" in ddl
    query = compiled((11, 2), sa.select(table.c.id).limit(1))
    assert "ROWNUM" in query and "FETCH" not in query
    assert "FETCH FIRST" in compiled((12, 1), sa.select(table.c.id).limit(1))


def test_for_11_2_a_name_over_30_characters_does_not_compile():
    table = _table("t", sa.Column("x", sa.Integer))
    index = sa.Index("ix_" + "x" * 28, table.c.x)  # 31 characters
    with pytest.raises(sa.exc.IdentifierError):
        compiled((12, 1), sa.schema.CreateIndex(index))
    assert "ix_" + "x" * 28 in compiled((12, 2), sa.schema.CreateIndex(index))


def test_from_12_1_an_identity_column_is_rendered():
    table = _table("t", sa.Column("n", sa.BigInteger, sa.Identity()))
    assert "GENERATED BY DEFAULT AS IDENTITY" in compiled((12, 1), sa.schema.CreateTable(table))


# --- the option ------------------------------------------------------------------------------


def test_streams_for_11_2_is_refused_in_one_line_before_anything_is_printed():
    result = invoke("create", "--sql", "--schema", "streams", "--db-type", "oracle", "--oracle-version", "11.2")
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert "streams schema: it needs Oracle 12.1 or newer" in result.stderr
    for direction, revision in (("upgrade", "head"), ("downgrade", "base")):
        refused = invoke(direction, revision, "--sql", "--schema", "streams", "--db-type", "oracle",
                         "--oracle-version", "12.0")
        assert refused.exit_code == 2 and refused.stdout == "", refused.output


@pytest.mark.parametrize("given, expected", [("11.2", "11.2"), ("12.1", "12.1"), ("19", "19"), ("21.0", "21")])
def test_the_header_names_the_release_asked_for(given, expected):
    result = invoke("upgrade", "--sql", "--schema", "backport3", "--db-type", "oracle", "--oracle-version", given)
    assert result.exit_code == 0, result.stderr
    assert f"-- for Oracle {expected} and newer (--oracle-version {expected})" in result.stdout.splitlines()[:5]


@pytest.mark.parametrize("args, fragment", [
    (["create", "--sql", "--schema", "streams", "--oracle-version", "21"], "--db-type postgres"),
    (["create", "--sql", "--schema", "streams", "--db-type", "postgres", "--oracle-version", "21"], "Oracle scripts only"),
    (["upgrade", "--schema", "streams", "--db-type", "oracle", "--dsn", "u@h/db", "--oracle-version", "21"],
     "a live run reads the server's own version"),
    (["create", "--sql", "--schema", "backport3", "--db-type", "oracle", "--oracle-version", "21c"], "21, not 21c"),
    (["create", "--sql", "--schema", "backport3", "--db-type", "oracle", "--oracle-version", "10.2"],
     "needs Oracle 11.2 or newer"),
])
def test_an_oracle_version_where_it_does_nothing_or_is_malformed_is_refused(args, fragment):
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert fragment in result.stderr and result.stderr.count("\n") == 1, result.stderr


@pytest.mark.parametrize("command", ["create", "upgrade", "downgrade"])
def test_help_says_what_the_default_release_is(command):
    text = " ".join(invoke(command, "--help").stdout.split())
    assert "--oracle-version" in text
    assert "Default: the oldest the schema supports (backport3 11.2, streams 12.1)" in text


# --- reaching an 11.2 server: python-oracledb's Thick mode ---------------------------------


def test_the_oracle_client_option_chooses_thick_mode_and_is_no_driver_option():
    settings = resolve_settings(ConnectionOptions(
        schema="backport3", dsn="oracle://u:p@db.example:1521/XE?oracle_client=/opt/instantclient_19_26"))
    assert settings.oracle_client_dir == "/opt/instantclient_19_26"
    assert "oracle_client" not in settings.driver_options
    plain = resolve_settings(ConnectionOptions(schema="backport3", dsn="oracle://u:p@db.example:1521/XE"))
    assert plain.oracle_client_dir is None


def test_oracle_client_libraries_that_do_not_load_are_refused_in_one_line(tmp_path):
    # A child process: python-oracledb's mode is chosen once per process.
    result = run_process("status", "--schema", "backport3", "--connect-retries", "1",
                         "--dsn", f"oracle://u:p@127.0.0.1:1/XE?oracle_client={tmp_path}")
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert f"DSN option oracle_client={tmp_path}: the Oracle Client libraries did not load (DPI-1047" in result.stderr


def test_thin_modes_refusal_of_an_old_server_says_what_to_do():
    """DPY-3010 is what python-oracledb's Thin mode says to Oracle 11.2 (no such server here: its text)."""
    settings = resolve_settings(ConnectionOptions(schema="backport3", dsn="oracle://u:p@db.example:1521/XE"))
    reasons = {"db.example:1521": "DPY-3010: connections to this database server version are not supported"
                                  " by python-oracledb in thin mode"}
    refused = refusal(settings, reasons)
    assert refused is not None and refused.exit_code == 2
    assert "older than 12.1" in str(refused) and "?oracle_client=" in str(refused)
