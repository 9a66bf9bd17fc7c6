"""The data-loss guard: what a step would destroy, found in its declaration or its SQL.

A downgrade that drops a table or a column holding rows, or deletes rows,
refuses (exit 2) naming each table and its row count, unless
`--allow-data-loss`. Upgrades are checked too when their revision
declares what they destroy.

What a step destroys comes from, in order:

1. the revision's own declaration, a module-level
   `destroys = {"downgrade": [("table", "location"), ("column", "account.email"),
   ("rows", "stream WHERE status = 'x'")], "upgrade": [...]}`;
2. for a downgrade without one, its rendered PostgreSQL SQL (Alembic's
   offline mode): DROP TABLE, ALTER TABLE ... DROP COLUMN, DELETE FROM,
   TRUNCATE. (DROP VIEW and DROP INDEX lose nothing; nor does dropping a
   table whose rows an earlier UPDATE or INSERT of the same step read back,
   as b0002's downgrade does with account_credentials_tmp.)

Rows are counted (command/data_loss.py) on the live database before the run: a table's rows (minus
the primal rows `create` itself inserts, which are no one's data), a
column's non-NULL values, a DELETE's matching rows. `--dry-run` shows the
counts, `--sql` the destructions as comments (no server, no counts).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from ..db.tool_tables import TOOL_TABLES
from .sql import shapes as sh
from .sql.classify import Classified, classified
from .sql.locks import tables_read


@dataclass(frozen=True)
class Destruction:
    """One thing a step destroys: a table, a column, or the rows a DELETE matches."""

    revision: str
    direction: str  # up, down
    kind: str  # table, column, rows
    table: str
    column: str | None = None
    where: str | None = None

    def describe(self) -> str:
        if self.kind == "table":
            return f"drops table {self.table}"
        if self.kind == "column":
            return f"drops column {self.table}.{self.column}"
        return f"deletes rows of {self.table}" + (f" WHERE {self.where}" if self.where else "")


@dataclass(frozen=True)
class Loss:
    """A destruction and the rows it would take with it now."""

    destruction: Destruction
    rows: int

    def describe(self) -> str:
        d = self.destruction
        what = {"table": f"table {d.table}", "column": f"column {d.table}.{d.column}",
                "rows": f"table {d.table}"}[d.kind]
        unit = "values" if d.kind == "column" else "rows"
        verb = {"table": "dropped", "column": "dropped", "rows": "deleted"}[d.kind]
        return f"{what}: {self.rows:,} {unit} {verb} by {d.revision}"

    def as_dict(self) -> dict:
        d = self.destruction
        return {"revision": d.revision, "direction": d.direction, "kind": d.kind, "table": d.table,
                "column": d.column, "rows": self.rows}


def destructions_in_sql(revision: str, direction: str, sql: str, dialect: str = "postgresql") -> list[Destruction]:
    """What a step's rendered SQL destroys, statement by statement (luna-db's own tables aside)."""
    found: list[Destruction] = []
    earlier: list[Classified] = []
    for c in classified(sql, dialect):
        found += [d for d in _destroyed(revision, direction, c)
                  if d.table.lower() not in TOOL_TABLES and not (d.kind == "table" and _read_back(earlier, d.table))]
        earlier.append(c)
    return found


def _destroyed(revision: str, direction: str, c: Classified) -> list[Destruction]:
    if c.kind == sh.DROP_TABLE:
        return [Destruction(revision, direction, "table", table) for table in c.tables]
    if c.kind == sh.ALTER_TABLE and c.actions and c.actions[0].kind == sh.DROP_COLUMN:
        column = c.actions[0].column  # None for Oracle's DROP (a, b) and SET UNUSED: not read
        return [Destruction(revision, direction, "column", c.table, column=column)] if column else []
    if c.kind == sh.TRUNCATE:
        return [Destruction(revision, direction, "rows", c.table)]
    if c.kind == sh.DO:
        return [d for inner in _do_body_statements(c) for d in _destroyed(revision, direction, inner)]
    if c.kind == sh.DELETE and (m := _COUNTABLE_DELETE.match(c.statement.text)):
        # its condition as written: the count uses the same literals
        where = " ".join(m["where"].split()) if m["where"] else None
        return [Destruction(revision, direction, "rows", c.table, where=where)]
    return []


#: A DELETE whose rows a count can match: one table, at most a WHERE (no WITH, USING or RETURNING).
_COUNTABLE_DELETE = re.compile(r"^DELETE\s+FROM\s+(?:ONLY\s+)?\S+(?:\s+WHERE\s+(?P<where>.*?))?\s*$", re.I | re.S)


#: In a DO block's PL/pgSQL body, a statement that destroys starts a line of its own
#: (`BEGIN`, `LOOP` and `IF ... THEN` go on lines before it); up to its `;`.
_BODY_DESTROYER = re.compile(r"^[ \t]*((?:DELETE|TRUNCATE|DROP[ \t]+TABLE|ALTER[ \t]+TABLE)\b[^;]*)", re.I | re.M)


def _do_body_statements(c: Classified) -> list[Classified]:
    """The destroying statements of a DO block's body, each classified like a statement of the script."""
    return [inner for m in _BODY_DESTROYER.finditer(c.statement.text) for inner in classified(m[1], c.dialect)]


