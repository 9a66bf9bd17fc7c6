"""Commands for CI and documentation: check, lint, diagram."""

from __future__ import annotations

import click

from ..config.settings import SCHEMA_NAMES
from ..errors import EXIT_FAILED, EXIT_OK
from .json_output import emit_json
from .options import connection_options, database_options, retry_policy, settings_from
from .output import Output


@click.command()
@database_options
@click.option("--migrations-dir", type=click.Path(file_okay=False, exists=True), help="Check another copy of the Alembic environment (default: the project's own).")
@click.option("--create-database", is_flag=True, help="PostgreSQL: create the scratch database when it does not exist, and drop it after the check. Without --schema: one per schema, named DB_streams and DB_backport3.")
@click.option("--junit", "junit_file", type=click.Path(dir_okay=False, writable=True), help="Also write the report as JUnit XML (one test case per check and revision) for CI pages.")
@click.pass_obj
def check(out: Output, migrations_dir, create_database, junit_file, **kwargs):
    """CI migration checks on an empty scratch database; exit 1 on any finding.

    Without --schema both schemas are checked, in turn in the database given
    (or, with --create-database, each in a database of its own). What a check
    creates in the database, it drops when it ends, so it can run again.

    \b
    Examples:
      luna-db check --dsn luna:luna@127.0.0.1/luna_ci --create-database --junit check.xml
      luna-db check --schema streams --dsn luna:luna@127.0.0.1/luna_ci --create-database --json
    """
    from ..command.check import HINT_EMPTY, HINT_EXISTING, check_targets, drop_database, run_checks
    from ..command.create import ensure_database

    options = connection_options(kwargs)
    policy = retry_policy(kwargs)
    settings = settings_from(options)
    reports = []
    for target in check_targets(settings, separate_databases=create_database):
        created = ensure_database(target, policy, out.as_progress()) if create_database else False
        try:
            reports.append(run_checks(
                target, migrations_dir=migrations_dir, policy=policy, report=out.as_progress(),
                hint=HINT_EXISTING if create_database else HINT_EMPTY,
            ))
        finally:
            if created:
                drop_database(target, policy)
                out.progress(f"dropped database {target.database}")
    ok = not any(report.failures for report in reports)
    if junit_file:
        from pathlib import Path

        from .junit import junit_xml

        Path(junit_file).write_text(junit_xml(reports), encoding="utf-8")
    if out.json:
        # One schema: its report; both: each report under "reports".
        emit_json(reports[0].as_dict() if len(reports) == 1 else {"ok": ok, "reports": [r.as_dict() for r in reports]})
    else:
        for report in reports:
            print_check_report(out, report)
    return EXIT_OK if ok else EXIT_FAILED


def print_check_report(out: Output, report) -> None:
    """The summary first, then each finding with its fix; accepted findings only with -v."""
    accepted = [finding for finding in report.findings if finding.accepted]
    out.result(
        f"{report.schema}: {len(report.failures)} finding(s), {len(accepted)} accepted"
        f"{'' if out.verbose or not accepted else ' (-v lists them)'}; checks: {', '.join(report.checks_run)}"
    )
    for finding in report.failures:
        out.result(str(finding))
    if out.verbose:
        for finding in accepted:
            out.result(str(finding))


@click.command()
@click.option("--schema", type=click.Choice(SCHEMA_NAMES), required=True, help="Which schema to draw.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="File to write; its suffix picks the format: .svg, .png, .dot or .gv.")
@click.pass_obj
def diagram(out, schema, output):
    """Draw the schema's tables, columns and foreign keys (Graphviz) from the models."""
    from ..command.diagram import write_diagram

    written = write_diagram(schema, output)
    out.progress(f"wrote {written}")
    if out.json:
        emit_json({"schema": schema, "written": str(written)})


@click.command()
@click.argument("files", nargs=-1, required=True)
@click.option("--dialect", type=click.Choice(["postgresql", "oracle"]), default="postgresql", show_default=True,
              help="The SQL dialect of the files.")
@click.option("--format", "output_format", type=click.Choice(["text", "json", "sarif"]), default="text", show_default=True,
              help="text (file:line: rule: message), json, or SARIF 2.1.0 for code-scanning UIs.")
@click.option("--schema", type=click.Choice(SCHEMA_NAMES), default=None,
              help="The schema the files run on, whose head's column types a type change is judged against "
                   "(default: the one schema that has every table a file names).")
@click.pass_obj
def lint(out: Output, files, dialect, output_format, schema):
    """Lint SQL FILES (- for stdin) for statements that lock or rewrite a busy table; exit 1 on a finding.

    --json is --format json. A type change the schema shows catalog-only (a varchar
    widened) is not a hazard: -v and the JSON list it with the reason.
    """
    from ..command.lint import lint_files
    from .lint_report import document

    report = lint_files(files, dialect, schema=schema)
    output_format = "json" if out.json else output_format
    if output_format == "text":
        for finding in report.findings:
            if out.verbose or not finding.not_a_hazard:
                out.result(str(finding))
    else:
        emit_json(document(report, output_format))
    return report.exit_code
