"""The CLI contract that needs no database: start-up cost, exit codes, one-line errors."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from luna_db_tools import __version__
from tests.clirunner import ROOT, checkout_environment, invoke, run_process

HEAVY_MODULES = ("sqlalchemy", "alembic", "psycopg2", "oracledb")


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["--version"],
        ["upgrade", "--help"],
        ["create", "--help"],
        ["dsn", "--dsn", "pg01,pg02/luna_streams"],
        # The history is read from the revision files, without Alembic.
        ["heads", "--schema", "streams"],
        ["history", "--schema", "backport3", "--json"],
    ],
)
def test_start_up_imports_no_database_library(args):
    probe = (
        "import sys\n"
        "from luna_db_tools.cli import main\n"
        "try:\n"
        f"    main({args!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print([m for m in {HEAVY_MODULES!r} if m in sys.modules])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT,
        env=checkout_environment(bare=True),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize("schema", ["streams", "backport3"])
def test_status_on_postgresql_loads_neither_the_orm_nor_alembic(head_db, schema):
    """Drift on PostgreSQL is the catalog against the shipped fingerprint: no models, so no
    ORM, and no Alembic (command/drift.py; most of what `status` would cost)."""
    database = head_db(schema)
    probe = (
        "import sys\n"
        "from luna_db_tools.cli import main\n"
        "try:\n"
        f"    main(['status', '--schema', {schema!r}, '--dsn', {database.dsn!r}])\n"
        "except SystemExit as exit:\n"
        "    print('exit', exit.code)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic' or m.startswith("
        "('sqlalchemy.orm', 'luna_db_tools.models.base'))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT,
        env=checkout_environment(bare=True),
    )
    assert result.returncode == 0, result.stderr
    assert "drift:    none, the database matches the models" in result.stdout
    assert result.stdout.strip().splitlines()[-2:] == ["exit 0", "[]"]


def test_version():
    result = invoke("--version")
    assert result.exit_code == 0
    assert __version__ in result.stdout


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["status", "--dsn", "pg01,,pg02/luna_streams"], "empty host"),
        (["status", "--dsn", "luna:Never-Shown-3@pg01:99999/luna_streams"], "99999"),
        (["upgrade", "--dsn", "mysql://h/luna_streams"], "unknown scheme"),
        (["status", "--dsn", "h/some_db"], "--schema"),
        (["status", "--schema", "streams", "--db-port", "x"], "bad port"),
        (["status", "--schema", "streams", "--config", "/nonexistent.json"], "config file"),
        (["upgrade", "--sql", "nosuchrev", "--schema", "streams"], "nosuchrev"),
        (["create", "--sql", "--schema", "streams", "--dsn", "oracle://h/x", "--db-type", "postgres"], "scheme says oracle"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, fragment):
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert fragment in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "Never-Shown-3" not in result.output


def test_usage_errors_are_exit_2():
    assert invoke("nosuchcommand").exit_code == 2
    assert invoke("status", "--schema", "nosuch").exit_code == 2


def test_traceback_is_shown_only_on_request():
    plain = run_process("status", "--dsn", "pg01,,pg02/luna_streams")
    assert plain.returncode == 2 and "Traceback" not in plain.stderr
    detailed = run_process("--traceback", "status", "--dsn", "pg01,,pg02/luna_streams")
    assert detailed.returncode == 2 and "Traceback" in detailed.stderr


def test_dsn_plain_output_hides_the_password_and_shows_the_order(tmp_path):
    password_file = tmp_path / "pw"
    password_file.write_text("File-Secret-5\n")
    result = invoke("dsn", "--dsn", "pg02:5433,pg01/luna_backport3", "--password-file", str(password_file))
    assert result.exit_code == 0, result.stderr
    assert "File-Secret-5" not in result.output
    assert "pg02:5433, pg01:5432" in result.stdout
    assert "password: set (hidden)" in result.stdout
    assert "target_session_attrs=read-write" in result.stdout


def test_dsn_json_from_a_config_file(tmp_path):
    config = tmp_path / "luna.json"
    config.write_text(json.dumps({"LUNA_STREAMS_DB": {"dsn": "s1,s2:6000/luna_streams", "db_password": "Cfg-Pass-8"}}))
    result = invoke("dsn", "--json", "--schema", "streams", "--config", str(config))
    described = json.loads(result.stdout)
    assert described["hosts"] == [{"host": "s1", "port": 5432}, {"host": "s2", "port": 6000}]
    assert described["user"] == "luna" and described["database"] == "luna_streams"
    assert "Cfg-Pass-8" not in result.output


def test_history_json_lists_revisions_oldest_first():
    result = invoke("history", "--schema", "backport3", "--json")
    revisions = json.loads(result.stdout)
    assert [r["id"] for r in revisions] == ["b0001", "b0002", "b0003", "b0004"]
    assert revisions[0]["down_revision"] is None
    assert revisions[1]["down_revision"] == "b0001"
    assert all(r["message"] for r in revisions)


def test_installed_luna_db_works_from_any_directory(tmp_path):
    """`pip install .` (not editable) must carry the migration scripts."""
    installed = shutil.which("luna-db", path=str(Path(sys.executable).parent))
    if installed is None:
        pytest.skip("luna-db is not installed in this environment (make test installs it)")
    result = subprocess.run(
        [installed, "history", "--schema", "streams"], capture_output=True, text=True, cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "s0005 (head)" in result.stdout
