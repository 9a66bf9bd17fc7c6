"""What every command shares: how it reports, how it retries connecting, and its guards on the database it is given."""

from __future__ import annotations

from ..config.settings import DbSettings, require_schema
from ..db.catalog_queries import table_names
from ..db.connect import RetryPolicy
from ..db.tool_tables import TOOL_TABLES, VERSION_TABLE
from ..errors import BadInput
from ..reporter import SILENT, Reporter

__all__ = ["Report", "RetryPolicy", "refuse_non_empty", "schema_of", "silent"]

#: Where a command sends its lines (the CLI: its Output; a library caller: any Reporter).
Report = Reporter

#: The default reporter: drops every line.
silent = SILENT


def schema_of(settings: DbSettings) -> str:
    """The schema the settings name; bad input when they name none."""
    return require_schema(settings.schema, settings.database)


def refuse_non_empty(connection, settings: DbSettings, refusal: str, hint: str) -> None:
    """Bad input (exit 2) when the database holds any table or a migration version; changes nothing."""

    tables = table_names(connection)
    present = sorted(tables - TOOL_TABLES) + ([VERSION_TABLE] if VERSION_TABLE in tables else [])
    if present:
        shown = ", ".join(present[:8]) + (" ..." if len(present) > 8 else "")
        raise BadInput(f"{refusal}: {settings.masked_dsn()} already holds {shown} ({hint})")
