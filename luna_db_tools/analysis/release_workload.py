"""What the running release does to its database, derived from its schema: the workload `check` replays.

During a rolling upgrade the instances of release N-1 keep serving while
revision N runs and for as long as the rollout takes. What they do is what
their schema lets them do, so it is generated from revision N-1's catalog
snapshot alone: every table written with every column it has (values at the
column's full width and range, analysis/release_values.py), parents before
children with the foreign keys' values taken from the parent rows just
written; each row read back by name, updated column by column (every value
a CHECK lists, NULL where the column allows it), then deleted by key,
children first; every view read by its column names. Replayed against
revision N's schema (command/running_release.py), a statement that fails is
an instance of the old release that would fail.

Pure: snapshots and names in, SQL text out (identifiers always quoted,
values as literals), so the statements can be shown as they ran.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from .release_values import ColumnValues, column_values
from .schema.catalog import Column, Constraint, Snapshot

_ACTIONS = {"INSERT": "INSERT into", "SELECT": "SELECT from", "UPDATE": "UPDATE of", "DELETE": "DELETE from"}


@dataclass(frozen=True)
class Statement:
    """One statement of the running release, on one table or view."""

    verb: str                   # INSERT, SELECT, UPDATE, DELETE
    table: str                  # the table or view
    columns: tuple[str, ...]    # the columns it names (written, read or set)
    sql: str

    @property
    def action(self) -> str:
        """"INSERT into account", "SELECT from stream_view"...: how a failure names it."""
        return f"{_ACTIONS[self.verb]} {self.table}"


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def parents_first(snapshot: Snapshot) -> list[str]:
    """The snapshot's tables, each after the tables its foreign keys reference (name order otherwise).

    A cycle (or a self-reference) cannot be ordered: its tables come last, in name order.
    """
    names = sorted(t.name for t in snapshot.tables)
    needs = {name: {c.ref_table for c in snapshot.constraints
                    if c.kind == "foreign key" and c.table == name and c.ref_table in names and c.ref_table != name}
             for name in names}
    ordered: list[str] = []
    while len(ordered) < len(names):
        ready = [name for name in names if name not in ordered and needs[name] <= set(ordered)]
        if not ready:
            ordered += [name for name in names if name not in ordered]
            break
        ordered += ready
    return ordered


@dataclass
class _Row:
    """The row the release writes into one table: its columns' values, and the key it finds it by."""

    table: str
    columns: list[Column]
    values: dict[str, ColumnValues | None]
    literal: dict[str, str]      # what the INSERT writes, per column
    key: tuple[str, ...]
    fixed: set[str]              # never set to another value: the key, foreign keys, columns other tables reference
    referenced: set[str] = field(default_factory=set)  # columns other tables' foreign keys point at

    def where(self) -> str:
        return " AND ".join(f"{ident(c)} = {self.literal[c]}" for c in self.key)


def _constraints(snapshot: Snapshot, table: str, kind: str) -> list[Constraint]:
    return [c for c in snapshot.constraints if c.table == table and c.kind == kind]


def _literals(columns: list[Column], values: dict[str, ColumnValues | None]) -> dict[str, str]:
    """What the INSERT writes: each column's value; NULL for a type not known here, unless a default covers it."""
    literal = {name: v.insert for name, v in values.items() if v is not None}
    for column in columns:
        if column.name not in literal and (not column.not_null or column.default is None):
            literal[column.name] = "NULL"
    return literal


def _take_parent_keys(snapshot: Snapshot, table: str, literal: dict[str, str], rows: dict[str, _Row]) -> None:
    """A foreign key's columns hold the values of the parent row just written."""
    for fk in _constraints(snapshot, table, "foreign key"):
        parent = rows.get(fk.ref_table)
        if parent is None:
            continue
        for mine, theirs in zip(fk.columns, fk.ref_columns):
            if theirs in parent.literal:
                literal[mine] = parent.literal[theirs]


