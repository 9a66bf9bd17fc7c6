"""Oracle's migration lock without an Oracle server: the lock goes
to the driver (it no longer returns at once), and the CI switch that makes
the live Oracle tests fail instead of skip."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from luna_db_tools.config.settings import ConnectionOptions, resolve_settings
from luna_db_tools.db.connect import RetryPolicy
from luna_db_tools.db.lock import migration_lock
from luna_db_tools.errors import DatabaseUnreachable
from tests.pgcluster import free_port

ROOT = Path(__file__).resolve().parent.parent


def test_the_oracle_migration_lock_connects_instead_of_returning_at_once():
    pytest.importorskip("oracledb")
    port = free_port()  # nothing listens: the driver is reached and refused
    settings = resolve_settings(ConnectionOptions(
        schema="backport3", db_type="oracle", dsn=f"127.0.0.1:{port}/LUNA?connect_timeout=2"))
    entered = False
    with pytest.raises(DatabaseUnreachable, match="connection refused"):
        with migration_lock(settings, RetryPolicy(rounds=1), timeout=1):
            entered = True
    assert not entered


@pytest.mark.parametrize("required, outcome", [("", "skipped"), ("1", "failed")])
def test_the_ci_switch_turns_a_missing_oracle_server_into_a_failure(required, outcome):
    if os.environ.get("LUNA_DB_TEST_ORACLE_DSN"):
        pytest.skip("an Oracle server is configured here: nothing to skip or fail")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LUNA_DB_")}
    env["LUNA_DB_TEST_ORACLE_REQUIRED"] = required
    env["DOCKER_HOST"] = f"tcp://127.0.0.1:{free_port()}"  # no engine answers
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "tests/oracle/test_oracle_safety.py::test_the_migration_lock_makes_a_second_run_wait_and_bounds_the_wait"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert f"1 {outcome}" in run.stdout or (outcome == "failed" and "1 error" in run.stdout), run.stdout[-2000:]
    if outcome == "failed":
        assert "LUNA_DB_TEST_ORACLE_REQUIRED is set" in run.stdout
