"""Run luna-db as users do: in-process through click (fast), or as a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from luna_db_tools.cli import main

ROOT = Path(__file__).resolve().parent.parent


def invoke(*args: str, env: dict | None = None):
    """luna-db in this process; returns click's Result (exit_code, stdout, stderr)."""
    environ = {key: None for key in os.environ if key.startswith("LUNA_DB_")}
    environ.update(env or {})
    return CliRunner().invoke(main, list(args), env=environ, catch_exceptions=False)


def checkout_environment(*, bare: bool = False, **overrides: str) -> dict[str, str]:
    """The environment of a child process that runs this checkout's code (PYTHONPATH at the checkout).

    The caller's environment less luna-db's own settings (LUNA_DB_*), so that none of them steers
    a test; `bare`: nothing but PYTHONPATH and a system PATH, as a cron job or an init system gives.
    """
    if bare:
        environ = {"PATH": "/usr/bin:/bin"}
    else:
        environ = {k: v for k, v in os.environ.items() if not k.startswith("LUNA_DB_")}
    environ["PYTHONPATH"] = str(ROOT)
    environ.update(overrides)
    return environ


def run_process(*args: str, env: dict | None = None, timeout: float = 120, background=False, **kwargs):
    """luna-db as a separate process of this checkout's code (a Popen when in the background)."""
    environ = checkout_environment(**(env or {}))
    if background:
        return subprocess.Popen(
            [sys.executable, "-m", "luna_db_tools", *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environ, **kwargs,
        )
    return subprocess.run(
        [sys.executable, "-m", "luna_db_tools", *args],
        capture_output=True, text=True, env=environ, timeout=timeout, **kwargs,
    )
