"""`luna-db check`: the migration checks a CI pipeline owes its users.

On an empty scratch database: one head; base to head applies; the models
match what the migrations built; the release running before each revision
keeps working on its schema (command/running_release.py: its workload,
generated from its snapshot, replayed on the next revision); every
revision's downgrade undoes it (stairway); and the PostgreSQL SQL each revision emits is linted for
statements that would lock a busy production table, in its upgrade AND its
downgrade (analysis/sql/lint.py: squawk plus luna-db's own rules). A revision
accepts a lint finding with a marked comment that says why:

    # luna-db check: accept drop-column account.password -- moved out in 0.4.0

A check leaves its scratch database as it found it: what it created there
(tables, views, sequences, the version table and the audit trail) is dropped
when it ends, passed or failed, so the same check runs again on it.
Without a schema, `check_targets` names one check per schema.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import sqlalchemy as sa

from ..analysis.findings import Finding
from ..analysis.release_verdict import KIND as BREAKS_RUNNING_RELEASE
from ..analysis.release_verdict import release_findings
from ..analysis.schema.catalog import Snapshot, column_types
from ..analysis.sql.lint import accepted_rules, lint_revision, squawk_revisions
from ..config.settings import SCHEMA_NAMES, DbSettings
from ..db.audit import audit_rows
from ..db.connect import RetryPolicy, connect
from ..errors import first_line
from ..runtime.environment import make_config
from ..runtime.loaded_history import LoadedHistory
from ..runtime.offline import render_migration
from ..schemas import load_models
from ..script.history import script_directory
from ..script.known_checksums import checksum_mismatches
from .catalog_reader import read_shape
from .common import Report, refuse_non_empty, schema_of, silent
from .drift import compare_database
from .running_release import ReleaseWalk
from .stairway import walk_stairway


@dataclass
class CheckReport:
    schema: str
    revisions: list[str] = field(default_factory=list)  # oldest first
    findings: list[Finding] = field(default_factory=list)
    checks_run: list[str] = field(default_factory=list)
    # The catalog snapshot after each revision ("base" before the first), as the upgrade
    # check read them: the schema each revision's lint judges a type change against.
    shapes: dict = field(default_factory=dict, repr=False)

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


#: The refusal's hint when the database was given as it is.
HINT_EMPTY = "give it an empty database of its own, or a new name and --create-database"
#: The refusal's hint when --create-database found the database already there.
HINT_EXISTING = "--create-database creates a database only when none has that name: name a new one, or empty this one"


def check_targets(settings: DbSettings, separate_databases: bool) -> list[DbSettings]:
    """The settings of each check to run: the schema named, or else both schemas.

    Both schemas run in turn in the database given, or, with
    `separate_databases`, each in its own database named after it
    (`luna_ci` -> `luna_ci_streams`, `luna_ci_backport3`).
    """
    if settings.schema is not None:
        return [settings]
    if separate_databases:
        return [replace(settings.with_database(f"{settings.database}_{schema}"), schema=schema) for schema in SCHEMA_NAMES]
    return [replace(settings, schema=schema) for schema in SCHEMA_NAMES]


def drop_database(settings: DbSettings, policy: RetryPolicy | None) -> None:
    """Drop the PostgreSQL database of `settings` (one `ensure_database` created for a check)."""
    with connect(settings.with_database("postgres"), policy, isolation_level="AUTOCOMMIT") as connection:
        quoted = connection.dialect.identifier_preparer.quote_identifier(settings.database)
        connection.execute(sa.text(f"DROP DATABASE IF EXISTS {quoted}"))


def run_checks(
    settings: DbSettings,
    *,
    migrations_dir: Path | None = None,
    policy: RetryPolicy | None = None,
    report: Report = silent,
    hint: str = HINT_EMPTY,
) -> CheckReport:
    """Run every check against the (empty) scratch database of `settings`, then drop what they created there."""

    schema = schema_of(settings)
    metadata = load_models(schema).metadata
    script = script_directory(schema, migrations_dir)

    with connect(settings, policy) as connection:
        refuse_non_empty(connection, settings, "check needs an empty scratch database", hint)
        report(f"checking {schema} in {settings.database}")
        before = _objects(connection)
        connection.commit()
        try:
            result = _check(connection, settings, schema, metadata, script, migrations_dir, report)
        finally:
            connection.rollback()
            _drop_new_objects(connection, before)
            connection.commit()

    if result.checks_run[-1] == "stairway":  # a forked history or a failed upgrade ends the checks early
        result.checks_run.append("online-safety-lint")
        result.findings += lint_history(schema, script, result.revisions, migrations_dir, result.shapes)
    return result


def _objects(connection) -> dict[str, set[str]]:
    """The tables, views and sequences of the connection's default schema, by kind."""
    inspector = sa.inspect(connection)
    return {
        "VIEW": set(inspector.get_view_names()),
        "TABLE": set(inspector.get_table_names()),
        "SEQUENCE": set(inspector.get_sequence_names()),
    }


