"""Guards on what a migrating command is asked to do, given what the database holds.

Each is bad input (exit 2) in one line that names the bad part and what to
do instead, raised before anything changes: several rows in alembic_version,
another schema's revisions, a target on the wrong side of the current
revision, a relative step past base or head, a backwards --sql range. One
is a failure (exit 1) instead: a database with a schema but no history
(`refuse_without_history`), which `luna-db adopt` takes under control.
luna-db's histories are linear (script/revisions.py refuses anything else),
so a revision's position in `history_order()` is its height.
"""

from __future__ import annotations

from ..config.settings import SCHEMA_NAMES
from ..db.catalog_queries import table_names
from ..db.tool_tables import AUDIT_TABLE, TOOL_TABLES, has_version_rows
from ..errors import BadInput, OperationFailed
from ..script.revisions import describe, history_order, is_relative


def needs_adoption(connection) -> bool:
    """A database with tables of its own but no migration history: `status` and `upgrade`
    must say "not under migration control: run `luna-db adopt`" instead of planning from base."""

    if has_version_rows(connection):
        return False
    tables = table_names(connection)
    # An audit trail means luna-db has run here: a first revision left part-applied
    # (Oracle) is for `upgrade` to complete, not for adopt.
    return AUDIT_TABLE not in tables and bool(tables - TOOL_TABLES)


NOT_UNDER_CONTROL = "not under migration control: run `luna-db adopt`"


def refuse_without_history(connection, current: list[str]) -> None:
    """For `status` and `upgrade`: a database with a schema but no history is not at base.
    Planning from base would fail half-way on `relation ... already exists`."""
    if not current and needs_adoption(connection):
        raise OperationFailed(NOT_UNDER_CONTROL)


def check_version_rows(schema: str, current: list[str]) -> None:
    """One row of this schema's history in alembic_version (or none: base)."""
    if len(current) > 1:
        rows = ", ".join(sorted(current))
        raise BadInput(
            f"alembic_version holds {len(current)} rows ({rows}) but the {schema} history is linear: "
            f"find the revision the schema is really at, then keep only its row "
            f"(DELETE FROM alembic_version WHERE version_num <> '<revision>'); luna-db changes nothing until then"
        )
    check_foreign_revisions(schema, current)


def check_foreign_revisions(schema: str, current: list[str]) -> None:
    """Every row of alembic_version is a revision of this schema's history."""
    known = history_order(schema)
    for revision in current:
        if revision in known:
            continue
        for other in SCHEMA_NAMES:
            if other != schema and revision in history_order(other):
                raise BadInput(
                    f"the database holds the {other} schema (revision {revision} in alembic_version), "
                    f"not {schema}: choose --schema {other}, or the {schema} database"
                )
        raise BadInput(
            f"alembic_version holds {revision!r}, a revision of neither schema's history: "
            f"is this a LUNA database, and is luna-db as new as the one that migrated it?"
        )


def check_plan(schema: str, revision: str, direction: str, current: list[str]) -> None:
    """The target of an upgrade or downgrade makes sense from `current`."""
    check_version_rows(schema, current)
    order = history_order(schema)
    at = order.index(current[0]) if current else -1
    where = describe(current)
    if is_relative(revision):
        steps = int(revision)
        if (direction == "upgrade") != (steps > 0):
            other = "downgrade" if direction == "upgrade" else "upgrade"
            raise BadInput(f"{direction} {revision} goes the other way: use 'luna-db {other} {revision}'")
        if direction == "upgrade" and at + steps > len(order) - 1:
            raise BadInput(
                f"upgrade {revision} goes past head: the database is at {where}, "
                f"{len(order) - 1 - at} revision(s) below head {order[-1]}"
            )
        if direction == "downgrade" and at + 1 + steps < 0:
            if at < 0:
                raise BadInput(f"downgrade {revision}: the database is at base already, nothing is below it")
            raise BadInput(
                f"downgrade {revision} goes past base: the database is at {where}, "
                f"{at + 1} revision(s) above base (use 'luna-db downgrade base')"
            )
        return
    target = _position(schema, revision)
    if target is None:
        return  # branch syntax and the like: Alembic's own checks apply
    if direction == "upgrade" and target < at:
        raise BadInput(
            f"{revision} is below the current revision {where}: use 'luna-db downgrade {revision}'"
        )
    if direction == "downgrade" and target > at:
        raise BadInput(
            f"{revision} is above the current revision {where}: use 'luna-db upgrade {revision}'"
        )


def check_sql_range(schema: str, revision: str, direction: str) -> None:
    """`--sql FROM:TO` runs the way its command goes, over at least one revision."""
    if ":" not in revision:
        return
    start, _, end = revision.partition(":")
    low, high = _position(schema, start), _position(schema, end)
    if start and low is None and not is_relative(start) and "@" not in start:
        raise BadInput(f"unknown {schema} revision {start!r} (the start of {revision})")
    if low is None or high is None:
        return
    if low == high:
        raise BadInput(f"{revision} is an empty range: FROM and TO are the same revision")
    if direction == "upgrade" and low > high:
        raise BadInput(f"{revision} runs backwards for upgrade: use 'luna-db downgrade --sql {revision}'")
    if direction == "downgrade" and low < high:
        raise BadInput(f"{revision} runs forwards for downgrade: use 'luna-db upgrade --sql {revision}'")


def _position(schema: str, revision: str) -> int | None:
    """Height of a revision: -1 for base, the last for head; None when not a plain revision."""
    order = history_order(schema)
    if revision == "base":
        return -1
    if revision in ("head", "heads"):
        return len(order) - 1
    if revision in order:
        return order.index(revision)
    matches = [index for index, name in enumerate(order) if name.startswith(revision)] if revision else []
    return matches[0] if len(matches) == 1 else None
