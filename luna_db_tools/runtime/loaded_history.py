"""Alembic's upgrade and downgrade commands over a history loaded once.

`alembic.command.upgrade` and `downgrade` build a new ScriptDirectory on each
call, and with it load every revision file of the history again. `luna-db
check` makes three calls per revision online and two offline, so on a
five-revision history that is about 25 loads of five files; LoadedHistory
runs each call exactly as the command does (same EnvironmentContext, same
env.py, same Config), over the ScriptDirectory it was given.

Its methods have the commands' signatures, so it stands in for the
`alembic.command` module (runtime/offline.render_migration takes either).
The steps come from ScriptDirectory._upgrade_revs and _downgrade_revs, the
methods alembic.command calls itself, with the same arguments in every
Alembic pyproject allows (1.13 to 1.x).
"""

from __future__ import annotations

from alembic.runtime.environment import EnvironmentContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError


class LoadedHistory:
    """`upgrade` and `downgrade` as alembic.command has them, over one ScriptDirectory."""

    def __init__(self, script: ScriptDirectory):
        self.script = script

    def upgrade(self, config, revision: str, sql: bool = False, tag: str | None = None) -> None:
        starting, revision = self._range(revision, sql)
        self._run(config, lambda rev, context: self.script._upgrade_revs(revision, rev), sql, starting, revision, tag)

    def downgrade(self, config, revision: str, sql: bool = False, tag: str | None = None) -> None:
        starting, revision = self._range(revision, sql)
        if sql and starting is None:
            raise CommandError("downgrade with --sql requires <fromrev>:<torev>")
        self._run(config, lambda rev, context: self.script._downgrade_revs(revision, rev), sql, starting, revision, tag)

    @staticmethod
    def _range(revision: str, sql: bool) -> tuple[str | None, str]:
        if ":" not in revision:
            return None, revision
        if not sql:
            raise CommandError("Range revision not allowed")
        starting, revision = revision.split(":", 2)
        return starting, revision

    def _run(self, config, steps, sql: bool, starting: str | None, destination: str, tag: str | None) -> None:
        with EnvironmentContext(config, self.script, fn=steps, as_sql=sql, starting_rev=starting,
                                destination_rev=destination, tag=tag):
            self.script.run_env()
