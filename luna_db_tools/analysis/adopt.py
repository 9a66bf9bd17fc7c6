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

from ..runtime.revisions import history_order
from .catalog import Snapshot
from .compare import changed, describe_index, excerpt
from .difference import Difference, both
from .fingerprint import load
from .reflect import reflect


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


def match_revision(expected: Snapshot, live: Snapshot, revision: str) -> RevisionMatch:
    found: list[Difference] = []
    renames: list[Rename] = []

    want, have = {t.name: t for t in expected.tables}, {t.name: t for t in live.tables}
    found += [Difference("missing table", n) for n in sorted(want.keys() - have.keys())]
    found += [Difference("extra table", n) for n in sorted(have.keys() - want.keys())]
    for name in sorted(want.keys() & have.keys()):
        if want[name].unlogged != have[name].unlogged:
            found.append(Difference("persistence", name, both(*("UNLOGGED" if t.unlogged else "LOGGED"
                                                               for t in (want[name], have[name])))))
    tables = want.keys() & have.keys()

    want = {c.key: c for c in expected.columns if c.table in tables}
    have = {c.key: c for c in live.columns if c.table in tables}
    found += [Difference("missing column", ".".join(k), want[k].type) for k in sorted(want.keys() - have.keys())]
    found += [Difference("extra column", ".".join(k), have[k].type) for k in sorted(have.keys() - want.keys())]
    for key in sorted(want.keys() & have.keys()):
        for prop in ("type", "not_null", "default", "collation", "identity", "generated"):
            e, a = getattr(want[key], prop), getattr(have[key], prop)
            if e != a:
                label = "nullable" if prop == "not_null" else prop
                if prop == "not_null":
                    e, a = ("NOT NULL" if e else "NULL"), ("NOT NULL" if a else "NULL")
                found.append(Difference(label, ".".join(key), both(e or "none", a or "none")))

    pairs = _pair([c for c in expected.constraints if c.table in tables],
                  [c for c in live.constraints if c.table in tables], found, "constraint",
                  lambda c: c.definition)
    for e, a in pairs:
        if e.definition != a.definition:  # same key (a primary or foreign key), other options
            found.append(Difference(e.kind, f"{e.table}.{e.name}", changed(e.definition, a.definition)))
        if e.name != a.name:
            renames.append(Rename("constraint", e.table, a.name, e.name))

    # Indexes behind a constraint go with it (renaming the constraint renames its index).
    pairs = _pair([i for i in expected.indexes if i.table in tables and not i.constraint],
                  [i for i in live.indexes if i.table in tables and not i.constraint], found, "index",
                  describe_index)
    renames += [Rename("index", e.table, a.name, e.name) for e, a in pairs if e.name != a.name]

    pairs = _pair([t for t in expected.triggers if t.table in tables],
                  [t for t in live.triggers if t.table in tables], found, "trigger", lambda t: t.definition)
    renames += [Rename("trigger", e.table, a.name, e.name) for e, a in pairs if e.name != a.name]

    for category, kind, text in (("views", "view", "definition"), ("routines", "function", "definition"),
                                 ("sequences", "sequence", "options"), ("types", "type", "definition")):
        want = {o.name: o for o in getattr(expected, category)}
        have = {o.name: o for o in getattr(live, category)}
        found += [Difference(f"missing {kind}", n) for n in sorted(want.keys() - have.keys())]
        found += [Difference(f"extra {kind}", n) for n in sorted(have.keys() - want.keys())]
        for name in sorted(want.keys() & have.keys()):
            e, a = getattr(want[name], text), getattr(have[name], text)
            if e != a:
                found.append(Difference(f"{kind} {text}", name, excerpt(e, a)))
    found += [Difference("missing extension", n) for n in sorted(set(expected.extensions) - set(live.extensions))]
    found += [Difference("extra extension", n) for n in sorted(set(live.extensions) - set(expected.extensions))]
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


def plan_adoption(connection, schema: str, pg_schema: str | None = None) -> Adoption:
    """Reflect the database behind `connection` and match it against the whole history of `schema`."""

    return match_history(reflect(connection, pg_schema), schema, history_order(schema))
