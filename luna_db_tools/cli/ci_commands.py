"""Commands for CI and documentation: check, diagram."""

from __future__ import annotations

import json

import click

from ..config.settings import SCHEMA_NAMES
from ..errors import EXIT_FAILED, EXIT_OK
from .group import main
from .options import connection_options, database_options, retry_policy, settings_from
from .output import reported


@main.command()
@database_options
@click.option("--json", "json_output", is_flag=True, help="Print every finding as JSON.")
@click.option("--migrations-dir", type=click.Path(file_okay=False, exists=True), help="Check another copy of the Alembic environment (default: the project's own).")
@click.option("--create-database", is_flag=True, help="PostgreSQL: first create the scratch database when it does not exist.")
@click.pass_obj
@reported
def check(out, json_output, migrations_dir, create_database, **kwargs):
    """CI migration checks on an empty scratch database; exit 1 on any finding."""
    from ..command.check import run_checks
    from ..command.create import ensure_database

    settings = settings_from(connection_options(kwargs))
    policy = retry_policy(kwargs)
    if create_database:
        ensure_database(settings, policy, out.progress)
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
@click.option("--schema", type=click.Choice(SCHEMA_NAMES), required=True, help="Which schema to draw.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="File to write; its suffix picks the format: .svg, .png, .dot or .gv.")
@click.pass_obj
@reported
def diagram(out, schema, output):
    """Draw the schema's tables, columns and foreign keys (Graphviz) from the models."""
    from ..command.diagram import write_diagram

    written = write_diagram(schema, output)
    out.progress(f"wrote {written}")
