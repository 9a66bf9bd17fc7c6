"""Each statement of a migration script classified once, for every reader of it.

`classify` turns a split Statement (analysis/sql/sqltext) into a Classified
record: its kind and the parts its shape names (analysis/sql/shapes), whether it
opens or ends a transaction or sets the lock timeout, its ALTER TABLE actions
with the volatility of an added column's default, and, on PostgreSQL, the
locks it takes and what it does to the rows (analysis/sql/locks). The lint rules,
the transaction rules, the dry run's lock table and the data-loss guard read
this record rather than the SQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Iterator

from . import shapes as sh
from .locks import EFFECT_COST, StatementLocks, locks_for
from .sqltext import Statement, bare, has_word, outside_parentheses, split_statements, top_level_parts


@dataclass(frozen=True)
class Action:
    """One action of an ALTER TABLE."""

    kind: str             # shapes.ADD_COLUMN, shapes.ADD_CONSTRAINT, ...
    text: str             # its code
    match: re.Match | None

    @property
    def column(self) -> str | None:
        """The column an ADD COLUMN, ALTER COLUMN or DROP COLUMN names (bare), else None."""
        parts = self.match.groupdict() if self.match is not None else {}
        name = parts.get("column") or (parts.get("one") if self.kind == sh.DROP_COLUMN else None)
        return bare(name) if name else None

    @property
    def volatility(self) -> str | None:
        """An added column's default: shapes.VOLATILE, STABLE, UNKNOWN; None without one."""
        if self.kind == sh.ADD_COLUMN and self.match is not None and self.match.re.groupindex.get("definition"):
            return sh.default_volatility(self.match["definition"])
        return None


@dataclass
class Classified:
    statement: Statement
    dialect: str
    kind: str                  # shapes.CREATE_TABLE, shapes.ALTER_TABLE, ... or shapes.OTHER
    match: re.Match | None     # the shape's match: its named parts (table, index, view, concurrently, ...)

    def part(self, name: str) -> str | None:
        """A named part of the statement's shape, as written (None: the shape has no such part)."""
        if self.match is None or name not in self.match.re.groupindex:
            return None
        return self.match[name]

    @property
    def table(self) -> str | None:
        """The table the statement acts on (bare name), when its shape names one."""
        table = self.part("table")
        return bare(table) if table else None

    @property
    def tables(self) -> list[str]:
        """Every table a DROP TABLE names; else the one table, if any."""
        if self.part("tables") is not None:
            return [bare(part) for part in top_level_parts(self.match["tables"])]
        return [self.table] if self.table else []

    @property
    def indexes(self) -> list[str]:
        """The indexes a DROP INDEX names."""
        return [bare(part) for part in top_level_parts(self.part("indexes") or "")]

    @property
    def unbounded(self) -> bool:
        """An UPDATE or DELETE without a WHERE of its own (one inside a subquery bounds nothing)."""
        return self.kind in (sh.UPDATE, sh.DELETE) and not has_word(outside_parentheses(self.statement.code), "WHERE")

    @property
    def concurrently(self) -> bool:
        return bool(self.part("concurrently"))

    @property
    def transaction(self) -> str | None:
        """BEGIN or COMMIT (any transaction end) for transaction control, else None."""
        return self.kind if self.kind in (sh.BEGIN, sh.END) else None

    @cached_property
    def lock_timeout(self) -> tuple[bool, int | None] | None:
        """(LOCAL?, milliseconds) of a SET lock_timeout; None for any other statement."""
        m = sh.LOCK_TIMEOUT.match(" ".join(self.statement.text.split()))
        return (bool(m["local"]), milliseconds(m["value"])) if m else None

    @cached_property
    def actions(self) -> tuple[Action, ...]:
        """An ALTER TABLE's actions, in order (none for any other statement)."""
        if self.kind != sh.ALTER_TABLE:
            return ()
        if self.dialect == "oracle":  # one action: the rest of the statement
            return (Action(*_action(self.match["actions"], self.dialect)),)
        return tuple(Action(*_action(part, self.dialect)) for part in top_level_parts(self.match["actions"]))

    @cached_property
    def locks(self) -> StatementLocks | None:
        """The table locks a PostgreSQL statement takes and what it does to the rows (None: none)."""
        if self.dialect != "postgresql" or self.lock_timeout is not None:
            return None
        return locks_for(self.kind, self.match, self.statement.code, self.statement.text)

    @property
    def rows(self) -> str | None:
        """What the statement does to rows at most: locks.CATALOG, READS, MOVES, SCANS or REWRITES (None: no lock)."""
        return max((lock.effect for lock in self.locks.locks), key=EFFECT_COST.get, default=None) if self.locks else None


def _action(text: str, dialect: str) -> tuple[str, str, re.Match | None]:
    kind, m = sh.match_action(text, dialect)
    return kind, text, m


def classify(statement: Statement, dialect: str = "postgresql") -> Classified:
    kind, m = sh.match_shape(statement.code, dialect)
    if kind == sh.OTHER and sh.LOCK_TIMEOUT.match(" ".join(statement.text.split())):
        kind = sh.SET_LOCK_TIMEOUT
    return Classified(statement, dialect, kind, m)


def classified(sql: str, dialect: str = "postgresql") -> Iterator[Classified]:
    """The statements of a script, split and classified, in order."""
    for statement in split_statements(sql, dialect):
        yield classify(statement, dialect)


def milliseconds(value: str) -> int | None:
    """PostgreSQL's spelling of a lock_timeout ('200ms', '5s', 5000, DEFAULT) in milliseconds."""
    m = re.match(r"^\s*'?\s*(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>ms|s|min)?\s*'?\s*;?\s*$", value, re.I)
    if not m:
        return None
    factor = {"ms": 1, "s": 1000, "min": 60_000}.get((m["unit"] or "ms").lower(), 1)
    return int(float(m["number"]) * factor)
