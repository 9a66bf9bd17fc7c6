"""Which revision a database without migration history is at, whatever its objects are called.

LUNA's own tooling creates the schema without our naming convention: its
constraints and indexes carry the names PostgreSQL picks (`account_pkey`,
`person_account_id_fkey`, `stream_status_idx`, ...). So the live snapshot is
matched against each revision's fingerprint by structure (each object's
name-independent `key`), never by constraint or index names. Tables, columns
and views are matched by name: both tools name them the same. Grants and
comments are left out: they are not structure, and sites set their own.

The result says, for every revision, what differs and which renames would
give the live objects the models' names; `adopt` stamps an exact match
after running those renames (ALTER ... RENAME is catalog-only).
"""

from __future__ import annotations

from dataclasses import dataclass

from .catalog import Snapshot
from .compare import SCHEMA_OBJECTS, Category, Property, changed, compare, describe_index, flag, long_text, plain
from .difference import Difference
from .fingerprint import load


@dataclass(frozen=True)
class Rename:
    kind: str  # "constraint", "index" or "trigger"
    table: str
    live: str  # the name in the database
    model: str  # the name the models give it

    def sql(self) -> str:
        table, live, model = (_quote(n) for n in (self.table, self.live, self.model))
        if self.kind == "index":
            return f"ALTER INDEX {live} RENAME TO {model}"
        if self.kind == "trigger":
            return f"ALTER TRIGGER {live} ON {table} RENAME TO {model}"
        return f"ALTER TABLE {table} RENAME CONSTRAINT {live} TO {model}"


@dataclass(frozen=True)
class RevisionMatch:
    revision: str
    differences: tuple[Difference, ...]  # structural: what the revision has that the database lacks, and back
    renames: tuple[Rename, ...]  # live name -> model name, for the objects that match

    @property
    def exact(self) -> bool:
        return not self.differences


@dataclass(frozen=True)
class Adoption:
    schema: str
    matches: tuple[RevisionMatch, ...]  # one per revision with a fingerprint, oldest first

    @property
    def exact(self) -> tuple[str, ...]:
        return tuple(m.revision for m in self.matches if m.exact)

    @property
    def nearest(self) -> RevisionMatch | None:
        """The exact match (the latest, if several), else the revision with the fewest differences."""
        if not self.matches:
            return None
        # Ties go to the later revision: min() keeps the first, so walk newest first.
        return min(reversed(self.matches), key=lambda m: len(m.differences))

    def match(self, revision: str) -> RevisionMatch | None:
        return next((m for m in self.matches if m.revision == revision), None)


def _quote(name: str) -> str:
    return name if name.isidentifier() and name.islower() and name not in _RESERVED else '"' + name.replace('"', '""') + '"'


_RESERVED = {"group", "user", "order", "table", "select", "check", "default", "primary", "references", "type"}


def _none_or(value) -> str:
    return value or "none"


def _column(attr: str, label: str | None = None) -> Property:
    return plain(attr, label or attr, _none_or)


#: Compared by name, before the objects paired by structure.
_BY_NAME_FIRST = (
    Category("tables", "table", (flag("unlogged", "persistence", "UNLOGGED", "LOGGED"),)),
    Category("columns", "column", (
        _column("type"), flag("not_null", "nullable", "NOT NULL", "NULL"), _column("default"),
        _column("collation"), _column("identity"), _column("generated"),
    ), describe=lambda c: c.type, key=lambda c: c.key, name=".".join, per_table=True),
)

#: Compared by name, after them.
_BY_NAME_LAST = (
    Category("views", "view", (long_text("definition", "view definition"),)),
    *SCHEMA_OBJECTS,
)

# Paired by structure: (kind, snapshot field, what a lone one says, which to consider).
# Indexes behind a constraint go with it (renaming the constraint renames its index).
_BY_STRUCTURE = (
    ("constraint", "constraints", lambda c: c.definition, lambda c: True),
    ("index", "indexes", describe_index, lambda i: not i.constraint),
    ("trigger", "triggers", lambda t: t.definition, lambda t: True),
)


def match_revision(expected: Snapshot, live: Snapshot, revision: str) -> RevisionMatch:
    """`live` against one revision's fingerprint: what differs, and the renames that give the models' names."""
    found = compare(expected, live, _BY_NAME_FIRST)
    renames: list[Rename] = []
    tables = {t.name for t in expected.tables} & {t.name for t in live.tables}
    for kind, attr, describe, include in _BY_STRUCTURE:
        pairs = _pair([o for o in getattr(expected, attr) if o.table in tables and include(o)],
                      [o for o in getattr(live, attr) if o.table in tables and include(o)], found, kind, describe)
        for e, a in pairs:
            if kind == "constraint" and e.definition != a.definition:  # same key (a primary or foreign key), other options
                found.append(Difference(e.kind, f"{e.table}.{e.name}", changed(e.definition, a.definition)))
            if e.name != a.name:
                renames.append(Rename(kind, e.table, a.name, e.name))
    found += compare(expected, live, _BY_NAME_LAST)
    return RevisionMatch(revision, tuple(found), tuple(sorted(renames, key=lambda r: (r.table, r.kind, r.live))))


def _pair(expected: list, live: list, found: list, kind: str, describe) -> list[tuple]:
    """Objects paired by their structural key; same-named ones first when a key repeats
    (two identical indexes). What stays alone is missing or extra."""
    pairs, rest = [], list(live)
    for want in sorted(expected, key=lambda o: o.name):
        same = [o for o in rest if o.key == want.key]
        if same:
            chosen = next((o for o in same if o.name == want.name), same[0])
            rest.remove(chosen)
            pairs.append((want, chosen))
        else:
            found.append(Difference(f"missing {kind}", f"{want.table}.{want.name}", describe(want)))
    found += [Difference(f"extra {kind}", f"{o.table}.{o.name}", describe(o)) for o in sorted(rest, key=lambda o: o.name)]
    return pairs


def match_history(live: Snapshot, schema: str, revisions: list[str]) -> Adoption:
    """`live` against the fingerprint of each of `revisions` (oldest first)."""
    matches = []
    for revision in revisions:
        expected = load(schema, revision)
        if expected is not None:
            matches.append(match_revision(expected, live, revision))
    return Adoption(schema, tuple(matches))
