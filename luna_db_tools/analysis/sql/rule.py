"""A lint rule as a registered object, and what a script did so far (the state rules read).

A Rule has a name (squawk's where it means the same hazard), a dialect, a
message saying what goes wrong, the fix, and a check over one classified
statement (analysis/sql/classify) or one of its ALTER TABLE actions, given the
script's state before it. The check yields the objects it finds the hazard
on (table, table.column, table.index; None when the statement names none).
`Registry` holds the rules of a dialect by the kind of statement or action
they read, in the order their findings are reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable

from ..findings import Finding
from .classify import Classified
from .sqltext import Statement

ENGINE = "luna-db"


@dataclass(frozen=True)
class Rule:
    name: str
    dialect: str
    problem: str
    fix: str | None
    reads: tuple[str, ...]    # the statement kinds (or ALTER TABLE action kinds) it judges
    check: Callable[..., Iterable[str | None]]

    @property
    def message(self) -> str:
        return f"{self.problem}; {self.fix}" if self.fix else self.problem

    def finding(self, statement: Statement, obj: str | None, **details) -> Finding:
        message = self.message.format(**details) if details else self.message
        return Finding(self.name, object=obj, message=message, line=statement.line, statement=statement.text,
                       engine=ENGINE)


@dataclass
class Registry:
    """The rules of one dialect: by statement kind, and by ALTER TABLE action kind."""

    dialect: str
    statements: dict[str, list[Rule]] = field(default_factory=dict)
    actions: dict[str, list[Rule]] = field(default_factory=dict)
    registered: list[Rule] = field(default_factory=list)   # every rule, in registration order

    def statement_rule(self, name: str, reads, problem: str | None = None, fix: str | None = None):
        """Decorate `check(classified, state)` as the rule `name` over statements of the kinds `reads`.

        A rule judged in more than one place (a UNIQUE in ADD CONSTRAINT and in
        ADD COLUMN) is registered again under its name without a message: it
        reads the message of the first.
        """
        return self._register(self.statements, name, reads, problem, fix)

    def action_rule(self, name: str, reads, problem: str | None = None, fix: str | None = None):
        """Decorate `check(table, action, state)` as the rule `name` over ALTER TABLE actions of the kinds `reads`."""
        return self._register(self.actions, name, reads, problem, fix)

    def _register(self, table: dict, name, reads, problem, fix):
        reads = (reads,) if isinstance(reads, str) else tuple(reads)
        if problem is None:
            problem, fix = self.rule(name).problem, self.rule(name).fix

        def register(check):
            rule = Rule(name, self.dialect, problem, fix, reads, check)
            self.registered.append(rule)
            for kind in reads:
                table.setdefault(kind, []).append(rule)
            return rule
        return register

    def rules(self) -> list[Rule]:
        """Every rule object, once each, in registration order (a rule judged in two places is two objects)."""
        return list(self.registered)

    def rule(self, name: str) -> Rule:
        return next(rule for rule in self.rules() if rule.name == name)

    def findings(self, c: Classified, state: "ScriptState") -> list[Finding]:
        """The findings of one statement's own rules, judged with the state before it."""
        return [rule.finding(c.statement, obj)
                for rule in self.statements.get(c.kind, ()) for obj in rule.check(c, state)]

    def action_findings(self, c: Classified, table: str, action, state: "ScriptState") -> list[Finding]:
        return [rule.finding(c.statement, obj)
                for rule in self.actions.get(action.kind, ()) for obj in rule.check(table, action, state)]


def on_existing_table(c: Classified, state: "ScriptState") -> Iterable[str | None]:
    """The check of a statement that is harmless only on a table this script created."""
    if not state.created(c.table):
        yield c.table


def on_existing_table_action(table: str, action, state: "ScriptState") -> Iterable[str]:
    """The check of an ALTER TABLE action that is harmless only on a table this script created."""
    if not state.created(table):
        yield table


@dataclass
class ScriptState:
    """What the statements before this one created, as the rules need it.

    A table created earlier in the same script holds no rows and no running
    release reads it: locking it, rewriting it or dropping it is harmless.
    A downgrade starts with what its upgrade created, so it may take that
    away again.
    """

    tables: set[str] = field(default_factory=set)       # bare table names created
    columns: set[str] = field(default_factory=set)      # "table.column" added
    views: set[str] = field(default_factory=set)        # views created
    index_table: dict[str, str] = field(default_factory=dict)  # index created -> its table
    in_transaction: bool = False                       # inside an explicit BEGIN ... COMMIT
    not_valid: set[str] = field(default_factory=set)    # constraints added NOT VALID in this transaction
    # CHECK (col IS NOT NULL) constraints by name, and the columns a validated one
    # proves: PostgreSQL 12+ then sets NOT NULL without scanning the table.
    not_null_checks: dict[str, str] = field(default_factory=dict)
    proven_not_null: set[str] = field(default_factory=set)
    # The type of each column of the schema linted against ("table.column" -> its type as
    # format_type prints it, with a non-default COLLATE), kept current as the script changes
    # types: what an ALTER COLUMN ... TYPE is judged against (analysis/sql/type_change).
    column_types: dict[str, str] = field(default_factory=dict)

    def created(self, table: str | None) -> bool:
        return table is not None and table in self.tables

    def seeded(self, column_types: dict[str, str] | None = None) -> "ScriptState":
        """A fresh state that remembers what was created (for the downgrade of a revision), the
        column types `column_types` (default: as this script left them)."""
        return ScriptState(set(self.tables), set(self.columns), set(self.views), dict(self.index_table),
                           column_types=dict(self.column_types if column_types is None else column_types))
