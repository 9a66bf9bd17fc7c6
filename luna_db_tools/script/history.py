"""A schema's migration history: its revisions, and the plan of steps to a target.

Built on Alembic's public ScriptDirectory API. luna-db runs one revision per
Alembic call, so that each step's audit row is opened (and committed) before
the step starts; `plan_steps` is the one place that works out those steps.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util import CommandError

from ..errors import BadInput, OperationFailed
from ..schemas import check_schema, migrations_dir
from .revisions import is_relative


@dataclass(frozen=True)
class PlannedStep:
    """One revision to apply or revert, and the target that makes Alembic run just it."""

    revision: str
    message: str
    direction: str  # up, down
    target: str
    path: str | None

    @property
    def checksum(self) -> str | None:
        from ..db.audit import file_checksum

        return file_checksum(self.path) if self.path else None

    def as_dict(self) -> dict:
        return {"revision": self.revision, "message": self.message, "direction": self.direction}


def script_config(schema: str, script_location: str | Path | None = None, output=None) -> Config:
    """An Alembic Config that locates one schema's history: the environment, and its versions folder.

    `script_location` points at another copy of the environment (`luna-db
    check --migrations-dir`); by default, the project's own.
    """
    config = Config(output_buffer=output, stdout=output) if output is not None else Config()
    location = Path(script_location) if script_location else migrations_dir()
    config.set_main_option("script_location", str(location))
    config.set_main_option("version_locations", str(location / "versions" / check_schema(schema)))
    config.set_main_option("path_separator", "os")
    return config


def script_directory(schema: str, script_location: str | Path | None = None):
    """Alembic's ScriptDirectory of one schema's history."""
    return ScriptDirectory.from_config(script_config(schema, script_location))


def plan_steps(schema: str, revision: str, direction: str, current: list[str]) -> list[PlannedStep]:
    """The revisions an upgrade or downgrade from `current` to `revision` runs, in order."""
    script = script_directory(schema)
    with user_errors_from_alembic():
        if direction == "upgrade":
            scripts = reversed(list(script.iterate_revisions(revision, tuple(current), implicit_base=True)))
        else:
            scripts = script.iterate_revisions(tuple(current), revision, select_for_downgrade=True)
        scripts = list(scripts)
    steps = []
    for revision_script in scripts:
        if direction == "upgrade":
            target = revision_script.revision
        elif revision_script.is_merge_point:
            raise OperationFailed(
                f"revision {revision_script.revision} merges branches; luna-db runs linear histories only"
            )
        else:
            target = revision_script.down_revision or "base"
        steps.append(PlannedStep(
            revision_script.revision, message(revision_script), "up" if direction == "upgrade" else "down",
            target, revision_script.path,
        ))
    return steps


def heads(schema: str) -> list[str]:
    return list(script_directory(schema).get_heads())


def history(schema: str) -> list[dict]:
    """Every revision, oldest first, with its message and down-revision."""
    revisions = list(script_directory(schema).walk_revisions())
    revisions.reverse()
    return [
        {
            "id": script.revision,
            "message": message(script),
            "down_revision": script.down_revision,
            "is_head": script.is_head,
        }
        for script in revisions
    ]


def revision_after(schema: str, revision: str) -> str | None:
    """The single revision that follows `revision`, if there is exactly one."""
    following = [
        s.revision for s in script_directory(schema).walk_revisions() if revision in _down_revisions(s)
    ]
    return following[0] if len(following) == 1 else None


def message(script) -> str:
    """A revision's one-line message: the first line of its docstring."""
    return (script.doc or "").strip().splitlines()[0] if script.doc else ""


def check_revision_argument(schema: str, revision: str) -> None:
    """Unknown revisions are bad input (exit 2), caught before touching the database."""

    target = revision.split("@")[-1]
    if target in ("head", "heads", "base") or is_relative(target):
        return
    try:
        found = script_directory(schema).get_revisions(target)
    except CommandError as error:
        raise BadInput(f"unknown {schema} revision {revision!r}: {error}") from None
    if not found:
        raise BadInput(f"unknown {schema} revision {revision!r}")


@contextmanager
def user_errors_from_alembic() -> Iterator[None]:
    """Alembic's errors about a revision are the user's mistake: exit 2."""

    try:
        yield
    except (CommandError, RevisionError) as error:
        raise BadInput(str(error)) from None


def _down_revisions(script) -> tuple:
    down = script.down_revision
    return down if isinstance(down, tuple) else (down,)
