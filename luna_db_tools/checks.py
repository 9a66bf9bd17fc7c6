"""`luna-db check`: the migration checks a CI pipeline owes its users.

On an empty scratch database: one head; base to head applies; the models
match what the migrations built; every revision's downgrade undoes it
(stairway); and the PostgreSQL SQL each revision emits is linted for
statements that would lock a busy production table. A revision accepts a
lint finding with a marked comment that says why:

    # luna-db check: accept drop-column account.password -- moved out in 0.4.0
"""

from __future__ import annotations

import io
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from .audit import audit_rows, checksum_mismatches
from .connection import RetryPolicy, connect
from .drift import TOOL_TABLES, compare_database
from .environment import make_config
from .errors import BadInput
from .schemas import load_models
from .settings import DbSettings, require_schema


@dataclass
class Finding:
    kind: str  # multiple-heads, upgrade-failed, model-mismatch, stairway, or a lint rule
    revision: str | None
    object: str
    message: str
    accepted: bool = False
    reason: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        where = f" [{self.revision}]" if self.revision else ""
        text = f"{self.kind}{where} {self.object}: {self.message}"
        return f"{text} (accepted: {self.reason})" if self.accepted else text


@dataclass
class CheckReport:
    schema: str
    findings: list[Finding] = field(default_factory=list)
    checks_run: list[str] = field(default_factory=list)

    @property
    def failures(self) -> list[Finding]:
        return [f for f in self.findings if not f.accepted]

    def as_dict(self) -> dict:
        return {
            "schema": self.schema,
            "ok": not self.failures,
            "checks": self.checks_run,
            "findings": [f.as_dict() for f in self.findings],
        }


def run_checks(
    settings: DbSettings,
    *,
    migrations_dir: Path | None = None,
    policy: RetryPolicy | None = None,
    report: Callable[[str], None] = lambda line: None,
) -> CheckReport:
    """Run every check against the (empty) scratch database of `settings`."""
    from alembic import command
    from alembic.script import ScriptDirectory

    schema = require_schema(settings.schema)
    result = CheckReport(schema)
    metadata = load_models(schema).metadata
    script = ScriptDirectory.from_config(make_config(schema, script_location=migrations_dir))

    with connect(settings, policy) as connection:
        _refuse_non_empty(connection, settings)
        connection.commit()

        def run(verb: str, revision: str) -> None:
            # Alembic commits each revision only on a connection handed over
            # outside a transaction (the snapshots read in one).
            connection.commit()
            config = make_config(schema, connection=connection, settings=settings, script_location=migrations_dir)
            getattr(command, verb)(config, revision)

        result.checks_run.append("single-head")
        heads = script.get_heads()
        if len(heads) != 1:
            result.findings.append(Finding(
                "multiple-heads", None, ", ".join(sorted(heads)),
                f"the history has {len(heads)} heads; merge them or fix a down_revision",
            ))
            return result  # nothing further is well-defined on a forked history
        order = [s.revision for s in reversed(list(script.walk_revisions()))]

        result.checks_run.append("upgrade")
        shapes: dict[str, dict] = {"base": snapshot(connection)}
        for revision in order:
            try:
                run("upgrade", revision)
            except Exception as error:  # the migration's own failure, reported as a finding
                connection.rollback()
                result.findings.append(Finding("upgrade-failed", revision, revision, _first_line(error)))
                return result
            shapes[revision] = snapshot(connection)
            report(f"upgraded to {revision}")

        result.checks_run.append("models-match-migrations")
        for difference in compare_database(connection, metadata):
            result.findings.append(Finding("model-mismatch", order[-1], difference.object, f"{difference.kind}{' (' + difference.detail + ')' if difference.detail else ''}"))
        connection.commit()

        result.checks_run.append("checksums")
        for mismatch in checksum_mismatches(audit_rows(connection), script, order):
            result.findings.append(Finding(
                "checksum", mismatch["revision"], mismatch["revision"],
                "the revision file changed after it was applied",
            ))
        connection.commit()

        result.checks_run.append("stairway")
        result.findings += _stairway(run, connection, order, shapes)

    result.checks_run.append("online-safety-lint")
    result.findings += lint_history(schema, script, order, migrations_dir)
    return result


def _stairway(run, connection, order: list[str], shapes: dict[str, dict]) -> list[Finding]:
    """From the head down: each revision's downgrade must give back the shape
    below it, and its upgrade the shape it had. Stops at the first step that
    leaves the database in an unknown shape."""
    for revision, below in reversed(list(zip(order, ["base", *order[:-1]]))):
        for verb, target, expected in (("downgrade", below, shapes[below]), ("upgrade", revision, shapes[revision])):
            try:
                run(verb, target)
            except Exception as error:
                connection.rollback()
                return [Finding("stairway", revision, revision, f"{verb} to {target} failed: {_first_line(error)}")]
            wrong = _snapshot_differences(expected, snapshot(connection))
            if wrong:
                return [Finding("stairway", revision, line, f"{verb} to {target} does not restore the shape") for line in wrong]
        run("downgrade", below)
    return []


def _refuse_non_empty(connection, settings: DbSettings) -> None:
    import sqlalchemy as sa

    tables = [name for name in sa.inspect(connection).get_table_names() if name not in TOOL_TABLES]
    if tables:
        raise BadInput(
            f"check needs an empty scratch database; {settings.masked_dsn()} holds "
            f"{', '.join(sorted(tables)[:5])}{' ...' if len(tables) > 5 else ''}"
        )


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


# --- schema snapshots (for the stairway) ---------------------------------------------


def snapshot(connection) -> dict:
    """What a revision changes, reflected: tables, columns, keys, indexes, checks, views."""
    import sqlalchemy as sa

    inspector = sa.inspect(connection)
    tables = {}
    for name in sorted(inspector.get_table_names()):
        if name in TOOL_TABLES:
            continue
        tables[name] = {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"], str(c.get("default")), c.get("comment"))
                for c in inspector.get_columns(name)
            ],
            "primary key": inspector.get_pk_constraint(name).get("name"),
            "foreign keys": sorted((fk["name"], tuple(fk["constrained_columns"]), fk["referred_table"]) for fk in inspector.get_foreign_keys(name)),
            "unique": sorted((u["name"], tuple(u["column_names"])) for u in inspector.get_unique_constraints(name)),
            "indexes": sorted((i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in inspector.get_indexes(name)),
            "checks": sorted((c["name"], c["sqltext"]) for c in inspector.get_check_constraints(name)),
            "comment": inspector.get_table_comment(name).get("text"),
        }
    views = {name: inspector.get_view_definition(name) for name in sorted(inspector.get_view_names())}
    return {"tables": tables, "views": views}


def _snapshot_differences(want: dict, got: dict) -> list[str]:
    lines = []
    for name in sorted(set(want["tables"]) | set(got["tables"])):
        if name not in got["tables"]:
            lines.append(f"table {name} missing")
        elif name not in want["tables"]:
            lines.append(f"table {name} left behind")
        else:
            for part, value in want["tables"][name].items():
                if got["tables"][name][part] != value:
                    lines.append(f"{name} {part}")
    for name in sorted(set(want["views"]) | set(got["views"])):
        if want["views"].get(name) != got["views"].get(name):
            lines.append(f"view {name}")
    return lines


# --- online-safety lint ---------------------------------------------------------------

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
    from alembic import command

    output = io.StringIO()
    config = make_config(schema, db_type="postgres", output=output, script_location=migrations_dir)
    command.upgrade(config, f"{below}:{revision}", sql=True)
    return output.getvalue()
