"""Several PostgreSQL hosts: land on the writable primary, retry in rounds, fail clearly.

Real servers: the session's primary, its hot standby (`pg_basebackup -R`),
closed ports for dead hosts, and a private server that is stopped mid-upgrade.
"""

from __future__ import annotations

import time

import psycopg2
import pytest
import sqlalchemy as sa

from luna_db_tools.db.connect import RetryPolicy
from tests.clirunner import invoke, run_process
from tests.pgcluster import free_port
from tests.pghelpers import wait_until_replicated, wait_until_waiting_on_a_lock


def hosts_dsn(server, database, *ports):
    user_and_password = server.dsn(database).split("@")[0]
    hosts = ",".join(f"127.0.0.1:{port}" for port in ports)
    return f"{user_and_password}@{hosts}/{database}"


def tables_on(server, database):
    connection = server.connect(database)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            return {row[0] for row in cursor.fetchall()}
    finally:
        connection.close()


@pytest.mark.pgversions
@pytest.mark.pgedges
def test_standby_first_then_primary_lands_on_the_primary(fresh_db, pg_server, pg_standby):
    wait_until_replicated(pg_standby, fresh_db.name)
    dsn = hosts_dsn(pg_server, fresh_db.name, pg_standby.port, pg_server.port)

    created = invoke("create", "--schema", "streams", "--dsn", dsn)
    assert created.exit_code == 0, created.stderr
    # The standby cannot take writes, so the tables were made on the primary.
    assert "stream" in tables_on(pg_server, fresh_db.name)
    standby = pg_standby.connect(fresh_db.name)
    with standby.cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone() == (True,)
    standby.close()

    assert invoke("downgrade", "s0002", "--schema", "streams", "--dsn", dsn).exit_code == 0
    upgraded = invoke("upgrade", "--schema", "streams", "--dsn", dsn)
    assert upgraded.exit_code == 0, upgraded.stderr
    assert "restart" in tables_on(pg_server, fresh_db.name)


def test_a_dead_host_first_is_passed_over(fresh_db, pg_server):
    dead = free_port()
    dsn = hosts_dsn(pg_server, fresh_db.name, dead, pg_server.port)
    result = invoke("create", "--schema", "backport3", "--dsn", dsn)
    assert result.exit_code == 0, result.stderr
    assert "account" in tables_on(pg_server, fresh_db.name)


def test_all_hosts_dead_exits_3_naming_each_host_within_the_retry_bound(pg_server):
    dead = [free_port(), free_port()]
    policy = RetryPolicy(rounds=3, delay=0.3)
    dsn = f"luna:Dead-Secret-42@127.0.0.1:{dead[0]},127.0.0.1:{dead[1]}/luna_streams?connect_timeout=2"

    started = time.monotonic()
    result = invoke(
        "status", "--dsn", dsn, "--connect-retries", str(policy.rounds),
        "--retry-delay", str(policy.delay),
    )
    elapsed = time.monotonic() - started

    assert result.exit_code == 3
    for port in dead:
        assert f"127.0.0.1:{port}: connection refused" in result.stderr
    assert "after 3 round(s)" in result.stderr
    assert "Dead-Secret-42" not in result.output
    # It waited between rounds, and no longer than the rounds, pauses and
    # per-host timeouts allow (plus start-up slack).
    assert elapsed >= sum(policy.pauses())
    assert elapsed <= sum(policy.pauses()) + policy.rounds * len(dead) * 2 + 5


def test_the_standby_alone_is_read_only_and_exits_3(fresh_db, pg_standby):
    wait_until_replicated(pg_standby, fresh_db.name)
    dsn = hosts_dsn(pg_standby, fresh_db.name, pg_standby.port)
    result = invoke("create", "--schema", "streams", "--dsn", dsn, "--connect-retries", "2", "--retry-delay", "0.1")
    assert result.exit_code == 3
    assert f"127.0.0.1:{pg_standby.port}: read-only" in result.stderr


