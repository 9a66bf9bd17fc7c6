"""`luna-db adopt`: take a database made by LUNA's own tooling under migration control."""

from __future__ import annotations

import click

from ..errors import EXIT_FAILED, EXIT_OK
from .json_output import emit_json
from .options import connection_options, database_options, lock_option, retry_policy, settings_from
from .output import Output


@click.command()
@database_options
@lock_option
@click.option("--revision", help="Adopt as REVISION, and only if the database matches it.")
@click.option("--force", is_flag=True, help="Stamp the nearest revision even if it differs; the audit keeps the differences.")
@click.option("--dry-run", is_flag=True, help="Say which revision and which renames; change nothing.")
@click.pass_obj
def adopt(out: Output, revision, force, dry_run, lock_timeout, **kwargs):
    """Find the revision a database without migration history matches, rename its
    constraints and indexes to the models' names and stamp it; exit 1 when none matches."""
    from ..command.adopt import adopt as adopt_database

    settings = settings_from(connection_options(kwargs))
    result = adopt_database(settings, revision=revision, force=force, dry_run=dry_run,
                            policy=retry_policy(kwargs), lock_timeout=lock_timeout, report=out)
    if out.json:
        emit_json(result.as_dict())
        return EXIT_OK if result.ok else EXIT_FAILED
    say = out.say
    say(result.reason)
    for rename in result.renames:
        say(f"{'would rename' if result.dry_run or not result.stamped else 'renamed'} "
            f"{rename.kind} {rename.table}.{rename.live} to {rename.model}")
    for difference in result.differences:
        out.result(f"  {difference}")
    if result.stamped:
        say(f"adopted {result.schema} at {result.revision}" + (" (forced)" if not result.exact else ""))
    elif result.ok:
        say(f"would adopt {result.schema} at {result.revision} (dry run: nothing written)")
    else:
        say("nothing written: fix the differences, or adopt the nearest revision with --force")
    return EXIT_OK if result.ok else EXIT_FAILED
