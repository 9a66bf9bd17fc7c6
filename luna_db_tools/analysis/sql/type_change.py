"""Whether an `ALTER COLUMN ... TYPE` rewrites the table, judged against the column's current type.

The statement alone does not tell: `TYPE varchar(128)` widens a varchar(64)
and narrows a varchar(512). PostgreSQL's ALTER TABLE page: "when changing
the type of an existing column, if the USING clause does not change the
column contents and the old type is either binary coercible to the new type
or an unconstrained domain over the new type, a table rewrite is not
needed", and indexes are kept when the new index is logically equivalent
(a collation change always rebuilds them). The length and precision
coercions have support functions that make a widening a no-op too
(varchar_support, numeric_support, timestamp_support in the server's
source). So these are catalog-only (a brief ACCESS EXCLUSIVE, no rewrite,
no scan, the indexes kept):

- varchar(n) -> varchar(m >= n), varchar(n) -> varchar, varchar -> text, text -> varchar;
- numeric(p, s) -> numeric(p' >= p, s) (the same scale), numeric(p, s) -> numeric;
- timestamp(p) -> timestamp(p' >= p) or timestamp, the same for timestamptz;
- the same type again.

Everything else is a rewrite under ACCESS EXCLUSIVE: narrowing also checks
every value and fails on a longer one; timestamp <-> timestamptz skips the
rewrite only when the session's TimeZone is UTC (PostgreSQL 12+), which a
script does not say, so it counts as a rewrite; a USING expression is not
judged (counted as a rewrite); a changed collation (a COLLATE clause, or a
column whose non-default collation the new type drops) rebuilds the
column's indexes. A column whose current type luna-db does not know keeps
today's verdict: a hazard, saying the type is unknown.

This module is the one place the decision is made: the lint applies it to
its own `changing-column-type` finding and to squawk's (analysis/sql/lint.py),
and `upgrade --dry-run` to the lock and effect of the statement
(analysis/impact.py, through `judged_locks`). Both keep the types current
through a script with `track_type`, so a later change is judged against the
type an earlier one set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping

from . import shapes as sh
from .classify import Action, Classified
from .locks import StatementLocks, alter_table_locks
from .sqltext import bare

CATALOG_ONLY, REWRITE, UNKNOWN = "catalog-only", "rewrite", "unknown"

#: PostgreSQL's names of a type, and the short spelling a finding uses.
_NAMES = {
    "character varying": "varchar", "varchar": "varchar", "text": "text",
    "numeric": "numeric", "decimal": "numeric",
    "timestamp": "timestamp", "timestamp without time zone": "timestamp",
    "timestamptz": "timestamptz", "timestamp with time zone": "timestamptz",
    "integer": "integer", "int": "integer", "int4": "integer", "bigint": "bigint", "int8": "bigint",
    "smallint": "smallint", "int2": "smallint", "character": "char", "char": "char", "bpchar": "char",
    "boolean": "boolean", "bool": "boolean", "double precision": "double precision", "float8": "double precision",
    "real": "real", "float4": "real",
}
#: Types whose modifier only bounds the values: widening it (or removing it) rewrites nothing.
_WIDENS_FREELY = {"varchar", "numeric", "timestamp", "timestamptz"}
_TYPE = re.compile(
    r"^(?P<name>[a-z_][a-z0-9_ .\"]*?)\s*(?:\((?P<args>[\d\s,]*)\))?(?P<rest>(?:\s+with(?:out)? time zone)?)"
    r"(?P<array>(?:\s*\[\d*\])*)$")
_COLLATE = re.compile(r"\s+COLLATE\s+(?P<collation>\"[^\"]+\"|[\w.]+)\s*$", re.I)
_CHANGE = re.compile(r"^(?:SET DATA )?TYPE\s+(?P<type>.+?)(?:\s+USING\s+(?P<using>.+))?$", re.I | re.S)


@dataclass(frozen=True)
class SqlType:
    name: str                    # the short name: varchar, numeric, timestamptz, ... (else as written)
    args: tuple[int, ...] = ()   # the modifier: (n,) of varchar(n), (p, s) of numeric(p, s); () for none
    collation: str | None = None  # a COLLATE, unquoted; None: the type's default

    def __str__(self) -> str:
        return self.name + (f"({','.join(map(str, self.args))})" if self.args else "")


def parse_type(text: str | None) -> SqlType | None:
    """A type as format_type prints it or a migration writes it, with its COLLATE; None: not read."""
    if not text:
        return None
    text = " ".join(text.split())
    collation = None
    if m := _COLLATE.search(text):
        collation, text = m["collation"].strip('"'), text[:m.start()]
    m = _TYPE.match(text.lower())
    if m is None:
        return None
    raw = " ".join(f"{m['name']}{m['rest']}".replace('"', "").split())
    raw = raw.removeprefix("pg_catalog.")
    args = tuple(int(a) for a in (m["args"] or "").replace(" ", "").split(",") if a)
    name = _NAMES.get(raw, raw) + (m["array"] or "").replace(" ", "")
    if name == "numeric" and len(args) == 1:
        args = (args[0], 0)  # numeric(p) is numeric(p, 0)
    return SqlType(name, args, collation)


@dataclass(frozen=True)
class Verdict:
    column: str           # table.column
    effect: str           # CATALOG_ONLY, REWRITE, UNKNOWN
    reason: str           # one clause: "varchar(64)→varchar(128) is catalog-only"

    @property
    def hazard(self) -> bool:
        return self.effect != CATALOG_ONLY


#: Why a column's type may be unknown to the lint: it was given no schema.
LINT_UNKNOWN = "name its schema with --schema to judge it"


def judge(column: str, current: str | None, change: str, *, why_unknown: str = LINT_UNKNOWN) -> Verdict:
    """The verdict on `ALTER COLUMN column <change>` (change: "TYPE x [COLLATE c] [USING e]").

    `why_unknown` ends the reason when `current` is None: what would have told the type.
    """
    m = _CHANGE.match(" ".join(change.split()))
    new = parse_type(m["type"]) if m else None
    old = parse_type(current)
    if old is None:
        return Verdict(column, UNKNOWN, f"the current type of {column} is unknown to luna-db, so it counts as"
                                        f" a rewrite: {why_unknown}")
    if new is None:
        return Verdict(column, REWRITE, f"{old}→{m['type'] if m else change} is not a type luna-db reads")
    move = f"{old}→{new}"
    if m["using"]:
        return Verdict(column, REWRITE, f"{move} with USING: luna-db does not judge the expression (counted as a rewrite)")
    if old.collation != new.collation:
        said = f"collation {old.collation or 'default'}→{new.collation or 'default'}"
        return Verdict(column, REWRITE, f"{move} changes the {said}: the column's indexes are rebuilt under ACCESS EXCLUSIVE")
    return Verdict(column, *_by_type(old, new, move))


def _by_type(old: SqlType, new: SqlType, move: str) -> tuple[str, str]:
    catalog_only = (CATALOG_ONLY, f"{move} is catalog-only")
    if (old.name, old.args) == (new.name, new.args):
        return catalog_only
    if old.name == new.name and old.name in _WIDENS_FREELY:
        if not new.args or (old.args and _wider(old, new)):
            return catalog_only
        if old.name == "numeric" and old.args and old.args[1] != new.args[1]:
            return REWRITE, f"{move} changes the scale: every row is rewritten and checked"
        return REWRITE, f"{move} narrows: every row is rewritten and checked, failing on a value that no longer fits"
    if {old.name, new.name} == {"varchar", "text"}:
        if new.name == "text" or not new.args:
            return catalog_only
        return REWRITE, f"{move} imposes a length: every row is rewritten and checked"
    if {old.name, new.name} == {"timestamp", "timestamptz"}:
        return REWRITE, (f"{move} skips the rewrite only when the session's TimeZone is UTC (PostgreSQL 12+), "
                         "which the script does not say: counted as a rewrite")
    return REWRITE, f"{move} is a different type: the table is rewritten under ACCESS EXCLUSIVE"


def _wider(old: SqlType, new: SqlType) -> bool:
    """The new modifier admits every value the old one did (numeric: the same scale, no less precision)."""
    if old.name == "numeric":
        return len(new.args) == 2 and new.args[1] == old.args[1] and new.args[0] >= old.args[0]
    return new.args[0] >= old.args[0]


def type_changes(c: Classified, column_types: Mapping[str, str], *,
                 why_unknown: str = LINT_UNKNOWN) -> dict[str, Verdict]:
    """The verdict on each ALTER COLUMN ... TYPE of a statement, by table.column, with the types before it."""
    found = {}
    for action in c.actions:
        if action.kind == sh.ALTER_COLUMN and sh.COLUMN_TYPE.match(action.match["change"]):
            column = f"{c.table}.{bare(action.match['column'])}"
            found[column] = judge(column, column_types.get(column), action.match["change"], why_unknown=why_unknown)
    return found


def judged_locks(c: Classified, verdicts: Mapping[str, Verdict]) -> StatementLocks | None:
    """The statement's locks with its type changes judged: a catalog-only one takes its ACCESS
    EXCLUSIVE briefly and rewrites nothing (analysis/sql/locks alone counts every one a rewrite)."""
    catalog_only = {column.split(".", 1)[1] for column, verdict in verdicts.items() if not verdict.hazard}
    if not catalog_only or c.locks is None:
        return c.locks
    return alter_table_locks(c.table, c.match["actions"], catalog_only)


def track_type(table: str, action: Action, types: dict[str, str]) -> None:
    """Keep the column types current: a later type change is judged against the type this script set."""
    m = action.match
    if action.kind == sh.ALTER_COLUMN and sh.COLUMN_TYPE.match(m["change"]):
        types[f"{table}.{bare(m['column'])}"] = new_type(m["change"])
    elif action.kind == sh.DROP_COLUMN:
        types.pop(f"{table}.{bare(m['column'])}", None)
    elif action.kind == sh.RENAME and m["old"] and not m["constraint"]:
        if (kept := types.pop(f"{table}.{bare(m['old'])}", None)) is not None:
            types[f"{table}.{bare(m['new'])}"] = kept


def new_type(change: str) -> str | None:
    """The type (and COLLATE) an ALTER COLUMN ... TYPE sets, as written."""
    m = _CHANGE.match(" ".join(change.split()))
    return m["type"] if m else None
