"""`luna-db credentials export|remove`: the operator's steps after backport3's b0002 (LUNA 0.4.0)."""

from __future__ import annotations

import click

from .group import LunaGroup
from .json_output import emit_json
from .options import connection_options, database_options, lock_option, retry_policy, settings_from
from .output import Output


@click.group(cls=LunaGroup)
def credentials():
    """The account credentials b0002 keeps until they are moved to the Accounts service."""


@credentials.command("export")
@click.argument("file", type=click.Path(dir_okay=False))
@database_options
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True,
              help="JSON lines or CSV of account_id, email, organization_name, password (the hash as stored).")
@click.pass_obj
def export_command(out: Output, file, fmt, **kwargs):
    """Write the kept credentials to a new, owner-only FILE and mark them exported."""
    from ..command.credentials import export_credentials

    export = export_credentials(settings_from(connection_options(kwargs)), file, fmt, policy=retry_policy(kwargs))
    if out.json:
        emit_json({"path": export.path, "format": export.format, "accounts": export.accounts, "sha256": export.sha256})
    else:
        out.result(f"exported {export.accounts} account(s) to {export.path} ({export.format}, sha256 {export.sha256[:12]})")


@credentials.command("remove")
@database_options
@lock_option
@click.option("--force", is_flag=True, help="Remove even rows never exported (their credentials are lost).")
@click.pass_obj
def remove_command(out: Output, force, lock_timeout, **kwargs):
    """Drop the kept credentials table (LUNA's --remove_tmp_tables step); refused while a row was never exported."""
    from ..command.credentials import remove_credentials

    removal = remove_credentials(settings_from(connection_options(kwargs)), force=force,
                                 policy=retry_policy(kwargs), lock_timeout=lock_timeout)
    if out.json:
        emit_json({"table": removal.table, "accounts": removal.accounts, "not_exported": removal.not_exported})
    else:
        out.result(f"removed {removal.table} ({removal.accounts} account(s), {removal.not_exported} never exported)")
