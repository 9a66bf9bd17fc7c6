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

from ..db.tool_tables import TOOL_TABLES

_NAME = r'"?([A-Za-z_][A-Za-z0-9_$]*)"?'
_PATTERNS = (
    ("table", re.compile(rf"^DROP TABLE (?:IF EXISTS )?{_NAME}", re.I | re.M)),
    ("column", re.compile(rf"^ALTER TABLE {_NAME} DROP COLUMN (?:IF EXISTS )?{_NAME}", re.I | re.M)),
    ("rows", re.compile(rf"^DELETE FROM {_NAME}(?:\s+WHERE\s+(.*?))?\s*;", re.I | re.M | re.S)),
    ("rows", re.compile(rf"^TRUNCATE (?:TABLE )?{_NAME}", re.I | re.M)),
)


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


def destructions_in_sql(revision: str, direction: str, sql: str) -> list[Destruction]:
    """What a step's rendered SQL destroys (luna-db's own tables aside)."""
    found: list[tuple[int, Destruction]] = []
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(sql):
            table = match[1]
            if table.lower() in TOOL_TABLES:
                continue
            if kind == "table" and _read_back(sql[:match.start()], table):
                continue  # its rows were moved back before the drop
            if kind == "column":
                found.append((match.start(), Destruction(revision, direction, kind, table, column=match[2])))
            elif kind == "rows" and match.re.pattern.startswith("^DELETE"):
                where = " ".join(match[2].split()) if match[2] else None
                found.append((match.start(), Destruction(revision, direction, kind, table, where=where)))
            else:
                found.append((match.start(), Destruction(revision, direction, kind, table)))
    return [destruction for _, destruction in sorted(found, key=lambda item: item[0])]


def _read_back(before: str, table: str) -> bool:
    """Whether an UPDATE or INSERT before this point reads from `table` (its rows are moved, not lost)."""
    pattern = rf'^(?:UPDATE|INSERT)\b[^;]*\bFROM\s+"?{re.escape(table)}"?\b'
    return re.search(pattern, before, re.I | re.M) is not None


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


def offline_destructions(schema: str, direction: str, body: str) -> list[Destruction]:
    """What an offline script destroys, step by step (Alembic marks each with "-- Running ...")."""
    from ..runtime.history import script_directory

    script = script_directory(schema)
    marks = list(_RUNNING.finditer(body))
    found: list[Destruction] = []
    for index, mark in enumerate(marks):
        end = marks[index + 1].start() if index + 1 < len(marks) else len(body)
        step_direction = "up" if mark[1] == "upgrade" else "down"
        # "-- Running downgrade s0003 -> s0002": the revision reverted is the
        # left one; an upgrade's is the right one.
        revision = mark[3] if step_direction == "up" else mark[2]
        given = declared(revision, step_direction, script.get_revision(revision).module)
        if given is not None:
            found += given
        elif step_direction == "down":
            found += destructions_in_sql(revision, step_direction, body[mark.end():end])
    return found
