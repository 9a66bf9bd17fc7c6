"""An operator's bad day: each wrong input -> (exit code, one line naming the bad part), at once.

Two tables: inputs that need no server (checked before anything connects),
and inputs against a real database prepared by a named set-up (the suite's
throwaway PostgreSQL). Each row also asserts: one line on stderr (two for
exit 3: the summary and the one host), no traceback, and no retry pause.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from tests.clirunner import ROOT, checkout_environment, invoke
from tests.pgcluster import free_port
from tests.pghelpers import fetch_all

SECRET = "Bad-Day-Secret-7"

# (id, args, env, exit code, fragment); {refused} is a closed port.
OFFLINE_CASES = [
    ("unknown driver option", ["status", "--dsn", "127.0.0.1:{refused}/luna_streams?foo=bar"], {}, 2, "unknown DSN option 'foo'"),
    ("invalid sslmode", ["status", "--dsn", "127.0.0.1:{refused}/luna_streams?sslmode=bogus"], {}, 2, "sslmode='bogus'"),
    ("non-numeric connect_timeout", ["current", "--dsn", "h/luna_streams?connect_timeout=soon"], {}, 2, "connect_timeout='soon'"),
    ("host as an option", ["status", "--dsn", "h/luna_streams?host=other"], {}, 2, "give the host in the DSN"),
    ("unknown option in dsn too", ["dsn", "--dsn", "h/luna_streams?fooo=1"], {}, 2, "unknown DSN option 'fooo'"),
    ("empty password file", ["status", "--schema", "streams", "--password-file", "{empty_file}"], {"LUNA_DB_PASSWORD": SECRET}, 2, "is empty"),
    ("--sql with --dry-run", ["upgrade", "--sql", "--dry-run", "--schema", "streams"], {}, 2, "contradict"),
    ("downgrade --sql with --dry-run", ["downgrade", "--sql", "--dry-run", "head:s0003", "--schema", "streams"], {}, 2, "contradict"),
    ("create --sql --create-database", ["create", "--sql", "--create-database", "--schema", "streams"], {}, 2, "contradict"),
    ("empty --dsn", ["status", "--schema", "streams", "--dsn", ""], {}, 2, "--dsn is empty"),
    ("--db-host against LUNA_DB_DSN", ["status", "--db-host", "pg09"], {"LUNA_DB_DSN": "pg01,pg02/luna_streams"}, 2, "--db-host pg09 contradicts the hosts of LUNA_DB_DSN"),
    ("--db-host against --dsn", ["status", "--db-host", "pg09", "--dsn", "pg01/luna_streams"], {}, 2, "contradicts the hosts of --dsn"),
    ("--db-port that does nothing", ["status", "--db-port", "6000"], {"LUNA_DB_DSN": "pg01:5432/luna_streams"}, 2, "--db-port 6000 does nothing"),
    ("backwards --sql range", ["upgrade", "--sql", "s0005:s0003", "--schema", "streams"], {}, 2, "runs backwards for upgrade"),
    ("forwards --sql downgrade", ["downgrade", "--sql", "s0003:s0005", "--schema", "streams"], {}, 2, "runs forwards for downgrade"),
    ("empty --sql range", ["upgrade", "--sql", "s0003:s0003", "--schema", "streams"], {}, 2, "empty range"),
    ("unknown --sql start", ["upgrade", "--sql", "s0042:head", "--schema", "streams"], {}, 2, "unknown streams revision 's0042'"),
    ("unknown option", ["status", "--nosuch"], {}, 2, "No such option"),
    ("unknown command", ["nosuchcommand"], {}, 2, "No such command"),
    ("unknown schema", ["heads", "--schema", "nosuch"], {}, 2, "nosuch"),
    ("missing revision", ["downgrade", "--schema", "streams"], {}, 2, "Missing argument"),
    ("malformed DSN with a password", ["status", "--dsn", f"luna:{SECRET}@pg01,,pg02/luna_streams"], {}, 2, "empty host"),
]


@pytest.fixture
def empty_file(tmp_path):
    path = tmp_path / "password"
    path.write_text("\n")
    return str(path)


def _fill(args, **values):
    return [arg.format(**values) if "{" in arg else arg for arg in args]


def assert_one_line_answer(result, code, fragment, elapsed, *, lines=1):
    assert result.exit_code == code, result.output
    assert fragment in result.stderr, result.stderr
    assert result.stderr.count("\n") == lines, result.stderr
    assert "Traceback" not in result.output
    assert SECRET not in result.output
    assert elapsed < 3, "bad input is answered at once, never retried"


@pytest.mark.parametrize("args, env, code, fragment", [case[1:] for case in OFFLINE_CASES], ids=[case[0] for case in OFFLINE_CASES])
def test_wrong_input_without_a_server(args, env, code, fragment, empty_file):
    filled = _fill(args, refused=free_port(), empty_file=empty_file)
    started = time.monotonic()
    result = invoke(*filled, "--connect-retries", "4", "--retry-delay", "5", env=env) if filled[0] in ("status", "current") and "--nosuch" not in filled else invoke(*filled, env=env)
    assert_one_line_answer(result, code, fragment, time.monotonic() - started)


@pytest.mark.parametrize("args, env, code, fragment", [case[1:] for case in OFFLINE_CASES], ids=[case[0] for case in OFFLINE_CASES])
def test_wrong_input_under_json_is_one_json_document(args, env, code, fragment, empty_file):
    result = invoke(*_fill(args, refused=free_port(), empty_file=empty_file), "--json", env=env)
    document = json.loads(result.stdout)
    assert document["exit_code"] == code == result.exit_code
    assert fragment in document["error"]


# --- against a real server ---------------------------------------------------


def _create(db, schema):
    result = invoke("create", "--schema", schema, "--dsn", db.dsn)
    assert result.exit_code == 0, result.stderr


def _setup_empty(db, server):
    pass


def _setup_streams(db, server):
    _create(db, "streams")


def _setup_backport3(db, server):
    _create(db, "backport3")


def _setup_two_rows(db, server):
    _create(db, "streams")
    fetch_all(server, db.name, "INSERT INTO alembic_version VALUES ('s0003')")


def _setup_read_only(db, server):
    fetch_all(server, "postgres", f'ALTER DATABASE "{db.name}" SET default_transaction_read_only = on')


SETUPS = {
    "empty": _setup_empty, "streams": _setup_streams, "backport3": _setup_backport3,
    "two rows": _setup_two_rows, "read-only primary": _setup_read_only,
}

# (id, set-up, args, exit code, fragment); {dsn} is the prepared database's,
# {port} the server's, {name} the database's.
SERVER_CASES = [
    ("wrong password", "empty", ["status", "--schema", "streams", "--dsn", "luna:" + SECRET + "@127.0.0.1:{port}/{name}"], 2, "rejected the credentials of user 'luna'"),
    ("unknown user", "empty", ["status", "--schema", "streams", "--dsn", "nobody_here:" + SECRET + "@127.0.0.1:{port}/{name}"], 2, "rejected the credentials of user 'nobody_here'"),
    ("missing database", "empty", ["upgrade", "--schema", "streams", "--dsn", "{dsn}_missing"], 2, "does not exist on 127.0.0.1"),
    ("another schema's database: upgrade", "backport3", ["upgrade", "--schema", "streams", "--dsn", "{dsn}"], 2, "holds the backport3 schema"),
    ("another schema's database: status", "backport3", ["status", "--schema", "streams", "--dsn", "{dsn}"], 2, "holds the backport3 schema"),
    ("upgrade to a revision below", "streams", ["upgrade", "s0003", "--schema", "streams", "--dsn", "{dsn}"], 2, "use 'luna-db downgrade s0003'"),
    ("downgrade to a revision above", "empty", ["downgrade", "s0005", "--schema", "streams", "--dsn", "{dsn}"], 2, "use 'luna-db upgrade s0005'"),
    ("downgrade past base", "streams", ["downgrade", "-9", "--schema", "streams", "--dsn", "{dsn}"], 2, "goes past base"),
    ("downgrade -1 at base", "empty", ["downgrade", "-1", "--schema", "streams", "--dsn", "{dsn}"], 2, "at base already"),
    ("upgrade -1", "streams", ["upgrade", "-1", "--schema", "streams", "--dsn", "{dsn}"], 2, "use 'luna-db downgrade -1'"),
    ("upgrade past head", "streams", ["upgrade", "+1", "--schema", "streams", "--dsn", "{dsn}"], 2, "goes past head"),
    ("dry run past base", "streams", ["downgrade", "-7", "--dry-run", "--schema", "streams", "--dsn", "{dsn}"], 2, "goes past base"),
    ("two version rows: downgrade", "two rows", ["downgrade", "-1", "--schema", "streams", "--dsn", "{dsn}"], 2, "alembic_version holds 2 rows"),
    ("two version rows: upgrade", "two rows", ["upgrade", "--schema", "streams", "--dsn", "{dsn}"], 2, "DELETE FROM alembic_version"),
    ("two version rows: stamp", "two rows", ["stamp", "head", "--schema", "streams", "--dsn", "{dsn}"], 2, "alembic_version holds 2 rows"),
    ("read-only primary", "read-only primary", ["upgrade", "--schema", "streams", "--dsn", "{dsn}", "--retry-delay", "5"], 3, "default_transaction_read_only is on"),
]


@pytest.mark.parametrize("setup, args, code, fragment", [case[1:] for case in SERVER_CASES], ids=[case[0] for case in SERVER_CASES])
def test_wrong_input_against_a_server(setup, args, code, fragment, fresh_db, pg_server):
    SETUPS[setup](fresh_db, pg_server)
    before = fetch_all(pg_server, fresh_db.name, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
    filled = _fill(args, dsn=fresh_db.dsn, port=pg_server.port, name=fresh_db.name)
    started = time.monotonic()
    result = invoke(*filled)
    assert_one_line_answer(result, code, fragment, time.monotonic() - started, lines=2 if code == 3 else 1)
    assert pg_server.password not in result.output
    after = fetch_all(pg_server, fresh_db.name, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
    assert after == before, "a refused command changes nothing"


def test_two_version_rows_change_nothing(fresh_db, pg_server):
    _setup_two_rows(fresh_db, pg_server)
    invoke("downgrade", "-1", "--schema", "streams", "--dsn", fresh_db.dsn)
    rows = fetch_all(pg_server, fresh_db.name, "SELECT version_num FROM alembic_version ORDER BY 1")
    assert rows == [("s0003",), ("s0005",)]


def test_a_hot_standby_is_named_as_such(fresh_db, pg_standby):
    from tests.pghelpers import wait_until_replicated

    wait_until_replicated(pg_standby, fresh_db.name)
    dsn = pg_standby.dsn(fresh_db.name)
    result = invoke("status", "--schema", "streams", "--dsn", dsn, "--connect-retries", "2", "--retry-delay", "0.1")
    assert result.exit_code == 3
    assert "hot standby" in result.stderr and "default_transaction_read_only" not in result.stderr


def test_create_without_the_privilege_is_one_line(pg_server):
    fetch_all(pg_server, "postgres", "DROP ROLE IF EXISTS lt_no_createdb")
    fetch_all(pg_server, "postgres", f"CREATE ROLE lt_no_createdb LOGIN PASSWORD '{SECRET}'")
    try:
        dsn = f"lt_no_createdb:{SECRET}@{pg_server.host}:{pg_server.port}/lt_never_made"
        result = invoke("create", "--schema", "streams", "--dsn", dsn, "--create-database")
    finally:
        fetch_all(pg_server, "postgres", "DROP ROLE lt_no_createdb")
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert "permission denied to create database" in result.stderr
    assert "[SQL" not in result.stderr and SECRET not in result.output


# --- JSON, streams, global options --------------------------------------------


def test_every_database_command_prints_one_json_document(fresh_db):
    dsn = ["--schema", "streams", "--dsn", fresh_db.dsn]
    documents = {}
    for args in (["create"], ["current"], ["downgrade", "-2"], ["upgrade"], ["stamp", "head"], ["views"],
                 ["heads"], ["history"], ["status"], ["dsn"], ["upgrade", "--dry-run"], ["upgrade", "--sql", "s0003:s0005"]):
        full = [*args, "--json", *(dsn if args[0] not in ("heads",) else ["--schema", "streams"])]
        result = invoke(*full)
        assert result.exit_code == 0, (args, result.stderr)
        documents[" ".join(args)] = json.loads(result.stdout)
    assert [s["step"].split()[0] for s in documents["create"]["steps"]] == ["created", "inserted", "stamped"]
    assert documents["current"]["current"] == ["s0005"] and documents["current"]["at_head"] is True
    assert [s["revision"] for s in documents["downgrade -2"]["steps"]] == ["s0005", "s0004"]
    assert documents["downgrade -2"]["reached"] == ["s0003"]
    assert [s["revision"] for s in documents["upgrade"]["steps"]] == ["s0004", "s0005"]
    assert all(isinstance(s["seconds"], float) for s in documents["upgrade"]["steps"])
    assert documents["stamp head"]["stamped"] == ["s0005"]
    assert documents["views"]["views"]
    assert documents["heads"] == {"schema": "streams", "heads": ["s0005"]}
    assert documents["upgrade --sql s0003:s0005"]["sql"].strip()


def test_upgrade_json_reports_the_run_and_steps_go_to_stderr(fresh_db):
    result = invoke("upgrade", "--json", "--schema", "backport3", "--dsn", fresh_db.dsn)
    document = json.loads(result.stdout)
    assert [s["revision"] for s in document["steps"]] == ["b0001", "b0002", "b0003", "b0004"]
    assert "upgraded to b0004" in result.stderr


@pytest.mark.parametrize("option", ["-q", "--quiet", "-v", "--verbose", "--traceback"])
def test_global_options_after_the_command(option):
    result = invoke("history", "--schema", "streams", option)
    assert result.exit_code == 0, result.stderr
    assert "s0005" in result.stdout


def test_quiet_after_the_command_drops_progress(fresh_db):
    """-q keeps create's result line (as `upgrade -q` keeps "is at revision"), and only that."""
    result = invoke("create", "--schema", "streams", "--dsn", fresh_db.dsn, "-q")
    assert result.exit_code == 0 and result.stderr == ""
    [line] = result.stdout.splitlines()
    assert line.startswith("created streams at ") and "revision s0005 (head)" in line
    again = invoke("create", "--schema", "streams", "--dsn", fresh_db.dsn, "-q")
    assert again.exit_code == 0 and again.stderr == ""
    assert again.stdout.splitlines() == [again.stdout.strip()] and "nothing to do" in again.stdout


def test_traceback_after_the_command():
    result = invoke("status", "--dsn", "pg01,,pg02/luna_streams", "--traceback")
    assert result.exit_code == 2 and "Traceback" in result.stderr


def test_a_closed_pipe_ends_quietly():
    """`luna-db history | head -1`: the reader is gone before luna-db writes; exit 0, nothing on stderr."""
    process = subprocess.Popen(
        [sys.executable, "-m", "luna_db_tools", "history", "--schema", "streams"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
        env=checkout_environment(bare=True),
    )
    process.stdout.close()  # long before the interpreter has started
    stderr = process.stderr.read()
    assert process.wait(timeout=60) == 0, stderr
    assert stderr == ""
