"""The stairway walk of `luna-db check`: every revision's downgrade gives back the shape below it."""

from __future__ import annotations

from ..analysis.findings import Finding
from ..analysis.schema.stairway import snapshot_differences
from ..errors import first_line
from .catalog_reader import read_shape


def walk_stairway(run, connection, order: list[str], shapes: dict) -> list[Finding]:
    """From the head down: each revision's downgrade must give back the shape
    below it, and its upgrade the shape it had. Stops at the first step that
    leaves the database in an unknown shape.

    `run(verb, target)` runs Alembic on `connection`; `shapes` holds the shape
    reflected after each upgrade ("base": before the first).
    """
    for revision, below in reversed(list(zip(order, ["base", *order[:-1]]))):
        for verb, target, expected in (("downgrade", below, shapes[below]), ("upgrade", revision, shapes[revision])):
            try:
                run(verb, target)
            except Exception as error:
                connection.rollback()
                return [Finding("stairway", revision, revision, f"{verb} to {target} failed: {first_line(error)}")]
            wrong = snapshot_differences(expected, read_shape(connection))
            if wrong:
                return [Finding("stairway", revision, line, f"{verb} to {target} does not restore the shape") for line in wrong]
        run("downgrade", below)
    return []
