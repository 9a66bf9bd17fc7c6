"""Connection poolers: through PgBouncer in transaction or statement
mode luna-db refuses (exit 2) before it locks or sets anything; in session
mode it works. Needs Debian's `pgbouncer` package (make system-packages)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.clirunner import invoke
from tests.pgcluster import free_port
from tests.pghelpers import fetch_all

pytestmark = [pytest.mark.pgversions, pytest.mark.pgedges]

PGBOUNCER = shutil.which("pgbouncer") or ("/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").exists() else None)


@pytest.fixture
def pgbouncer(fresh_db, pg_server):
    """A PgBouncer in front of fresh_db, with one alias per pool mode: tx, st, se."""
    if PGBOUNCER is None:
        pytest.skip("PgBouncer is not installed (apt-get install pgbouncer)")
    directory = Path(tempfile.mkdtemp(prefix="luna-pgbouncer-"))
    if os.geteuid() == 0:
        shutil.chown(directory, "nobody")  # PgBouncer runs as nobody and writes its log here
    port = free_port()
    target = f"host={pg_server.host} port={pg_server.port} dbname={fresh_db.name}"
    (directory / "userlist.txt").write_text(f'"{pg_server.user}" "{pg_server.password}"\n')
    (directory / "pgbouncer.ini").write_text(f"""[databases]
tx = {target} pool_mode=transaction
st = {target} pool_mode=statement
se = {target} pool_mode=session

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {directory}/userlist.txt
pool_mode = session
; No DISCARD ALL between clients: what luna-db leaves on a session shows.
server_reset_query =
logfile = {directory}/pgbouncer.log
ignore_startup_parameters = extra_float_digits,options
""")
    for path in directory.iterdir():
        path.chmod(0o644)
    # PgBouncer refuses to run as root: -u drops to an unprivileged user.
    command = [PGBOUNCER, str(directory / "pgbouncer.ini")]
    if os.geteuid() == 0:
        command[1:1] = ["-u", "nobody"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log = (directory / "pgbouncer.log").read_text() if (directory / "pgbouncer.log").exists() else ""
                    pytest.skip(f"PgBouncer did not start: {(process.stdout.read() if process.poll() is not None else '') + log}"[:300])
                time.sleep(0.1)

        def dsn(alias: str) -> str:
            return f"{quote(pg_server.user, safe='')}:{quote(pg_server.password, safe='')}@127.0.0.1:{port}/{alias}"

        yield dsn
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(directory, ignore_errors=True)


def _advisory_locks(db) -> int:
    return fetch_all(db.server, db.name, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")[0][0]


@pytest.mark.parametrize("alias, mode", [("tx", "transaction"), ("st", "statement")])
def test_a_transaction_or_statement_pooler_is_refused_with_exit_2_and_leaves_nothing(pgbouncer, fresh_db, alias, mode):
    for command in (["upgrade"], ["create"], ["stamp", "b0001"]):
        result = invoke(*command, "--schema", "backport3", "--dsn", pgbouncer(alias), "--retry-delay", "0.1")
        assert result.exit_code == 2, (mode, command, result.output)
        assert "connection pooler in transaction or statement mode" in result.stderr
        assert "connect to PostgreSQL directly" in result.stderr
        assert result.stderr.count("luna-db: error:") == 1  # one error line (statement mode: after the retry warnings)
    assert _advisory_locks(fresh_db) == 0
    assert fetch_all(fresh_db.server, fresh_db.name, "SELECT to_regclass('alembic_version') IS NULL")[0][0]
    # Nothing luna-db set stayed on a pooled server connection.
    settings = fetch_all(fresh_db.server, fresh_db.name, """
        SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
        AND application_name = 'luna-db' AND pid <> pg_backend_pid()""")
    assert settings[0][0] <= 2  # pooled server connections may idle on; the lock and settings checks above hold


def test_session_pooling_is_a_real_session_and_works(pgbouncer, fresh_db):
    result = invoke("upgrade", "--schema", "backport3", "--dsn", pgbouncer("se"))
    assert result.exit_code == 0, result.output
    assert "upgraded to b0004" in result.output
    assert _advisory_locks(fresh_db) == 0
    # The next client of the pooled server connection gets the server's
    # defaults, not luna-db's session settings (no server_reset_query here).
    import psycopg2

    client = psycopg2.connect(pgbouncer_url(pgbouncer("se")))
    try:
        with client.cursor() as cursor:
            cursor.execute("SELECT current_setting('lock_timeout'), current_setting('statement_timeout'),"
                           " coalesce(current_setting('client_connection_check_interval', true), '0'), pg_backend_pid()")
            # client_connection_check_interval is 14+: an older server has no such setting to leave behind.
            lock_timeout, statement_timeout, check_interval, _pid = cursor.fetchone()
    finally:
        client.close()
    assert (lock_timeout, statement_timeout, check_interval) == ("0", "0", "0")


def pgbouncer_url(dsn: str) -> str:
    return "postgresql://" + dsn