def _drop_new_objects(connection, before: dict[str, set[str]]) -> None:
    """Drop what appeared since `before` (views first: they depend on tables).

    CASCADE (Oracle: CASCADE CONSTRAINTS) because a failed revision may leave
    tables whose foreign keys point at each other. The Oracle statements are
    not run by any test here (no live Oracle in this suite).
    """
    after = _objects(connection)
    quote = connection.dialect.identifier_preparer.quote_identifier
    oracle = connection.dialect.name == "oracle"
    cascade = {"TABLE": " CASCADE CONSTRAINTS PURGE" if oracle else " CASCADE", "VIEW": "" if oracle else " CASCADE",
               "SEQUENCE": ""}
    exists = "" if oracle else " IF EXISTS"  # PostgreSQL: a table's CASCADE may already have dropped a view
    for kind in ("VIEW", "TABLE", "SEQUENCE"):
        for name in sorted(after[kind] - before[kind]):
            connection.execute(sa.text(f"DROP {kind}{exists} {quote(name)}{cascade[kind]}"))


def _check(connection, settings, schema, metadata, script, migrations_dir, report) -> CheckReport:
    """The checks that need the database (all but the lint), in order; the first that cannot go on ends them."""
    result = CheckReport(schema)
    history = LoadedHistory(script)  # the revision files loaded once for all the runs below

    def run(verb: str, revision: str) -> None:
        # Alembic commits each revision only on a connection handed over
        # outside a transaction (the snapshots read in one).
        connection.commit()
        config = make_config(schema, connection=connection, settings=settings, script_location=migrations_dir)
        getattr(history, verb)(config, revision)

    result.checks_run.append("single-head")
    heads = script.get_heads()
    if len(heads) != 1:
        result.findings.append(Finding(
            "multiple-heads", None, ", ".join(sorted(heads)),
            f"the history has {len(heads)} heads; merge them or fix a down_revision",
        ))
        return result  # nothing further is well-defined on a forked history
    order = [s.revision for s in reversed(list(script.walk_revisions()))]
    result.revisions = order

    result.checks_run.append("upgrade")
    shapes = result.shapes
    shapes["base"] = read_shape(connection)
    # The running release's workload, replayed on each revision as the walk reaches it (PostgreSQL).
    walk = ReleaseWalk(connection) if connection.dialect.name == "postgresql" else None
    breaks: list[Finding] = []
    for revision in order:
        try:
            run("upgrade", revision)
        except Exception as error:  # the migration's own failure, reported as a finding
            connection.rollback()
            result.findings.append(Finding("upgrade-failed", revision, revision, first_line(error)))
            return result
        shapes[revision] = read_shape(connection)
        report(f"upgraded to {revision}")
        if walk is not None:
            found = walk.at(revision, shapes[revision], last=revision == order[-1])
            breaks += release_findings(revision, found, accepted_rules(script.get_revision(revision).path))
    if walk is not None:
        result.checks_run.append(BREAKS_RUNNING_RELEASE)
        result.findings += breaks
        for revision, refused in walk.unjudged.items():  # a limit of the generated workload, said once
            statement, error = refused[0]
            report(f"running release of {revision}: {len(refused)} statement(s) fail on its own schema already, "
                   f"not judged ({statement.action}: {error.message})")

    result.checks_run.append("models-match-migrations")
    # The head's shape, read after the last upgrade, is the live snapshot drift compares.
    head_shape = shapes[order[-1]] if connection.dialect.name == "postgresql" else None
    for difference in compare_database(connection, metadata, schema, live=head_shape):
        result.findings.append(Finding("model-mismatch", order[-1], difference.object, f"{difference.kind}{' (' + difference.detail + ')' if difference.detail else ''}"))
    connection.commit()

    result.checks_run.append("checksums")
    paths = {revision.revision: revision.path for revision in script.walk_revisions()}
    for mismatch in checksum_mismatches(audit_rows(connection), paths, order):
        result.findings.append(Finding(
            "checksum", mismatch["revision"], mismatch["revision"],
            "the revision file changed after it was applied",
        ))
    connection.commit()

    result.checks_run.append("stairway")
    result.findings += walk_stairway(run, connection, order, shapes)
    return result


def lint_history(schema: str, script, order: list[str], migrations_dir: Path | None,
                 shapes: dict | None = None) -> list[Finding]:
    """Every revision's PostgreSQL upgrade and downgrade, through the lint engine (squawk run once for all).

    `shapes`: the catalog snapshot after each revision ("base" too); a revision's type
    changes are judged against the one below it (its downgrade's against its own). Without
    them (or on Oracle, whose types are not PostgreSQL's) a type change is a hazard.
    """
    types = {name: column_types(shape) for name, shape in (shapes or {}).items() if isinstance(shape, Snapshot)}
    history = LoadedHistory(script)
    rendered = [
        (revision, below,
         render_migration(schema, "postgres", f"{below}:{revision}", "upgrade", migrations_dir, history=history),
         render_migration(schema, "postgres", f"{revision}:{below}", "downgrade", migrations_dir, history=history))
        for revision, below in zip(order, ["base", *order[:-1]])
    ]
    squawked = squawk_revisions([(revision, up, down) for revision, _, up, down in rendered])
    findings = []
    for revision, below, upgrade_sql, downgrade_sql in rendered:
        accepted = accepted_rules(script.get_revision(revision).path)
        for hit in lint_revision(revision, upgrade_sql, downgrade_sql, accepted, squawk_found=squawked,
                                 column_types=types.get(below), column_types_after=types.get(revision)):
            findings.append(Finding(
                hit.rule, revision, hit.object or hit.source, f"{hit.source}: {hit.message}", accepted=hit.accepted,
            ))
    return findings