def test_a_wrong_password_is_not_retried(fresh_db, pg_server):
    dsn = f"luna:Wrong-Password-9@127.0.0.1:{pg_server.port}/{fresh_db.name}"
    started = time.monotonic()
    result = invoke("status", "--schema", "streams", "--dsn", dsn, "--connect-retries", "5", "--retry-delay", "2")
    assert result.exit_code == 2  # bad input: never retried
    assert "rejected the credentials of user 'luna'" in result.stderr
    assert "Wrong-Password-9" not in result.output
    assert time.monotonic() - started < 2  # no pause: a second round cannot help


def test_dsn_command_shows_the_hosts_in_order_and_the_session_attributes():
    import json

    result = invoke("dsn", "--json", "--dsn", "luna:Shown-Never-1@pg01:5433,[::1],pg03/luna_streams")
    assert result.exit_code == 0, result.stderr
    described = json.loads(result.stdout)
    assert described["hosts"] == [
        {"host": "pg01", "port": 5433}, {"host": "::1", "port": 5432}, {"host": "pg03", "port": 5432},
    ]
    assert described["options"]["target_session_attrs"] == "read-write"
    assert described["password_set"] is True
    assert "Shown-Never-1" not in result.output


@pytest.mark.pgversions
@pytest.mark.pgedges
def test_server_stopped_mid_upgrade_reports_the_revision_reached_and_a_rerun_completes(private_cluster):
    """The index revision (s0005) waits on a lock held by another session; the
    server is stopped while it waits. The revisions before it stay committed."""
    cluster = private_cluster
    dsn = cluster.dsn("postgres")
    assert invoke("upgrade", "s0001", "--schema", "streams", "--dsn", dsn).exit_code == 0

    blocker = psycopg2.connect(host=cluster.host, port=cluster.port, user=cluster.user, password=cluster.password, dbname="postgres")
    blocker.cursor().execute("LOCK TABLE log IN ACCESS EXCLUSIVE MODE")
    upgrade = run_process(
        "upgrade", "--schema", "streams", "--dsn", dsn, "--connect-retries", "1", background=True,
    )
    try:
        wait_until_waiting_on_a_lock(cluster)
        cluster.stop("fast")
        stdout, stderr = upgrade.communicate(timeout=60)
    finally:
        if upgrade.poll() is None:
            upgrade.kill()
    assert upgrade.returncode == 1, stderr
    assert "upgraded to s0004" in stdout
    assert "in revision s0005" in stderr
    assert "the database is at revision s0004" in stderr
    assert cluster.password not in stdout + stderr

    cluster.start_again()
    engine = sa.create_engine(cluster.url(), poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == "s0004"
    rerun = invoke("upgrade", "--schema", "streams", "--dsn", dsn)
    assert rerun.exit_code == 0, rerun.stderr
    assert rerun.stdout.count("upgraded to") == 1
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == "s0005"
        valid = connection.execute(sa.text(
            "SELECT indisvalid FROM pg_index WHERE indexrelid = 'ix_log_stream_id_time'::regclass"
        )).scalar()
    assert valid is True



def test_oracle_hosts_that_refuse_are_each_named_with_the_reason():
    """python-oracledb says why on a later line of its error; no server is needed to see it."""
    from tests.pgcluster import free_port

    first, second = free_port(), free_port()
    result = invoke("current", "--schema", "streams", "--connect-retries", "1",
                    "--dsn", f"oracle://u:Secret-9@127.0.0.1:{first},127.0.0.1:{second}/FREEPDB1")
    assert result.exit_code == 3
    assert f"127.0.0.1:{first}: connection refused" in result.stderr
    assert f"127.0.0.1:{second}: connection refused" in result.stderr
    assert "Secret-9" not in result.output


def test_an_oracle_dsn_option_the_driver_does_not_take_is_bad_input():
    result = invoke("current", "--schema", "streams", "--dsn", "oracle://u:p@127.0.0.1:1/FREEPDB1?application_name=x")
    assert result.exit_code == 2
    assert result.stderr.strip() == "luna-db: error: DSN option 'application_name' is not a python-oracledb connect parameter"
