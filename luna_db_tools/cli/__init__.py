"""The `luna-db` command line: parse options, call the `command` layer, print, exit.

Start-up stays cheap: these modules import click and luna-db's standard-library
modules only; SQLAlchemy, Alembic and the drivers load inside the commands
that need them (`--help`, `--version` and `dsn` never do).
"""

from . import (  # noqa: F401  (register the commands)
    adopt_commands,
    ci_commands,
    credentials_commands,
    info_commands,
    schema_commands,
)
from .group import main

__all__ = ["main"]
