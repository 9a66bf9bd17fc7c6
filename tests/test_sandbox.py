"""`make sandbox` as a newcomer uses it: the environment it prints works from anywhere, and SIGTERM or SIGINT removes it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg2
import pytest

from tests.clirunner import ROOT, checkout_environment


def start_sandbox(**popen):
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "sandbox.py")], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=checkout_environment(), **popen,
    )
    banner = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        banner.append(line)
        if line.startswith("Stop it"):
            return process, "".join(banner)
    process.kill()
    raise AssertionError(f"no banner: {''.join(banner)} {process.stderr.read()}")


def server_answers(port: int) -> bool:
    try:
        psycopg2.connect(host="127.0.0.1", port=port, user="luna", password="luna", dbname="postgres",
                         connect_timeout=3).close()
        return True
    except psycopg2.OperationalError:
        return False


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT])
def test_the_sandbox_stops_on_a_signal_and_leaves_nothing_behind(tmp_path, number):
    # SIGINT ignored, as a shell starts a background job: the sandbox must still stop on it.
    process, banner = start_sandbox(preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    try:
        port = int(re.search(r"LUNA_DB_PORT=(\d+)", banner)[1])
        files = Path(re.search(r"files in (\S+)\.$", banner, re.MULTILINE)[1])
        assert f"kill {process.pid}" in banner
        assert server_answers(port) and files.is_dir()

        # The printed environment, pasted into a shell in another directory, runs luna-db.
        exports = [line.strip() for line in banner.splitlines() if line.strip().startswith(("export ", "alias "))]
        script = "\n".join([*exports, "luna-db create --db-name luna_streams --create-database -q",
                            "luna-db current --db-name luna_streams"])
        environment = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
        shell = subprocess.run(["bash", "-O", "expand_aliases", "-c", script], cwd=tmp_path, capture_output=True,
                               text=True, env=environment, timeout=120)
        assert shell.returncode == 0, shell.stderr
        assert "s0005" in shell.stdout

        os.kill(process.pid, number)
        assert process.wait(timeout=60) == 0, process.stderr.read()
        assert "stopped and removed" in process.stdout.read()
        assert not server_answers(port)
        assert not files.exists()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
