"""Online-safety lint of the PostgreSQL SQL each revision emits.

Statements that would lock or rewrite a busy production table, or break the
release still running, are findings; tables a revision creates itself are
exempt. A revision accepts a finding with a marked comment that says why:

    # luna-db check: accept drop-column account.password -- moved out in 0.4.0
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from alembic import command

from ..runtime.environment import make_config
from .findings import Finding

_RULES = [
    ("index-not-concurrent", re.compile(r"^CREATE (?:UNIQUE )?INDEX (?!CONCURRENTLY)(?:IF NOT EXISTS )?(?P<object>\S+) ON (?P<table>\S+)"),
     "CREATE INDEX on an existing table blocks writes; use CREATE INDEX CONCURRENTLY in an autocommit block"),
    ("not-null-without-default", re.compile(r"^ALTER TABLE (?P<table>\S+) ADD (?:COLUMN )?(?P<object>\S+) (?=.*NOT NULL)(?!.*DEFAULT)"),
     "adding a NOT NULL column without a default fails on a table with rows"),
    ("drop-column", re.compile(r"^ALTER TABLE (?P<table>\S+) DROP COLUMN (?P<object>\S+)"),
     "dropping a column breaks the running release that still reads it"),
    ("drop-table", re.compile(r"^DROP TABLE (?:IF EXISTS )?(?P<table>\S+)(?P<object>)"),
     "dropping a table breaks the running release that still reads it"),
    ("constraint-not-valid", re.compile(r"^ALTER TABLE (?P<table>\S+) ADD CONSTRAINT (?P<object>\S+) (?!.*NOT VALID)"),
     "adding a constraint scans the table under an exclusive lock; add it NOT VALID, then VALIDATE CONSTRAINT"),
    ("type-change-rewrite", re.compile(r"^ALTER TABLE (?P<table>\S+) ALTER COLUMN (?P<object>\S+) (?:SET DATA )?TYPE"),
     "changing a column's type rewrites the table under an exclusive lock"),
]
_CREATE_TABLE = re.compile(r"^CREATE TABLE (?P<table>\S+)")
_ACCEPT = re.compile(r"#\s*luna-db check:\s*accept\s+(?P<kind>[\w-]+)(?:\s+(?P<object>[\w.\"]+))?\s+--\s*(?P<reason>\S.*)")


def lint_history(schema: str, script, order: list[str], migrations_dir: Path | None) -> list[Finding]:
    """Lint the PostgreSQL SQL of each revision's upgrade."""
    findings = []
    for revision, below in zip(order, ["base", *order[:-1]]):
        sql = _revision_sql(schema, below, revision, migrations_dir)
        accepted = _accepted(Path(script.get_revision(revision).path))
        for finding in lint_sql(sql, revision):
            for kind, obj, reason in accepted:
                if kind == finding.kind and (obj is None or obj == finding.object):
                    finding.accepted, finding.reason = True, reason
            findings.append(finding)
    return findings


def lint_sql(sql: str, revision: str | None = None) -> list[Finding]:
    """Findings for one revision's SQL; tables it creates itself are exempt."""
    created: set[str] = set()
    findings = []
    for statement in _statements(sql):
        match = _CREATE_TABLE.match(statement)
        if match:
            created.add(_bare(match["table"]))
            continue
        for kind, pattern, message in _RULES:
            match = pattern.match(statement)
            if match and _bare(match["table"]) not in created:
                table = _bare(match["table"])
                obj = f"{table}.{_bare(match['object'])}" if match["object"] else table
                findings.append(Finding(kind, revision, obj, message))
    return findings


def _statements(sql: str) -> list[str]:
    lines = [line for line in sql.splitlines() if not line.startswith("--")]
    return [" ".join(part.split()) for part in "\n".join(lines).split(";") if part.strip()]


def _bare(identifier: str) -> str:
    return identifier.strip('"').split(".")[-1].strip('"')


def _accepted(path: Path) -> list[tuple[str, str | None, str]]:
    return [
        (m["kind"], m["object"], m["reason"].strip())
        for m in _ACCEPT.finditer(path.read_text(encoding="utf-8"))
    ]


def _revision_sql(schema: str, below: str, revision: str, migrations_dir: Path | None) -> str:

    output = io.StringIO()
    config = make_config(schema, db_type="postgres", output=output, script_location=migrations_dir)
    command.upgrade(config, f"{below}:{revision}", sql=True)
    return output.getvalue()
