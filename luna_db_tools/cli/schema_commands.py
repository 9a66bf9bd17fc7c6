"""Commands that change a database: create, upgrade, downgrade, stamp, views."""

from __future__ import annotations

import json
import sys

import click

from ..config.settings import resolve_db_type, resolve_schema
from .group import main
from .options import (
    connection_options,
    database_options,
    lock_option,
    retry_policy,
    settings_from,
    timeout_options,
    timeouts,
)
from .output import Output, reported


@main.command()
@database_options
@lock_option
@click.option("--create-database", is_flag=True, help="PostgreSQL: first create the database when it does not exist.")
@click.option("--sql", is_flag=True, help="Print the DDL for --db-type instead of connecting.")
@click.pass_obj
@reported
def create(out: Output, create_database, sql, **kwargs):
    """Create the schema on an empty database and stamp its migration head."""
    options = connection_options(kwargs)
    if sql:
        from ..runtime.offline import create_sql

        click.echo(create_sql(resolve_schema(options), resolve_db_type(options)), nl=False)
        return
    from ..command.create import create as create_schema

    create_schema(
        settings_from(options), create_database=create_database, policy=retry_policy(kwargs),
        lock_timeout=kwargs.pop("lock_timeout"), report=out.say,
    )


def _migration_command(direction: str):
    """`upgrade` and `downgrade` are the same command pointing different ways."""

    def run(out: Output, revision, sql, dry_run, json_output, **kwargs):
        from ..command import migrate

        options = connection_options(kwargs)
        if sql:
            from ..runtime.offline import migration_sql

            script = migration_sql(
                resolve_schema(options), resolve_db_type(options), revision, direction, timeouts(kwargs)
            )
            click.echo(script, nl=False)
            return
        settings = settings_from(options)
        if dry_run:
            steps = migrate.plan(settings, revision, direction)
            if json_output:
                document = {"schema": settings.schema, "direction": direction, "target": revision,
                            "steps": [step.as_dict() for step in steps]}
                click.echo(json.dumps(document, indent=2))
            elif not steps:
                out.say(f"nothing to {direction}: the database is already at {revision}")
            else:
                for step in steps:
                    out.say(f"would {'apply' if step.direction == 'up' else 'revert'} {step.revision}  {step.message}")
            return
        from ..runtime.progress import StepTicker, index_build_probe

        ticker = StepTicker(sys.stderr, probe=index_build_probe(settings))

        def say(line: str) -> None:
            ticker.finished()  # the ticker's line goes before the step's own
            out.say(line)

        getattr(migrate, direction)(
            settings, revision, policy=retry_policy(kwargs), lock_timeout=kwargs.pop("lock_timeout"),
            timeouts=timeouts(kwargs), report=say, ticker=None if out.quiet else ticker,
        )

    return run


@main.command(context_settings={"ignore_unknown_options": True})
@click.argument("revision", default="head")
@database_options
@lock_option
@timeout_options
@click.option("--sql", is_flag=True, help="Print the script (FROM:TO, default base:REV) for --db-type; no database needed.")
@click.option("--dry-run", is_flag=True, help="Print the revisions that would run; change nothing.")
@click.option("--json", "json_output", is_flag=True, help="With --dry-run: the plan as JSON.")
@click.pass_obj
@reported
def upgrade(out, **kwargs):
    """Migrate up to REVISION (default head), one revision per transaction."""
    _migration_command("upgrade")(out, **kwargs)


@main.command(context_settings={"ignore_unknown_options": True})
@click.argument("revision")
@database_options
@lock_option
@timeout_options
@click.option("--sql", is_flag=True, help="Print the script (FROM:TO, default head:REV) for --db-type; no database needed.")
@click.option("--dry-run", is_flag=True, help="Print the revisions that would be reverted; change nothing.")
@click.option("--json", "json_output", is_flag=True, help="With --dry-run: the plan as JSON.")
@click.pass_obj
@reported
def downgrade(out, **kwargs):
    """Migrate down to REVISION: -1, a revision id, or base."""
    _migration_command("downgrade")(out, **kwargs)


@main.command(context_settings={"ignore_unknown_options": True})
@click.argument("revision")
@database_options
@lock_option
@click.pass_obj
@reported
def stamp(out, revision, lock_timeout, **kwargs):
    """Record REVISION as current without running migrations."""
    from ..command.stamp import stamp as stamp_revision

    settings = settings_from(connection_options(kwargs))
    reached = stamp_revision(settings, revision, policy=retry_policy(kwargs), lock_timeout=lock_timeout, report=out.say)
    out.say(f"stamped {settings.schema} at {', '.join(reached) or 'base'}")


@main.command()
@database_options
@lock_option
@click.pass_obj
@reported
def views(out, lock_timeout, **kwargs):
    """Drop and recreate the schema's views."""
    from ..command.stamp import recreate_views

    settings = settings_from(connection_options(kwargs))
    names = recreate_views(settings, policy=retry_policy(kwargs), lock_timeout=lock_timeout, report=out.say)
    out.say(f"recreated views: {', '.join(names) or '(none)'}")
