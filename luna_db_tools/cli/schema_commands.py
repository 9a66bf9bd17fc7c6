"""Commands that change a database: create, upgrade, downgrade, stamp, views."""

from __future__ import annotations

import click

from .json_output import emit_json
from .option_checks import refuse_sql_with
from .options import (
    connection_options,
    database_options,
    lock_option,
    oracle_version_option,
    refuse_misplaced_oracle_version,
    retry_policy,
    settings_from,
    timeout_options,
    timeouts,
)
from .output import Output

allow_data_loss_option = click.option(
    "--allow-data-loss", is_flag=True,
    help="Run even when steps drop tables or columns holding rows, or delete rows (refused otherwise, exit 2).",
)


@click.command()
@database_options
@lock_option
@click.option("--create-database", is_flag=True, help="PostgreSQL: first create the database when it does not exist.")
@click.option("--sql", is_flag=True, help="Print the DDL for --db-type instead of connecting.")
@oracle_version_option
@click.pass_obj
def create(out: Output, create_database, sql, oracle_version, **kwargs):
    """Create the schema on an empty database and stamp its migration head."""
    options = connection_options(kwargs)
    refuse_misplaced_oracle_version(oracle_version, sql, options)
    if sql:
        if create_database:
            refuse_sql_with("--sql", "--create-database", "--sql connects to nothing; run the script on a database you created")
        from ..command.scripts import create_script

        schema, db_type = options.schema_name(), options.offline_db_type()
        print_script(out, schema, db_type, create_script(schema, db_type, oracle_version))
        return
    from ..command.create import create as create_schema

    created = create_schema(
        settings_from(options), create_database=create_database, policy=retry_policy(kwargs),
        lock_timeout=kwargs.pop("lock_timeout"), report=out,
    )
    if out.json:
        emit_json(created.as_dict())


def print_script(out: Output, schema: str, db_type: str, script: str) -> None:
    """An offline script: as it is, or under --json as {"schema", "db_type", "sql"}."""
    if out.json:
        emit_json({"schema": schema, "db_type": db_type, "sql": script})
    else:
        click.echo(script, nl=False)


def _migration_command(direction: str):
    """`upgrade` and `downgrade` are the same command pointing different ways."""

    def run(out: Output, revision, sql, dry_run, allow_data_loss, oracle_version, **kwargs):
        options = connection_options(kwargs)
        refuse_misplaced_oracle_version(oracle_version, sql, options)
        if sql:
            if dry_run:
                refuse_sql_with("--sql", "--dry-run", "--sql prints the script, --dry-run the plan; choose one")
            from ..command.scripts import migration_script

            schema, db_type = options.schema_name(), options.offline_db_type()
            print_script(out, schema, db_type, migration_script(
                schema, db_type, revision, direction, timeouts(kwargs), oracle_version))
            return
        settings = settings_from(options)
        if dry_run:
            from ..command.dry_run import dry_run as plan_run

            show_dry_run(out, plan_run(settings, revision, direction))
            return
        from ..command import migrate

        run = getattr(migrate, direction)(
            settings, revision, policy=retry_policy(kwargs), lock_timeout=kwargs.pop("lock_timeout"),
            timeouts=timeouts(kwargs), report=out, allow_data_loss=allow_data_loss,
        )
        if out.json:
            emit_json(run_document(settings.schema, direction, revision, run))

    return run


def show_dry_run(out: Output, plan) -> None:
    """`--dry-run`: each step with its statements' locks and rows, then the data it would destroy."""
    if out.json:
        emit_json(plan.as_dict())
        return
    if not plan.steps:
        out.say(f"nothing to {plan.direction}: the database is already at {plan.target}")
        return
    for step in plan.steps:
        out.say(f"would {'apply' if step.direction == 'up' else 'revert'} {step.revision}  {step.message}")
        for line in plan.impact_of(step):
            out.say(f"  {'!' if line.held_while else '-'} {line.summary}")
        verdict = plan.verdict_of(step)
        if verdict.breaks:
            first = {}  # one line per table.column: the first statement that fails on it
            for failure in verdict.failures:
                first.setdefault(failure.object, failure)
            shown = list(first.values())
            out.say(f"  ! stop every instance of the running release before this revision: {shown[0]}")
            for failure in shown[1:]:
                out.say(f"    also: {failure}")
        elif verdict.checked:
            out.say(f"  - {verdict.note or 'the running release keeps working'}")
    for loss in plan.losses:
        out.say(f"would destroy {loss.describe()} (refused without --allow-data-loss)")
    out.say(running_release_line(plan))


def running_release_line(plan) -> str:
    """The plan's last line: whether the instances of the release running now survive it."""
    breaking = [step.revision for step in plan.breaking_steps]
    if breaking:
        return (f"the running release breaks at {', '.join(breaking)}: stop every instance of it before "
                f"{'that revision' if len(breaking) == 1 else 'the first'} (no rolling upgrade)")
    if plan.not_checked:
        return f"running release: {plan.not_checked}"
    return "the running release keeps working through every step"


def run_document(schema: str, direction: str, target: str, run) -> dict:
    """The JSON of a real upgrade or downgrade: each step with its time, and the revision reached."""
    return {
        "schema": schema, "direction": direction, "target": target,
        "steps": [{"revision": s.revision, "message": s.message, "direction": s.direction,
                   "seconds": round(s.seconds, 3)} for s in run.steps],
        "reached": run.reached,
    }


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("revision", default="head")
@database_options
@lock_option
@timeout_options
@click.option("--sql", is_flag=True, help="Print the script (FROM:TO, default base:REV) for --db-type; no database needed.")
@oracle_version_option
@click.option("--dry-run", is_flag=True, help="Print the revisions that would run, their locks, and whether the running release keeps working; change nothing.")
@allow_data_loss_option
@click.pass_obj
def upgrade(out, **kwargs):
    """Migrate up to REVISION (default head), one revision per transaction."""
    _migration_command("upgrade")(out, **kwargs)


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("revision")
@database_options
@lock_option
@timeout_options
@click.option("--sql", is_flag=True, help="Print the script (FROM:TO, default head:REV) for --db-type; no database needed.")
@oracle_version_option
@click.option("--dry-run", is_flag=True, help="Print the revisions that would be reverted; change nothing.")
@allow_data_loss_option
@click.pass_obj
def downgrade(out, **kwargs):
    """Migrate down to REVISION: -1, a revision id, or base."""
    _migration_command("downgrade")(out, **kwargs)


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("revision")
@database_options
@lock_option
@click.pass_obj
def stamp(out, revision, lock_timeout, **kwargs):
    """Record REVISION as current without running migrations."""
    from ..command.stamp import stamp as stamp_revision

    settings = settings_from(connection_options(kwargs))
    reached = stamp_revision(
        settings, revision, policy=retry_policy(kwargs), lock_timeout=lock_timeout, report=out,
    )
    if out.json:
        emit_json({"schema": settings.schema, "stamped": reached})
    else:
        out.result(f"stamped {settings.schema} at {', '.join(reached) or 'base'}")


@click.command()
@database_options
@lock_option
@click.pass_obj
def views(out, lock_timeout, **kwargs):
    """Drop and recreate the schema's views."""
    from ..command.stamp import recreate_views

    settings = settings_from(connection_options(kwargs))
    names = recreate_views(settings, policy=retry_policy(kwargs), lock_timeout=lock_timeout, report=out)
    if out.json:
        emit_json({"schema": settings.schema, "views": names})
    else:
        out.result(f"recreated views: {', '.join(names) or '(none)'}")