def _key(snapshot: Snapshot, table: str, columns: list[Column], literal: dict[str, str]) -> tuple[str, ...]:
    """The primary key, else the first unique key, else every column written (never one written NULL)."""
    keys = _constraints(snapshot, table, "primary key") or _constraints(snapshot, table, "unique")
    names = keys[0].columns if keys else [c.name for c in columns]
    return tuple(name for name in names if literal.get(name) != "NULL")


def _row(snapshot: Snapshot, table: str, rows: dict[str, _Row]) -> _Row:
    columns = [c for c in snapshot.columns if c.table == table and not c.generated]
    values = {c.name: column_values(snapshot, c) for c in columns}
    literal = _literals(columns, values)
    _take_parent_keys(snapshot, table, literal, rows)
    columns = [c for c in columns if c.name in literal]
    key = _key(snapshot, table, columns, literal)
    referenced = {name for c in snapshot.constraints if c.kind == "foreign key" and c.ref_table == table
                  for name in c.ref_columns}
    foreign = {name for fk in _constraints(snapshot, table, "foreign key") for name in fk.columns}
    return _Row(table, columns, values, literal, key, set(key) | referenced | foreign, referenced)


def _insert(snapshot: Snapshot, row: _Row) -> Statement:
    names = tuple(c.name for c in row.columns)
    # An identity GENERATED ALWAYS takes a value only with OVERRIDING: the row's key must be known
    # to read, update and delete it afterwards.
    overriding = " OVERRIDING SYSTEM VALUE" if any((c.identity or "").startswith("always") for c in row.columns) else ""
    sql = (f"INSERT INTO {ident(row.table)} ({', '.join(ident(n) for n in names)}){overriding} "
           f"VALUES ({', '.join(row.literal[n] for n in names)})")
    return Statement("INSERT", row.table, names, sql)


def _updates(row: _Row) -> list[Statement]:
    """The whole row set once to the other end of each range, then each listed value and NULL, one column each."""
    names = [c.name for c in row.columns if c.name not in row.fixed]

    def update(columns: Sequence[str], values: Sequence[str]) -> Statement:
        sets = ", ".join(f"{ident(c)} = {v}" for c, v in zip(columns, values))
        return Statement("UPDATE", row.table, tuple(columns), f"UPDATE {ident(row.table)} SET {sets} WHERE {row.where()}")

    values = [row.values[n].update if row.values[n] is not None else row.literal[n] for n in names]
    statements = [update(names, values)] if names else []
    for column in row.columns:
        known = row.values[column.name]
        if column.name in names and known:
            statements += [update([column.name], [value]) for value in known.allowed[1:-1]]
        # NULL where the column takes it, a nullable foreign key too (a row without its parent).
        if not column.not_null and column.name not in set(row.key) | row.referenced:
            statements.append(update([column.name], ["NULL"]))
    return statements


def release_workload(snapshot: Snapshot, view_columns: Mapping[str, Sequence[str]] | None = None) -> list[Statement]:
    """The statements of the release whose schema is `snapshot`, in the order it would run them.

    `view_columns` names each view's columns (a snapshot holds a view's
    definition, not its column list).
    """
    rows: dict[str, _Row] = {}
    for table in parents_first(snapshot):
        rows[table] = _row(snapshot, table, rows)
    ordered = list(rows.values())
    statements = [_insert(snapshot, row) for row in ordered]
    for row in ordered:
        names = tuple(c.name for c in row.columns)
        statements.append(Statement("SELECT", row.table, names,
                                    f"SELECT {', '.join(ident(n) for n in names)} FROM {ident(row.table)} WHERE {row.where()}"))
        statements += _updates(row)
    for view in snapshot.views:
        names = tuple((view_columns or {}).get(view.name, ()))
        shown = ", ".join(ident(n) for n in names) or "count(*)"
        statements.append(Statement("SELECT", view.name, names, f"SELECT {shown} FROM {ident(view.name)}"))
    for row in reversed(ordered):
        statements.append(Statement("DELETE", row.table, row.key, f"DELETE FROM {ident(row.table)} WHERE {row.where()}"))
    return statements
