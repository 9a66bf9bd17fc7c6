"""The progress ticker of a long migration step: on a terminal only, never in logs."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time

import psycopg2

from tests.clirunner import ROOT, invoke, run_process
from tests.pghelpers import wait_until_a_lock_wait_lasted, wait_until_waiting_on_a_lock

# The ticker shows once a step has run this long (luna_db_tools.progress), and then each second.
TICKER_AFTER = 3.0


def hold_log_table(server, database):
    """A session that keeps s0005's index build waiting until it is closed."""
    blocker = psycopg2.connect(host=server.host, port=server.port, user=server.user,
                               password=server.password, dbname=database)
    blocker.cursor().execute("LOCK TABLE log IN ACCESS EXCLUSIVE MODE")
    return blocker


def upgrade_on_a_terminal(dsn: str) -> tuple[subprocess.Popen, int]:
    """`luna-db upgrade` with its stderr on a pseudo-terminal; returns the process and the pty's reading end."""
    reader, writer = pty.openpty()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("LUNA_DB_")}
    environ["PYTHONPATH"] = str(ROOT)
    process = subprocess.Popen(
        [sys.executable, "-m", "luna_db_tools", "upgrade", "--schema", "streams", "--dsn", dsn,
         "--db-lock-timeout", "0"],
        stdout=subprocess.PIPE, stderr=writer, env=environ,
    )
    os.close(writer)
    return process, reader


def read_until(reader: int, text: str, timeout: float = 30) -> str:
    """Read the pty until `text` shows; returns what was read."""
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    while text.encode() not in b"".join(chunks):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([reader], [], [], left)[0]:
            raise AssertionError(f"{text!r} not shown in {timeout}s: {b''.join(chunks)!r}")
        chunks.append(os.read(reader, 4096))
    return b"".join(chunks).decode(errors="replace")


def read_all(reader: int) -> str:
    chunks = []
    while True:
        try:
            chunk = os.read(reader, 4096)
        except OSError:  # the other end closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(reader)
    return b"".join(chunks).decode(errors="replace")


def test_a_long_step_shows_a_ticker_on_a_terminal(fresh_db, pg_server):
    assert invoke("upgrade", "s0004", "--schema", "streams", "--dsn", fresh_db.dsn).exit_code == 0
    blocker = hold_log_table(pg_server, fresh_db.name)
    process, reader = upgrade_on_a_terminal(fresh_db.dsn)
    try:
        wait_until_waiting_on_a_lock(pg_server, fresh_db.name)
        terminal = read_until(reader, "applying s0005 running, ", timeout=TICKER_AFTER + 30)
    finally:
        blocker.close()
    assert process.wait(timeout=60) == 0
    terminal += read_all(reader)
    assert "applying s0005 running, " in terminal
    assert "\r\x1b[K" in terminal  # one line, rewritten in place


def test_no_ticker_when_stderr_is_not_a_terminal(fresh_db, pg_server):
    assert invoke("upgrade", "s0004", "--schema", "streams", "--dsn", fresh_db.dsn).exit_code == 0
    blocker = hold_log_table(pg_server, fresh_db.name)
    process = run_process("upgrade", "--schema", "streams", "--dsn", fresh_db.dsn, "--db-lock-timeout", "0",
                          background=True)
    try:
        # Past the moment a ticker would have shown, and its first update.
        wait_until_a_lock_wait_lasted(pg_server, fresh_db.name, TICKER_AFTER + 1.2)
    finally:
        blocker.close()
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    assert "upgraded to s0005" in stdout
    assert "running," not in stdout + stderr and "\x1b" not in stdout + stderr


def test_errors_are_red_on_a_terminal_only():
    reader, writer = pty.openpty()
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("LUNA_DB_", "NO_COLOR"))}
    environ["PYTHONPATH"] = str(ROOT)
    process = subprocess.Popen([sys.executable, "-m", "luna_db_tools", "dsn", "--dsn", "host:notaport"],
                               stdout=subprocess.DEVNULL, stderr=writer, env=environ)
    os.close(writer)
    assert process.wait(timeout=30) == 2
    assert "\x1b[31m" in read_all(reader)
    piped = run_process("dsn", "--dsn", "host:notaport")
    assert piped.returncode == 2 and piped.stderr.startswith("luna-db: error: ") and "\x1b" not in piped.stderr
