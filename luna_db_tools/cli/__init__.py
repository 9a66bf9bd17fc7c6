"""The `luna-db` command line: parse options, call the `command` layer, print, exit.

Start-up stays cheap: the group (group.py) imports click and luna-db's
standard-library modules only, and each command's module is imported when
that command runs (group.COMMANDS); SQLAlchemy, Alembic and the drivers load
inside the commands that need them (`--help`, `--version` and `dsn` never do).
"""

from .group import main

__all__ = ["main"]
