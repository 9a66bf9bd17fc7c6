"""squawk, the PostgreSQL migration linter, run as a subprocess (`squawk-cli` on PyPI, a binary wheel).

A dependency of luna-db where squawk-cli has binary wheels (pyproject.toml's
environment marker: Linux x86_64/aarch64, macOS, Windows x86/x64); elsewhere
its sdist needs a Rust toolchain, so it is left out there and `lint` says in
one line how to get it (`pip install 'luna-db-tools[lint]'`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

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


#: The fix luna-db gives with each squawk rule it reports (squawk says what goes
#: wrong, and for some rules nothing on what to do instead; luna-db's own rules
#: carry their fix, so squawk's must too). A rule not listed takes the fix of
#: luna-db's PostgreSQL rule of the same name, else squawk's own help, else
#: squawk's page on the rule.
FIXES = {
    "adding-field-with-default": "add the column without the default (or with a constant one), then backfill in batches",
    "adding-foreign-key-constraint": "add it NOT VALID, then VALIDATE CONSTRAINT in a later transaction",
    "adding-not-nullable-field": "add a CHECK (col IS NOT NULL) NOT VALID, validate it, then SET NOT NULL (PostgreSQL 12+ skips the scan)",
    "adding-required-field": "add the column nullable (or with a constant default), backfill, then SET NOT NULL",
    "adding-serial-primary-key-field": "build a unique index CONCURRENTLY, then ADD PRIMARY KEY USING INDEX",
    "ban-alter-domain-with-add-constraint": "add the constraint to the columns' tables (NOT VALID, then VALIDATE) instead of the domain",
    "ban-concurrent-index-creation-in-transaction": "run the CONCURRENTLY build outside a transaction (luna-db's online index build does)",
    "ban-create-domain-with-constraint": "put the CHECK on the tables' columns instead of the domain",
    "ban-drop-column": "stop reading and writing the column in a release first (expand/contract), then drop it",
    "ban-drop-database": "drop databases by hand, never in a migration",
    "ban-drop-table": "stop using the table in a release first (expand/contract), then drop it",
    "ban-truncate-cascade": "truncate the tables you mean by name, without CASCADE",
    "ban-uncommitted-transaction": "end the script's BEGIN with a COMMIT",
    "changing-column-type": "add a column of the new type, backfill it, switch readers, then drop the old one",
    "constraint-missing-not-valid": "add the constraint NOT VALID, then VALIDATE CONSTRAINT in a later transaction",
    "disallowed-unique-constraint": "build a unique index CONCURRENTLY, then ADD CONSTRAINT ... UNIQUE USING INDEX",
    "identifier-too-long": "shorten the name to 63 bytes or fewer (PostgreSQL truncates longer ones silently)",
    "renaming-column": "add the new column, write both, switch readers, then drop the old one (expand/contract)",
    "renaming-table": "create the new table (or a view under the old name), switch readers, then drop the old one",
    "require-concurrent-index-creation": "use CREATE INDEX CONCURRENTLY outside a transaction",
    "require-concurrent-index-deletion": "use DROP INDEX CONCURRENTLY outside a transaction",
    "syntax-error": "correct the statement; nothing after it was checked",
    "transaction-nesting": "drop the inner BEGIN/COMMIT: luna-db runs each revision in its own transaction",
}


def fix_for(rule: str, squawk_help: str | None = None) -> str:
    """What to do about a squawk finding: luna-db's fix, else squawk's help, else squawk's page on the rule."""
    from .pg_rules import PG

    if rule in FIXES:
        return FIXES[rule]
    own = [r.fix for r in PG.rules() if r.name == rule and r.fix]
    if own:
        return own[0]
    if squawk_help:
        return squawk_help.rstrip(".")
    return f"see https://squawkhq.com/docs/{rule}"


@dataclass(frozen=True)
class SquawkHit:
    rule: str
    message: str
    help: str | None
    line: int    # 1-based
    column: int  # 0-based

    @property
    def message_with_fix(self) -> str:
        """squawk's message and the fix, as luna-db's own rules say theirs: "problem; fix"."""
        return f"{self.message.rstrip('.')}; {fix_for(self.rule, self.help)}"


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
    entries = _squawk_json(["--stdin-filepath", source], pg_version, sql)
    return [_hit(e) for e in entries if e["rule_name"] not in EXCLUDED_RULES]


def run_squawk_many(scripts: Mapping[str, str], pg_version: str | None = None) -> dict[str, list[SquawkHit]]:
    """squawk's findings on several scripts, by source name, in one squawk process.

    Each script is a file of its own (squawk judges each file alone, as it
    judges one script on stdin); one process instead of one per script saves
    its start-up, about 10 ms, per script (`luna-db check` lints two per revision).
    """
    found: dict[str, list[SquawkHit]] = {source: [] for source in scripts}
    if not scripts:
        return found
    with tempfile.TemporaryDirectory(prefix="luna-db-squawk-") as folder:
        sources = {}
        for number, (source, sql) in enumerate(scripts.items()):
            path = Path(folder) / f"{number}.sql"
            path.write_text(sql, encoding="utf-8")
            sources[str(path)] = source
        entries = _squawk_json(list(sources), pg_version)
    for e in entries:
        if e["rule_name"] not in EXCLUDED_RULES:
            found[sources[e["file"]]].append(_hit(e))
    return found


def _hit(entry: dict) -> SquawkHit:
    return SquawkHit(entry["rule_name"], entry["message"], entry.get("help"), int(entry["line"]) + 1, int(entry["column"]))


def _squawk_json(arguments: list[str], pg_version: str | None, stdin: str | None = None) -> list[dict]:
    """squawk's JSON report of `arguments` (files, or --stdin-filepath NAME with `stdin`)."""
    command = [str(squawk_binary()), "--reporter", "json", *arguments]
    if pg_version:
        command += ["--pg-version", pg_version]
    try:
        result = subprocess.run(command, input=stdin, capture_output=True, text=True, timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise OperationFailed(f"squawk did not run: {error}") from error
    try:
        return json.loads(result.stdout or "[]")
    except json.JSONDecodeError:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise OperationFailed(f"squawk failed (exit {result.returncode}): {detail[0] if detail else 'no output'}") from None
