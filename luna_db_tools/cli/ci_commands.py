"""Commands for CI and documentation: check, lint, diagram."""

from __future__ import annotations

import click

from ..config.settings import SCHEMA_NAMES
from ..errors import EXIT_FAILED, EXIT_OK
from .group import main
from .json_output import emit_json
from .options import connection_options, database_options, retry_policy, settings_from
from .output import reported


@main.command()
@database_options
@click.option("--json", "json_output", is_flag=True, help="Print every finding as JSON.")
@click.option("--migrations-dir", type=click.Path(file_okay=False, exists=True), help="Check another copy of the Alembic environment (default: the project's own).")
@click.option("--create-database", is_flag=True, help="PostgreSQL: first create the scratch database when it does not exist.")
@click.option("--junit", "junit_file", type=click.Path(dir_okay=False, writable=True), help="Also write the report as JUnit XML (one test case per check and revision) for CI pages.")
@click.pass_obj
@reported
def check(out, json_output, migrations_dir, create_database, junit_file, **kwargs):
    """CI migration checks on an empty scratch database; exit 1 on any finding."""
    from ..command.check import run_checks
    from ..command.create import ensure_database

    settings = settings_from(connection_options(kwargs))
    policy = retry_policy(kwargs)
    if create_database:
        ensure_database(settings, policy, out.progress)
    result = run_checks(settings, migrations_dir=migrations_dir, policy=policy)
    if junit_file:
        from pathlib import Path

        from .junit import junit_xml

        Path(junit_file).write_text(junit_xml(result), encoding="utf-8")
    if json_output:
        emit_json(result.as_dict())
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
    if out.json:
        emit_json({"schema": schema, "written": str(written)})


@main.command()
@click.argument("files", nargs=-1, required=True)
@click.option("--dialect", type=click.Choice(["postgresql", "oracle"]), default="postgresql", show_default=True,
              help="The SQL dialect of the files.")
@click.option("--format", "output_format", type=click.Choice(["text", "json", "sarif"]), default="text", show_default=True,
              help="text (file:line: rule: message), json, or SARIF 2.1.0 for code-scanning UIs.")
@click.option("--json", "json_output", is_flag=True, help="Same as --format json.")
@reported
def lint(files, dialect, output_format, json_output):
    """Lint SQL FILES (- for stdin) for statements that lock or rewrite a busy table; exit 1 on a finding."""
    from ..analysis.sql.lint_report import render
    from ..command.lint import lint_files

    report = lint_files(files, dialect)
    click.echo(render(report, "json" if json_output else output_format), nl=False)
    return report.exit_code
