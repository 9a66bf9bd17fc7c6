"""Commands that only read: current, history, heads, status, dsn."""

from __future__ import annotations

import click

from ..config.settings import SCHEMA_NAMES, ConnectionOptions, resolve_schema
from ..errors import EXIT_FAILED, EXIT_OK
from .json_output import emit_json
from .options import connection_options, database_options, retry_policy, settings_from
from .output import complain
from .render import dsn_lines, history_lines, status_lines


@click.command()
@database_options
@click.pass_obj
def current(out, **kwargs):
    """Show the database's current revision."""
    from ..command.records import current as current_revisions
    from ..command.scripts import heads

    settings = settings_from(connection_options(kwargs))
    revisions = current_revisions(settings, policy=retry_policy(kwargs))
    head_ids = heads(settings.schema) if settings.schema else []
    if out.json:
        emit_json({"schema": settings.schema, "current": revisions, "heads": head_ids,
                   "at_head": bool(revisions) and sorted(revisions) == sorted(head_ids)})
        return
    if not revisions:
        out.result("base (no revision: empty or not under migration control)")
    for revision in revisions:
        out.result(f"{revision}{' (head)' if revision in head_ids else ''}")


@click.command()
@database_options
@click.option("--audit", is_flag=True, help="Also show the database's audit trail (connects).")
@click.pass_obj
def history(out, audit, **kwargs):
    """List the schema's revisions (text: newest first, like Alembic; JSON: oldest first)."""
    from ..command.scripts import history as revisions_of

    options = connection_options(kwargs)
    revisions = revisions_of(options.schema_name())
    trail = None
    if audit:
        from ..command.records import audit_trail

        trail = audit_trail(settings_from(options), policy=retry_policy(kwargs))
    if out.json:
        emit_json(revisions if trail is None else {"revisions": revisions, "audit": trail})
        return
    for line in history_lines(revisions, trail):
        out.result(line)


@click.command()
@click.option("--schema", type=click.Choice(SCHEMA_NAMES), help="[env LUNA_DB_SCHEMA]")
@click.pass_obj
def heads(out, schema):
    """Show the head revision(s) of the schema's history."""
    from ..command.scripts import heads as heads_of

    chosen = resolve_schema(ConnectionOptions(schema=schema))
    found = heads_of(chosen)
    if out.json:
        emit_json({"schema": chosen, "heads": found})
        return
    for head in found:
        out.result(f"{head} (head)")


@click.command()
@database_options
@click.pass_obj
def status(out, **kwargs):
    """Current revision, heads and pending migrations; exit 1 when behind."""
    from ..command.status import status as status_of

    report = status_of(settings_from(connection_options(kwargs)), policy=retry_policy(kwargs))
    if out.json:
        emit_json(report.as_dict())
    else:
        for line in status_lines(report):
            out.result(line)
    for mismatch in report.checksum_mismatches:
        complain(
            "warning",
            f"revision {mismatch['revision']}'s file changed after it was applied "
            f"(checksum {mismatch['recorded'][:12]} then, {mismatch['current'][:12]} now)",
        )
    for change in report.rewritten:
        complain(
            "note",
            f"revision {change['revision']} ran in an earlier form of its file (as of {change['commit']}); "
            f"rewritten since: {change['reason']}",
        )
    return EXIT_OK if report.ok else EXIT_FAILED


@click.command()
@database_options
@click.pass_obj
def dsn(out, **kwargs):
    """Show the resolved connection (hosts, session attributes), password hidden."""
    options = connection_options(kwargs)  # reads the retry rounds, for reaching a Configurator
    kwargs.pop("connect_retries"), kwargs.pop("retry_delay")
    described = settings_from(options).describe()
    if out.json:
        emit_json(described)
        return
    for line in dsn_lines(described):
        out.result(line)
