"""What every command shares: how it reports progress, and its guards on the database it is given."""

from __future__ import annotations

from typing import Callable

import sqlalchemy as sa

from ..config.settings import DbSettings, require_schema
from ..db.tool_tables import VERSION_TABLE, schema_tables
from ..errors import BadInput

#: Where a command sends its progress lines (the CLI: stderr or stdout; a library caller: anywhere).
Report = Callable[[str], None]


def silent(_line: str) -> None:
    pass


def schema_of(settings: DbSettings) -> str:
    """The schema the settings name; bad input when they name none."""
    return require_schema(settings.schema)


def refuse_non_empty(connection, settings: DbSettings, refusal: str, hint: str) -> None:
    """Bad input (exit 2) when the database holds any table or a migration version; changes nothing."""

    present = schema_tables(connection)
    if VERSION_TABLE in sa.inspect(connection).get_table_names():
        present.append(VERSION_TABLE)
    if present:
        shown = ", ".join(present[:8]) + (" ..." if len(present) > 8 else "")
        raise BadInput(f"{refusal}: {settings.masked_dsn()} already holds {shown} ({hint})")
