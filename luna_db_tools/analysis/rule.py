"""What the rule modules share: a finding before it has a file, and what a script did so far."""

from __future__ import annotations

from dataclasses import dataclass, field

from .sqltext import Statement


@dataclass(frozen=True)
class Hit:
    rule: str
    message: str
    object: str | None
    statement: Statement


@dataclass
class ScriptState:
    """What the statements before this one created, as the rules need it.

    A table created earlier in the same script holds no rows and no running
    release reads it: locking it, rewriting it or dropping it is harmless
    (the `_CREATE_TABLE` exemption of the old checks). A downgrade starts with
    what its upgrade created, so it may take that away again.
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

    def created(self, table: str | None) -> bool:
        return table is not None and table in self.tables

    def seeded(self) -> "ScriptState":
        """A fresh state that remembers what was created (for the downgrade of a revision)."""
        return ScriptState(set(self.tables), set(self.columns), set(self.views), dict(self.index_table))
