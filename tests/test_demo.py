"""The README's first set-up command, `make demo`, as the Makefile runs it."""

from __future__ import annotations

import subprocess
import sys

from tests.clirunner import ROOT, checkout_environment


def test_make_demo_creates_both_schemas_on_its_own_server_and_removes_it():
    environ = checkout_environment(PYTHONPATH=".")  # as the Makefile's demo target sets it
    result = subprocess.run([sys.executable, "scripts/demo.py"], cwd=ROOT, env=environ,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "created streams" in result.stdout and "created backport3" in result.stdout
    assert result.stdout.rstrip().endswith("the throwaway server is stopped and removed.")
