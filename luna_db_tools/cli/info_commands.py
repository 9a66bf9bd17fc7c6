"""Commands that only read: current, history, heads, status, dsn."""

from __future__ import annotations

import json

import click

from ..config.settings import SCHEMA_NAMES, ConnectionOptions, resolve_schema
from ..errors import EXIT_FAILED, EXIT_OK
from .group import main
from .options import connection_options, database_options, retry_policy, settings_from
from .output import complain, reported
from .render import dsn_lines, history_lines, status_lines


@main.command()
@database_options
@click.pass_obj
@reported
def current(out, **kwargs):
    """Show the database's current revision."""
    from ..command.status import current as current_revisions
    from ..runtime.history import heads

    settings = settings_from(connection_options(kwargs))
    revisions = current_revisions(settings, policy=retry_policy(kwargs))
    head_ids = set(heads(settings.schema)) if settings.schema else set()
    if not revisions:
        click.echo("base (no revision: empty or not under migration control)")
    for revision in revisions:
        click.echo(f"{revision}{' (head)' if revision in head_ids else ''}")


@main.command()
@database_options
@click.option("--json", "json_output", is_flag=True, help="Revisions as JSON, oldest first.")
@click.option("--audit", is_flag=True, help="Also show the database's audit trail (connects).")
@reported
def history(json_output, audit, **kwargs):
    """List the schema's revisions (text: newest first, like Alembic)."""
    from ..command.status import audit_trail
    from ..runtime.history import history as revisions_of

    options = connection_options(kwargs)
    revisions = revisions_of(resolve_schema(options))
    trail = audit_trail(settings_from(options), policy=retry_policy(kwargs)) if audit else None
    if json_output:
        click.echo(json.dumps(revisions if trail is None else {"revisions": revisions, "audit": trail}, indent=2))
        return
    for line in history_lines(revisions, trail):
        click.echo(line)


@main.command()
@click.option("--schema", type=click.Choice(SCHEMA_NAMES), help="[env LUNA_DB_SCHEMA]")
@reported
def heads(schema):
    """Show the head revision(s) of the schema's history."""
    from ..runtime.history import heads as heads_of

    for head in heads_of(resolve_schema(ConnectionOptions(schema=schema))):
        click.echo(f"{head} (head)")


@main.command()
@database_options
@click.option("--json", "json_output", is_flag=True, help="Print the status as JSON.")
@click.pass_obj
@reported
def status(out, json_output, **kwargs):
    """Current revision, heads and pending migrations; exit 1 when behind."""
    from ..command.status import status as status_of

    report = status_of(settings_from(connection_options(kwargs)), policy=retry_policy(kwargs))
    if json_output:
        click.echo(json.dumps(report.as_dict(), indent=2))
    else:
        for line in status_lines(report):
            click.echo(line)
    for mismatch in report.checksum_mismatches:
        complain(
            "warning",
            f"revision {mismatch['revision']}'s file changed after it was applied "
            f"(checksum {mismatch['recorded'][:12]} then, {mismatch['current'][:12]} now)",
        )
    return EXIT_OK if report.ok else EXIT_FAILED


@main.command()
@database_options
@click.option("--json", "json_output", is_flag=True, help="Print the connection as JSON.")
@reported
def dsn(json_output, **kwargs):
    """Show the resolved connection (hosts, session attributes), password hidden."""
    kwargs.pop("connect_retries"), kwargs.pop("retry_delay")
    described = settings_from(connection_options(kwargs)).describe()
    if json_output:
        click.echo(json.dumps(described, indent=2))
        return
    for line in dsn_lines(described):
        click.echo(line)
