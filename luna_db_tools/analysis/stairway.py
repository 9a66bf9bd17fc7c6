"""The stairway check: every revision's downgrade gives back the shape below it.

Shapes are reflected snapshots, compared before and after each step from the
head down. On PostgreSQL a shape is drift's catalog snapshot (analysis/reflect:
a handful of catalog queries, five times faster than the Inspector, and it
sees more: defaults, CHECK bodies, index methods, grants, comments); elsewhere
the Inspector's tables, columns, keys, indexes, checks and views.
"""

from __future__ import annotations

import sqlalchemy as sa

from ..db.tool_tables import TOOL_TABLES
from ..errors import first_line
from .catalog import Snapshot
from .compare import compare_snapshots
from .findings import Finding
from .reflect import reflect


def walk_stairway(run, connection, order: list[str], shapes: dict[str, dict]) -> list[Finding]:
    """From the head down: each revision's downgrade must give back the shape
    below it, and its upgrade the shape it had. Stops at the first step that
    leaves the database in an unknown shape."""
    for revision, below in reversed(list(zip(order, ["base", *order[:-1]]))):
        for verb, target, expected in (("downgrade", below, shapes[below]), ("upgrade", revision, shapes[revision])):
            try:
                run(verb, target)
            except Exception as error:
                connection.rollback()
                return [Finding("stairway", revision, revision, f"{verb} to {target} failed: {first_line(error)}")]
            wrong = snapshot_differences(expected, snapshot(connection))
            if wrong:
                return [Finding("stairway", revision, line, f"{verb} to {target} does not restore the shape") for line in wrong]
        run("downgrade", below)
    return []


def snapshot(connection):
    """What a revision changes, reflected."""
    if connection.dialect.name == "postgresql":
        return reflect(connection)
    return _inspected(connection)


def snapshot_differences(want, got) -> list[str]:
    """One line per difference between two shapes (empty: the same)."""
    if isinstance(want, Snapshot):
        return [str(difference) for difference in compare_snapshots(want, got)]
    return _inspected_differences(want, got)


def _inspected(connection) -> dict:
    """Tables, columns, keys, indexes, checks, views, as SQLAlchemy's Inspector reads them."""

    inspector = sa.inspect(connection)
    tables = {}
    for name in sorted(inspector.get_table_names()):
        if name in TOOL_TABLES:
            continue
        tables[name] = {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"], str(c.get("default")), c.get("comment"))
                for c in inspector.get_columns(name)
            ],
            "primary key": inspector.get_pk_constraint(name).get("name"),
            "foreign keys": sorted((fk["name"], tuple(fk["constrained_columns"]), fk["referred_table"]) for fk in inspector.get_foreign_keys(name)),
            "unique": sorted((u["name"], tuple(u["column_names"])) for u in inspector.get_unique_constraints(name)),
            "indexes": sorted((i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in inspector.get_indexes(name)),
            "checks": sorted((c["name"], c["sqltext"]) for c in inspector.get_check_constraints(name)),
            "comment": inspector.get_table_comment(name).get("text"),
        }
    views = {name: inspector.get_view_definition(name) for name in sorted(inspector.get_view_names())}
    return {"tables": tables, "views": views}


def _inspected_differences(want: dict, got: dict) -> list[str]:
    lines = []
    for name in sorted(set(want["tables"]) | set(got["tables"])):
        if name not in got["tables"]:
            lines.append(f"table {name} missing")
        elif name not in want["tables"]:
            lines.append(f"table {name} left behind")
        else:
            for part, value in want["tables"][name].items():
                if got["tables"][name][part] != value:
                    lines.append(f"{name} {part}")
    for name in sorted(set(want["views"]) | set(got["views"])):
        if want["views"].get(name) != got["views"].get(name):
            lines.append(f"view {name}")
    return lines
