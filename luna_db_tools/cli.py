"""The `luna-db` command line: parse options, call `commands`, print, exit.

Start-up stays cheap: this module imports click and luna-db's standard-library
modules only; SQLAlchemy, Alembic and the drivers load inside the commands
that need them (`--help`, `--version` and `dsn` never do).
"""

from __future__ import annotations

import functools
import json
import logging
import os
import sys
import traceback

import click

from . import __version__
from .errors import EXIT_FAILED, EXIT_OK, LunaDbError
from .redact import RedactingFilter, redact, register_secret
from .settings import DB_TYPES, DEFAULT_PASSWORD, SCHEMA_NAMES, ConnectionOptions, resolve_settings

log = logging.getLogger("luna_db_tools")


class Output:
    """Where a command's human lines go: stderr when stdout carries JSON, nothing with --quiet."""

    def __init__(self, quiet: bool):
        self.quiet = quiet

    def say(self, line: str) -> None:
        if not self.quiet:
            click.echo(redact(line))

    def progress(self, line: str) -> None:
        if not self.quiet:
            click.echo(redact(line), err=True)


def _database_options(function):
    """The options of CLI.md's "Choosing the database", shared by every command that connects."""
    options = [
        click.option("--schema", type=click.Choice(SCHEMA_NAMES), help="Which model set and history; may be omitted when the database is luna_streams or luna_backport3. [env LUNA_DB_SCHEMA]"),
        click.option("--dsn", help="LUNA DSN: [scheme://][user[:password]@]host[:port][,host[:port]...][/database][?key=value...]. [env LUNA_DB_DSN]"),
        click.option("--db-type", type=click.Choice(DB_TYPES), help="postgres (default) or oracle. [env LUNA_DB_TYPE]"),
        click.option("--db-host", help="Host (or host list) when the DSN names none. [env LUNA_DB_HOST]"),
        click.option("--db-port", help="Port for hosts without one. [env LUNA_DB_PORT]"),
        click.option("--db-user", help="User when the DSN names none. [env LUNA_DB_USER]"),
        click.option("--db-password", help="Password when the DSN has none; prefer --password-file or LUNA_DB_PASSWORD. [env LUNA_DB_PASSWORD]"),
        click.option("--password-file", type=click.Path(dir_okay=False), help="Read the password from this file."),
        click.option("--db-name", help="Database (Oracle: service name) when the DSN names none. [env LUNA_DB_NAME]"),
        click.option("--config", "config_file", type=click.Path(dir_okay=False), help="LUNA service settings file (JSON) with LUNA_STREAMS_DB / LUNA_BACKPORT3_DB. [env LUNA_DB_CONFIG]"),
        click.option("--connect-retries", type=click.IntRange(1, 100), default=4, show_default=True, help="Rounds over the host list before giving up (exit 3)."),
        click.option("--retry-delay", type=click.FloatRange(0, 600), default=1.0, show_default=True, help="Seconds before the second round; doubles after each round."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


_lock_option = click.option(
    "--lock-timeout", type=click.FloatRange(0, 86400), default=300.0, show_default=True,
    help="Seconds to wait for the database's migration lock held by another luna-db.",
)


def _timeout_options(function):
    """PostgreSQL session limits for migrations (upgrade, downgrade)."""
    function = click.option(
        "--db-statement-timeout", type=click.FloatRange(0), default=3600.0, show_default=True,
        help="PostgreSQL statement_timeout for each migration statement, seconds; 0: none.",
    )(function)
    return click.option(
        "--db-lock-timeout", type=click.FloatRange(0), default=5.0, show_default=True,
        help="PostgreSQL lock_timeout (Oracle: ddl_lock_timeout), seconds; a revision that hits it is retried 3 times; 0: none.",
    )(function)


def _timeouts(kwargs: dict):
    from .commands import Timeouts

    return Timeouts(lock=kwargs.pop("db_lock_timeout"), statement=kwargs.pop("db_statement_timeout"))


def _connection_options(kwargs: dict) -> ConnectionOptions:
    options = ConnectionOptions(
        schema=kwargs.pop("schema"),
        dsn=kwargs.pop("dsn"),
        db_type=kwargs.pop("db_type"),
        db_host=kwargs.pop("db_host"),
        db_port=kwargs.pop("db_port"),
        db_user=kwargs.pop("db_user"),
        db_password=kwargs.pop("db_password"),
        db_name=kwargs.pop("db_name"),
        config=kwargs.pop("config_file"),
        password_file=kwargs.pop("password_file"),
    )
    if options.db_password != DEFAULT_PASSWORD:
        register_secret(options.db_password)
    return options


def _settings(options: ConnectionOptions):
    settings = resolve_settings(options)
    # The documented default (luna) is no secret, and hiding it would blank
    # out every "luna" in the output (luna_streams, the user name).
    if settings.password not in (DEFAULT_PASSWORD, settings.user):
        register_secret(settings.password)
    return settings


def _policy(kwargs: dict):
    from .connection import RetryPolicy

    return RetryPolicy(rounds=kwargs.pop("connect_retries"), delay=kwargs.pop("retry_delay"))


def _reported(function):
    """Turn LunaDbError into one line on stderr and its exit code; tracebacks only on request."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        context = click.get_current_context()
        try:
            result = function(*args, **kwargs)
        except LunaDbError as error:
            _print_error(context, error)
            context.exit(error.exit_code)
        except (click.exceptions.Exit, click.ClickException, KeyboardInterrupt):
            raise
        except Exception as error:  # a bug or an unexpected driver error: still one line
            _print_error(context, error, prefix=f"unexpected {type(error).__name__}: ")
            context.exit(EXIT_FAILED)
        context.exit(result if isinstance(result, int) else EXIT_OK)

    return wrapper


def _print_error(context, error: BaseException, prefix: str = "") -> None:
    if context.find_root().params.get("traceback"):
        click.echo(redact("".join(traceback.format_exception(error))), err=True)
    text = str(error).strip() or type(error).__name__
    _complain("error", redact(f"{prefix}{text}"))


def _complain(level: str, line: str) -> None:
    """`luna-db: error: ...` on stderr; red (yellow for a warning) on a terminal only.

    click drops the colour when stderr is not a terminal; NO_COLOR (no-color.org)
    drops it everywhere.
    """
    label = click.style(f"luna-db: {level}:", fg="red" if level == "error" else "yellow", bold=True)
    click.echo(f"{label} {line}", err=True, color=False if os.environ.get("NO_COLOR") else None)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="luna-db")
@click.option("--traceback", is_flag=True, help="Show the full traceback of an error.")
@click.option("-v", "--verbose", is_flag=True, help="Log the SQL statements sent (passwords hidden).")
@click.option("-q", "--quiet", is_flag=True, help="Print only results and errors.")
@click.pass_context
def main(context, traceback, verbose, quiet):
    """Create, migrate and check the databases of LUNA Streams and Backport 3."""
    context.obj = Output(quiet)
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler])
    if verbose:
        logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)
        log.setLevel(logging.INFO)


@main.command()
@_database_options
@_lock_option
@click.option("--create-database", is_flag=True, help="PostgreSQL: first create the database when it does not exist.")
@click.option("--sql", is_flag=True, help="Print the DDL for --db-type instead of connecting.")
@click.pass_obj
@_reported
def create(out: Output, create_database, sql, **kwargs):
    """Create the schema on an empty database and stamp its migration head."""
    from . import commands
    from .settings import resolve_db_type, resolve_schema

    options = _connection_options(kwargs)
    if sql:
        click.echo(commands.create_sql(resolve_schema(options), resolve_db_type(options)), nl=False)
        return
    commands.create(
        _settings(options), create_database=create_database, policy=_policy(kwargs),
        lock_timeout=kwargs.pop("lock_timeout"), report=out.say,
    )


def _migration_command(direction: str):
    """`upgrade` and `downgrade` are the same command pointing different ways."""

    def run(out: Output, revision, sql, dry_run, json_output, **kwargs):
        from . import commands
        from .settings import resolve_db_type, resolve_schema

        options = _connection_options(kwargs)
        if sql:
            script = commands.migration_sql(
                resolve_schema(options), resolve_db_type(options), revision, direction
            )
            click.echo(script, nl=False)
            return
        settings = _settings(options)
        if dry_run:
            steps = commands.plan(settings, revision, direction)
            if json_output:
                click.echo(json.dumps({"schema": settings.schema, "direction": direction, "target": revision, "steps": steps}, indent=2))
            elif not steps:
                out.say(f"nothing to {direction}: the database is already at {revision}")
            else:
                for step in steps:
                    out.say(f"would {'apply' if step['direction'] == 'up' else 'revert'} {step['revision']}  {step['message']}")
            return
        from .progress import StepTicker, index_build_probe

        ticker = StepTicker(sys.stderr, probe=index_build_probe(settings))

        def say(line: str) -> None:
            ticker.finished()  # the ticker's line goes before the step's own
            out.say(line)

        getattr(commands, direction)(
            settings, revision, policy=_policy(kwargs), lock_timeout=kwargs.pop("lock_timeout"),
            timeouts=_timeouts(kwargs), report=say, ticker=None if out.quiet else ticker,
        )

    return run


@main.command(context_settings={"ignore_unknown_options": True})
@click.argument("revision", default="head")
@_database_options
@_lock_option
@_timeout_options
@click.option("--sql", is_flag=True, help="Print the script (FROM:TO, default base:REV) for --db-type; no database needed.")
@click.option("--dry-run", is_flag=True, help="Print the revisions that would run; change nothing.")
@click.option("--json", "json_output", is_flag=True, help="With --dry-run: the plan as JSON.")
@click.pass_obj
@_reported
def upgrade(out, **kwargs):
    """Migrate up to REVISION (default head), one revision per transaction."""
    _migration_command("upgrade")(out, **kwargs)


@main.command(context_settings={"ignore_unknown_options": True})
@click.argument("revision")
@_database_options
@_lock_option
@_timeout_options
@click.option("--sql", is_flag=True, help="Print the script (FROM:TO, default head:REV) for --db-type; no database needed.")
@click.option("--dry-run", is_flag=True, help="Print the revisions that would be reverted; change nothing.")
@click.option("--json", "json_output", is_flag=True, help="With --dry-run: the plan as JSON.")
@click.pass_obj
@_reported
def downgrade(out, **kwargs):
    """Migrate down to REVISION: -1, a revision id, or base."""
    _migration_command("downgrade")(out, **kwargs)


@main.command()
@_database_options
@click.pass_obj
@_reported
def current(out, **kwargs):
    """Show the database's current revision."""
    from . import commands

    settings = _settings(_connection_options(kwargs))
    revisions = commands.current(settings, policy=_policy(kwargs))
    heads = set(commands.heads(settings.schema)) if settings.schema else set()
    if not revisions:
        click.echo("base (no revision: empty or not under migration control)")
    for revision in revisions:
        click.echo(f"{revision}{' (head)' if revision in heads else ''}")


@main.command()
@_database_options
@click.option("--json", "json_output", is_flag=True, help="Revisions as JSON, oldest first.")
@click.option("--audit", is_flag=True, help="Also show the database's audit trail (connects).")
@_reported
def history(json_output, audit, **kwargs):
    """List the schema's revisions (text: newest first, like Alembic)."""
    from . import commands
    from .settings import resolve_schema

    options = _connection_options(kwargs)
    revisions = commands.history(resolve_schema(options))
    trail = commands.audit_trail(_settings(options), policy=_policy(kwargs)) if audit else None
    if json_output:
        click.echo(json.dumps(revisions if trail is None else {"revisions": revisions, "audit": trail}, indent=2))
        return
    for row in trail or []:
        click.echo(f"{_audit_line(row)}, checksum {(row['checksum'] or '-')[:12]})")
    for entry in reversed(revisions):
        head = " (head)" if entry["is_head"] else ""
        click.echo(f"{entry['down_revision'] or '<base>'} -> {entry['id']}{head}, {entry['message']}")


@main.command()
@click.option("--schema", type=click.Choice(SCHEMA_NAMES), help="[env LUNA_DB_SCHEMA]")
@_reported
def heads(schema):
    """Show the head revision(s) of the schema's history."""
    from . import commands
    from .settings import resolve_schema

    for head in commands.heads(resolve_schema(ConnectionOptions(schema=schema))):
        click.echo(f"{head} (head)")


@main.command()
@click.option("--schema", type=click.Choice(SCHEMA_NAMES), required=True, help="Which schema to draw.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="File to write; its suffix picks the format: .svg, .png, .dot or .gv.")
@click.pass_obj
@_reported
def diagram(out, schema, output):
    """Draw the schema's tables, columns and foreign keys (Graphviz) from the models."""
    from .diagram import write_diagram

    written = write_diagram(schema, output)
    out.progress(f"wrote {written}")


@main.command(context_settings={"ignore_unknown_options": True})
@click.argument("revision")
@_database_options
@_lock_option
@click.pass_obj
@_reported
def stamp(out, revision, lock_timeout, **kwargs):
    """Record REVISION as current without running migrations."""
    from . import commands

    settings = _settings(_connection_options(kwargs))
    reached = commands.stamp(
        settings, revision, policy=_policy(kwargs), lock_timeout=lock_timeout, report=out.say
    )
    out.say(f"stamped {settings.schema} at {', '.join(reached) or 'base'}")


@main.command()
@_database_options
@_lock_option
@click.pass_obj
@_reported
def views(out, lock_timeout, **kwargs):
    """Drop and recreate the schema's views."""
    from . import commands

    settings = _settings(_connection_options(kwargs))
    names = commands.recreate_views(
        settings, policy=_policy(kwargs), lock_timeout=lock_timeout, report=out.say
    )
    out.say(f"recreated views: {', '.join(names) or '(none)'}")


@main.command()
@_database_options
@click.option("--json", "json_output", is_flag=True, help="Print the status as JSON.")
@click.pass_obj
@_reported
def status(out, json_output, **kwargs):
    """Current revision, heads and pending migrations; exit 1 when behind."""
    from . import commands

    settings = _settings(_connection_options(kwargs))
    report = commands.status(settings, policy=_policy(kwargs))
    if json_output:
        click.echo(json.dumps(report, indent=2))
    else:
        click.echo(f"schema:   {report['schema']}")
        click.echo(f"database: {report['database']}")
        click.echo(f"current:  {', '.join(report['current']) or 'base (empty)'}")
        click.echo(f"heads:    {', '.join(report['heads'])}")
        if report["pending"]:
            click.echo(f"pending:  {len(report['pending'])}: {', '.join(report['pending'])}")
        else:
            click.echo("pending:  none, at head")
        if report["drift"] is None:
            click.echo("drift:    not compared (the models describe the head)")
        elif not report["drift"]:
            click.echo("drift:    none, the database matches the models")
        else:
            click.echo(f"drift:    {len(report['drift'])} difference(s) from the models:")
            for difference in report["drift"]:
                detail = f" ({difference['detail']})" if difference["detail"] else ""
                click.echo(f"  {difference['kind']}: {difference['object']}{detail}")
        for step in report["unfinished"]:
            click.echo(f"unfinished: {_unfinished_line(step)}")
        for row in report["audit"][-5:]:
            click.echo(f"audit:    {_audit_line(row)})")
    for mismatch in report["checksum_mismatches"]:
        _complain(
            "warning",
            f"revision {mismatch['revision']}'s file changed after it was applied "
            f"(checksum {mismatch['recorded'][:12]} then, {mismatch['current'][:12]} now)",
        )
    return EXIT_OK if report["ok"] else EXIT_FAILED


def _audit_line(row: dict) -> str:
    """An audit row for people; the caller closes the parenthesis."""
    took = f"{row['duration_ms']} ms" if row["duration_ms"] is not None else "did not finish"
    outcome = "" if row["outcome"] == "done" else f" {row['outcome'].upper()}"
    return (
        f"{row['started_at'][:19]} {row['direction']:>6} {row['revision']}{outcome} by {row['os_user']}@{row['os_host']}"
        f" (luna-db {row['tool_version']}, {took}"
    )


def _unfinished_line(step: dict) -> str:
    """One line on a step an earlier run did not finish, and what to do about it."""
    verb = "upgrade" if step["direction"] == "up" else "downgrade"
    started = f"{step['direction']} {step['revision']} started {step['started_at'][:19]} by {step['os_user']}@{step['os_host']}"
    why = f" ({step['error']})" if step.get("error") else ""
    if step["state"] == "part-applied":
        return f"{started} is part-applied{why}; rerun 'luna-db {verb}' to complete it"
    if step["state"] == "in progress":
        return f"{started} is running now (the migration lock is held)"
    return f"{started} did not finish{why}; PostgreSQL rolled it back"


@main.command()
@_database_options
@click.option("--json", "json_output", is_flag=True, help="Print every finding as JSON.")
@click.option("--migrations-dir", type=click.Path(file_okay=False, exists=True), help="Check another copy of the Alembic environment (default: the project's own).")
@click.option("--create-database", is_flag=True, help="PostgreSQL: first create the scratch database when it does not exist.")
@click.pass_obj
@_reported
def check(out, json_output, migrations_dir, create_database, **kwargs):
    """CI migration checks on an empty scratch database; exit 1 on any finding."""
    from . import commands
    from .checks import run_checks

    settings = _settings(_connection_options(kwargs))
    policy = _policy(kwargs)
    if create_database:
        commands.ensure_database(settings, policy, out.progress)
    result = run_checks(settings, migrations_dir=migrations_dir, policy=policy)
    if json_output:
        click.echo(json.dumps(result.as_dict(), indent=2))
    else:
        for finding in result.findings:
            click.echo(str(finding))
        accepted = len(result.findings) - len(result.failures)
        click.echo(
            f"{result.schema}: {len(result.failures)} finding(s), {accepted} accepted; "
            f"checks: {', '.join(result.checks_run)}"
        )
    return EXIT_OK if not result.failures else EXIT_FAILED


@main.command()
@_database_options
@click.option("--json", "json_output", is_flag=True, help="Print the connection as JSON.")
@_reported
def dsn(json_output, **kwargs):
    """Show the resolved connection (hosts, session attributes), password hidden."""
    kwargs.pop("connect_retries"), kwargs.pop("retry_delay")
    settings = _settings(_connection_options(kwargs))
    described = settings.describe()
    if json_output:
        click.echo(json.dumps(described, indent=2))
        return
    click.echo(f"dsn:      {described['dsn']}")
    click.echo(f"schema:   {described['schema'] or '(not chosen)'}")
    click.echo(f"db_type:  {described['db_type']}")
    click.echo("hosts:    " + ", ".join(f"{h['host']}:{h['port']}" for h in described["hosts"]) + "  (tried in this order)")
    click.echo(f"user:     {described['user']}")
    click.echo(f"password: {'set (hidden)' if described['password_set'] else 'not set'}")
    click.echo(f"database: {described['database']}")
    for key, value in described["options"].items():
        click.echo(f"option:   {key}={value}")


if __name__ == "__main__":  # pragma: no cover
    main()
