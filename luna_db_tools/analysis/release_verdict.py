"""Whether the running release keeps working: its failed statements, the column each names, the findings.

A statement of release N-1's workload (analysis/release_workload.py) that
the server refuses on revision N's schema is a failure; the server's error
says why (its SQLSTATE, message and, for some errors, the column or the
constraint), and this module names the column: the one the message names,
the constraint's columns, or for a value the column no longer takes, the
columns whose type changed between the two snapshots. A failure that only
follows from another (a child row refused because its parent's INSERT
failed) is left out. Pure: no database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .findings import Finding
from .release_workload import Statement
from .schema.catalog import Snapshot

KIND = "breaks-running-release"

_UNDEFINED_COLUMN = "42703"
_NOT_NULL = "23502"
_FOREIGN_KEY = "23503"
_CONSTRAINTS = {"23514", "23503", "23505", "23P01"}  # check, foreign key, unique, exclusion
# A value the column's (new) type does not take: too long, out of range, malformed, another type.
_VALUE = {"22001", "22003", "22007", "22008", "22P02", "42804", "22023"}
_QUOTED_COLUMN = re.compile(r'column "([^"]+)"')


@dataclass(frozen=True)
class ServerError:
    """What the server said when it refused a statement."""

    sqlstate: str | None
    message: str
    column: str | None = None        # the error's column field (e.g. a NOT NULL violation)
    constraint: str | None = None    # the error's constraint field


@dataclass(frozen=True)
class Failure:
    """A statement of the running release that the new schema refuses."""

    statement: Statement
    columns: tuple[str, ...]         # the column(s) of the statement's table the reason is about
    reason: str                      # the server's message
    sqlstate: str | None = None

    @property
    def object(self) -> str:
        """`table.column` when one column is to blame, else the table: what accept comments name."""
        return f"{self.statement.table}.{self.columns[0]}" if len(self.columns) == 1 else self.statement.table

    def __str__(self) -> str:
        return f"{self.statement.action} fails: {self.reason}"

    def as_dict(self) -> dict:
        return {"statement": self.statement.action, "table": self.statement.table,
                "columns": list(self.columns), "reason": self.reason, "sql": self.statement.sql}


def _constraint_of(snapshots: Iterable[Snapshot], name: str | None, table: str):
    for snapshot in snapshots:
        for constraint in snapshot.constraints:
            if constraint.name == name and (constraint.table == table or constraint.kind == "foreign key"):
                return constraint
    return None


def _changed_columns(statement: Statement, before: Snapshot, after: Snapshot) -> tuple[str, ...]:
    def types(snapshot: Snapshot) -> dict[str, str]:
        return {c.name: c.type for c in snapshot.columns if c.table == statement.table}

    old, new = types(before), types(after)
    return tuple(c for c in statement.columns if c in new and old.get(c) != new[c])


def failure(statement: Statement, error: ServerError, before: Snapshot, after: Snapshot) -> Failure:
    """The failure of `statement` on `after` (the new schema), its column named from the error."""
    columns: tuple[str, ...] = ()
    if error.sqlstate == _UNDEFINED_COLUMN:
        named = _QUOTED_COLUMN.search(error.message)
        columns = (named.group(1).split(".")[-1],) if named else ()
    elif error.sqlstate == _NOT_NULL and error.column:
        columns = (error.column,)
    elif error.sqlstate in _CONSTRAINTS:
        constraint = _constraint_of((after, before), error.constraint, statement.table)
        columns = tuple(constraint.columns) if constraint is not None and constraint.table == statement.table else ()
    elif error.sqlstate in _VALUE:
        columns = _changed_columns(statement, before, after)
    return Failure(statement, columns, error.message, error.sqlstate)


def _follows_from(item: Failure, error: ServerError, failed_inserts: set[str], failed_deletes: set[str],
                  snapshots: tuple[Snapshot, Snapshot]) -> bool:
    """A foreign key refused only because another statement failed first: no break of its own."""
    if item.sqlstate != _FOREIGN_KEY:
        return False
    constraint = _constraint_of(snapshots, error.constraint, item.statement.table)
    if constraint is None:
        return bool(failed_inserts or failed_deletes)
    if item.statement.verb == "DELETE":  # the parent's row still has the child row whose DELETE failed
        return constraint.table in failed_deletes
    return constraint.ref_table in failed_inserts


def failures(refused: Iterable[tuple[Statement, ServerError]], before: Snapshot, after: Snapshot) -> list[Failure]:
    """The failures of a replay, in the order the statements ran, without those that follow from another."""
    kept: list[Failure] = []
    failed = {"INSERT": set(), "DELETE": set()}
    for statement, error in refused:
        item = failure(statement, error, before, after)
        if not _follows_from(item, error, failed["INSERT"], failed["DELETE"], (after, before)):
            kept.append(item)
        failed.setdefault(statement.verb, set()).add(statement.table)
    return kept


def release_findings(revision: str, found: list[Failure], accepted: Iterable = ()) -> list[Finding]:
    """One finding per object (`table.column` or table), its first failure as the message.

    `accepted` are the revision's accept comments (analysis/sql/lint.Accepted).
    """
    accepted = list(accepted)
    by_object: dict[str, list[Failure]] = {}
    for item in found:
        by_object.setdefault(item.object, []).append(item)
    findings = []
    for name, items in by_object.items():
        more = f" (and {len(items) - 1} more statement(s) on {items[0].statement.table})" if len(items) > 1 else ""
        finding = Finding(KIND, revision, name, f"{items[0]}{more}")
        cover = next((a for a in accepted if a.covers(finding)), None)
        findings.append(Finding(KIND, revision, name, finding.message, accepted=cover.reason if cover else None))
    return findings