def _read_back(earlier: list[Classified], table: str) -> bool:
    """Whether an UPDATE or INSERT before this point reads from `table` (its rows are moved, not lost)."""
    return any(c.kind in (sh.UPDATE, sh.INSERT) and table in tables_read(c.statement.code) for c in earlier)


def declared(revision: str, direction: str, module) -> list[Destruction] | None:
    """The revision module's `destroys` for this direction; None when it declares nothing."""
    declaration = getattr(module, "destroys", None)
    key = "upgrade" if direction == "up" else "downgrade"
    if not isinstance(declaration, dict) or key not in declaration:
        return None
    result = []
    for kind, name in declaration[key]:
        if kind == "column":
            table, column = name.split(".", 1)
            result.append(Destruction(revision, direction, kind, table, column=column))
        elif kind == "rows":
            table, _, where = name.partition(" WHERE ")
            result.append(Destruction(revision, direction, kind, table.strip(), where=where.strip() or None))
        else:
            result.append(Destruction(revision, direction, kind, name))
    return result


def sql_comments(destructions: list[Destruction]) -> str:
    """`--sql`: the destructions as comment lines (no server: no counts)."""
    if not destructions:
        return ""
    lines = ["-- luna-db: DATA LOSS: this script destroys whatever these hold (luna-db refuses it online",
             "-- unless --allow-data-loss):"]
    lines += [f"--   {d.revision}: {d.describe()}" for d in destructions]
    return "\n".join(lines) + "\n\n"


_RUNNING = re.compile(r"^-- Running (upgrade|downgrade) ([^\s]*) -> ([^\s]*)[ \t]*$", re.M)


def offline_destructions(
    body: str, declared_for: Callable[[str, str], list[Destruction] | None], dialect: str = "postgresql",
) -> list[Destruction]:
    """What an offline script destroys, step by step (Alembic marks each with "-- Running ...").

    `declared_for(revision, direction)` is the revision's own declaration
    (`declared` of its module), None when it declares nothing.
    """
    marks = list(_RUNNING.finditer(body))
    found: list[Destruction] = []
    for index, mark in enumerate(marks):
        end = marks[index + 1].start() if index + 1 < len(marks) else len(body)
        step_direction = "up" if mark[1] == "upgrade" else "down"
        # "-- Running downgrade s0003 -> s0002": the revision reverted is the
        # left one; an upgrade's is the right one.
        revision = mark[3] if step_direction == "up" else mark[2]
        given = declared_for(revision, step_direction)
        if given is not None:
            found += given
        elif step_direction == "down":
            found += destructions_in_sql(revision, step_direction, body[mark.end():end], dialect)
    return found
