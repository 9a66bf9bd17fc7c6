"""squawk, the PostgreSQL migration linter, run as a subprocess (`squawk-cli` on PyPI, a binary wheel).

Installed with `pip install 'luna-db-tools[lint]'`: an extra, not a
dependency, because the hosts that only run `luna-db upgrade` never lint, and
squawk-cli ships binary wheels for the common platforms only (no sdist that
builds without a Rust toolchain), so a hard dependency would stop luna-db
installing where it is needed most.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from ...errors import LintEngineMissing, OperationFailed

#: squawk's rules that luna-db does not report, and why.
EXCLUDED_RULES = {
    # Pure style: a choice of type, made in the models, that neither locks a
    # table nor breaks a running release.
    "prefer-bigint-over-int": "style: a type choice, not an online-safety hazard",
    "prefer-bigint-over-smallint": "style: a type choice, not an online-safety hazard",
    "prefer-big-int": "style: a type choice, not an online-safety hazard",
    "prefer-identity": "style: serial vs identity is a type choice (adding a serial column is luna-db's adding-serial-field)",
    "prefer-text-field": "style: varchar(n) is the schema's contract; a later type change is flagged by changing-column-type",
    "prefer-timestamp-tz": "style: the schemas store UTC in timestamp columns by design",
    "prefer-timestamptz": "style: the schemas store UTC in timestamp columns by design",
    "ban-char-field": "style: a type choice, not an online-safety hazard",
    "require-enum-value-ordering": "style: where a new enum value sorts is a modelling choice, not a hazard",
    "require-table-schema": "style: luna-db sets the search path; names are unqualified on purpose",
    # Handled by how luna-db runs a migration, so always true of a bare file.
    "require-lock-timeout": "luna-db sets lock_timeout on every run it makes and in its --sql scripts",
    "require-statement-timeout": "luna-db sets statement_timeout on every run it makes and in its --sql scripts",
    "require-timeout-settings": "luna-db sets lock_timeout and statement_timeout on every run it makes",
    "prefer-robust-stmts": "each PostgreSQL revision runs in its own transaction: a failure rolls back, no half-state to rerun over",
    # Loosening never breaks the release that runs: replacing a CHECK (drop, add NOT VALID, validate) needs it.
    "ban-drop-constraint": "dropping a constraint loosens the schema; the running release keeps working",
    "ban-drop-not-null": "DROP NOT NULL is metadata only and loosens: the running release writes values as before (the expand step before a column goes)",
    "unused-ignore": "squawk's own ignore comments are not luna-db's accept comments",
}


@dataclass(frozen=True)
class SquawkHit:
    rule: str
    message: str
    help: str | None
    line: int    # 1-based
    column: int  # 0-based


def squawk_binary() -> Path:
    """squawk next to this Python (a venv's bin/ or Scripts/) or on PATH."""
    name = "squawk.exe" if os.name == "nt" else "squawk"
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return beside
    found = shutil.which("squawk")
    if found:
        return Path(found)
    raise LintEngineMissing(
        "squawk, luna-db's PostgreSQL lint engine, is not installed: pip install 'luna-db-tools[lint]'"
    )


def run_squawk(sql: str, source: str = "<stdin>", pg_version: str | None = None) -> list[SquawkHit]:
    """squawk's findings on one script, its style rules left out."""
    command = [str(squawk_binary()), "--reporter", "json", "--stdin-filepath", source]
    if pg_version:
        command += ["--pg-version", pg_version]
    try:
        result = subprocess.run(command, input=sql, capture_output=True, text=True, timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise OperationFailed(f"squawk did not run: {error}") from error
    try:
        entries = json.loads(result.stdout or "[]")
    except json.JSONDecodeError:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise OperationFailed(f"squawk failed (exit {result.returncode}): {detail[0] if detail else 'no output'}") from None
    return [
        SquawkHit(e["rule_name"], e["message"], e.get("help"), int(e["line"]) + 1, int(e["column"]))
        for e in entries
        if e["rule_name"] not in EXCLUDED_RULES
    ]
