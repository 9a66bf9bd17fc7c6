"""Compare two catalog snapshots object by object: each change one readable line.

`expected` is what the models say (a fingerprint), `actual` what the
database holds. One generic compare walks a table of categories: which part
of the snapshot, how its objects are keyed and named, what a missing or
extra one says about itself, and which properties are compared and how each
difference reads. Drift matches objects by name within their table (a
renamed object is one missing and one extra: later revisions drop and alter
objects by name); `adopt` pairs constraints, indexes and triggers by
structure instead (analysis/schema/adopt.py) and reuses the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .catalog import Snapshot
from .difference import Difference, both

_NONE = {"default": "no default", "collation": "the default collation", "identity": "not identity",
         "generated": "not generated", "comment": "no comment", "predicate": "no predicate",
         "using": "no USING", "with_check": "no WITH CHECK"}


def text_of(value, what: str) -> str:
    """A property's value as a person reads it: `(a, b)` for a tuple, 'no default' for none."""
    if value is None or value == () or value == "":
        return _NONE.get(what, "none")
    if isinstance(value, tuple):
        return "(" + ", ".join(value) + ")"
    if isinstance(value, str) and what == "comment":
        return repr(value) if "'" not in value else f'"{value}"'
    return str(value)


def excerpt(expected: str, actual: str, width: int = 40) -> str:
    """Where two long texts part: a few words of each from there."""
    start = 0
    while start < min(len(expected), len(actual)) and expected[start] == actual[start]:
        start += 1
    start = max(0, start - 10)

    def cut(text: str) -> str:
        piece = text[start:start + width]
        return ("…" if start else "") + piece + ("…" if start + width < len(text) else "")

    return both(f"'{cut(expected)}'", f"'{cut(actual)}'")


def changed(expected: str, actual: str, short: int = 100) -> str:
    """Both texts when short, else where they part."""
    if len(expected) + len(actual) <= short:
        return both(expected, actual)
    return excerpt(expected, actual)


def identity_change(expected: str | None, actual: str | None) -> str:
    """Only the identity options that differ: 'increment 1 in the models, increment 2 in the database'."""
    if expected is None or actual is None:
        return both(text_of(expected, "identity"), text_of(actual, "identity"))

    def parts(text: str) -> dict:
        kind, _, options = text.partition(" (")
        words = options.rstrip(")").split()
        found = {"generated": kind}
        while words:
            key = words.pop(0)
            found[key] = words.pop(0) if key != "cycle" and words else "yes"
        return found

    e, a = parts(expected), parts(actual)
    keys = [k for k in dict.fromkeys([*e, *a]) if e.get(k) != a.get(k)]

    def say(values: dict) -> str:
        return ", ".join(f"{k} {values.get(k, 'no')}" if k != "generated" else f"generated {values[k]}" for k in keys)

    return both(say(e), say(a))


def describe_index(index) -> str:
    text = ("UNIQUE " if index.unique else "") + f"{index.method} ({', '.join(index.keys)})"
    text += f" INCLUDE ({', '.join(index.include)})" if index.include else ""
    text += " NULLS NOT DISTINCT" if index.nulls_not_distinct else ""
    return text + (f" WHERE {index.predicate}" if index.predicate else "")


def describe_policy(policy) -> str:
    """A policy as CREATE POLICY writes it, after its name: "AS PERMISSIVE FOR ALL TO public USING (...)"."""
    text = f"AS {'PERMISSIVE' if policy.permissive else 'RESTRICTIVE'} FOR {policy.command} TO {', '.join(policy.roles)}"
    text += f" USING ({policy.using})" if policy.using else ""
    return text + (f" WITH CHECK ({policy.with_check})" if policy.with_check else "")


def describe_grant(grant) -> str:
    return f"{grant.privilege} to {grant.grantee}" + (" WITH GRANT OPTION" if grant.grantable else "")


# --- the table the compare reads ------------------------------------------------------


@dataclass(frozen=True)
class Property:
    """One compared property: when two objects differ in it, and the line that says so."""

    label: Callable[[object, object], str]
    detail: Callable[[object, object], str]
    differs: Callable[[object, object], bool]


def _differs(attr: str):
    return lambda e, a: getattr(e, attr) != getattr(a, attr)


def plain(attr: str, label: str, render: Callable | None = None) -> Property:
    """A value shown as it is (`render`: how; default `text_of`)."""
    show = render or (lambda value: text_of(value, attr))
    return Property(lambda e, a: label, lambda e, a: both(show(getattr(e, attr)), show(getattr(a, attr))),
                    _differs(attr))


def flag(attr: str, label: str, yes: str = "yes", no: str = "no") -> Property:
    """A yes/no property, each side said in words."""
    return plain(attr, label, lambda value: yes if value else no)


def long_text(attr: str, label: str) -> Property:
    """A definition: where the two texts part."""
    return Property(lambda e, a: label, lambda e, a: excerpt(getattr(e, attr), getattr(a, attr)), _differs(attr))


def _nothing(_item) -> str:
    return ""


def _qualified(item) -> str:
    return f"{item.table}.{item.name}" if hasattr(item, "table") else item.name


@dataclass(frozen=True)
class Category:
    """A part of the snapshot and how its objects are compared."""

    attr: str  # the Snapshot field
    kind: str  # the noun in "missing <kind>" / "extra <kind>"
    properties: tuple[Property, ...] = ()
    describe: Callable = _nothing  # what a missing or extra object says of itself
    key: Callable = _qualified  # what objects are matched by (sortable)
    name: Callable = str  # the key as the line names the object
    per_table: bool = False  # only the objects of tables both sides have (a missing table says it all)
    include: Callable = lambda item: True

    def objects(self, snapshot: Snapshot, tables: set[str]) -> dict:
        return {self.key(item): item for item in getattr(snapshot, self.attr)
                if self.include(item) and (not self.per_table or item.table in tables)}


def compare(expected: Snapshot, actual: Snapshot, categories: tuple[Category, ...]) -> list[Difference]:
    """Each category in turn: the missing objects, the extra ones, then each property of the rest."""
    found: list[Difference] = []
    tables = {t.name for t in expected.tables} & {t.name for t in actual.tables}
    for category in categories:
        want, have = category.objects(expected, tables), category.objects(actual, tables)
        for label, keys, side in (("missing", want.keys() - have.keys(), want),
                                  ("extra", have.keys() - want.keys(), have)):
            found += [Difference(f"{label} {category.kind}", category.name(key), category.describe(side[key]))
                      for key in sorted(keys)]
        for key in sorted(want.keys() & have.keys()):
            e, a = want[key], have[key]
            found += [Difference(p.label(e, a), category.name(key), p.detail(e, a))
                      for p in category.properties if p.differs(e, a)]
    return found


_TRIGGER_STATES = {"O": "enabled", "D": "disabled", "R": "enabled on replicas only", "A": "enabled always"}

#: The schema's own objects beside its tables, compared by name by drift and adopt alike.
SCHEMA_OBJECTS = (
    Category("routines", "function", (long_text("definition", "function definition"),)),
    Category("sequences", "sequence", (long_text("options", "sequence options"),)),
    Category("types", "type", (long_text("definition", "type definition"),)),
    Category("extensions", "extension", key=lambda name: name),
)

#: What drift compares, in report order.
DRIFT = (
    Category("tables", "table", (
        flag("unlogged", "persistence", "UNLOGGED", "LOGGED"),
        flag("row_security", "row-level security", "on", "off"),
        flag("force_row_security", "forced row-level security", "on", "off"),
        flag("partitioned", "table partitioned", "partitioned", "not partitioned"),
        plain("options", "table options"),
        plain("comment", "table comment"),
    )),
    Category("columns", "column", (
        plain("type", "type"),
        flag("not_null", "nullable", "NOT NULL", "NULL"),
        plain("default", "default"),
        plain("collation", "collation"),
        plain("generated", "generated"),
        plain("comment", "comment"),
        Property(lambda e, a: "identity", lambda e, a: identity_change(e.identity, a.identity), _differs("identity")),
    ), describe=lambda c: c.type, per_table=True),
    Category("constraints", "constraint", (
        Property(lambda e, a: e.kind if e.kind == a.kind else "constraint",
                 lambda e, a: changed(e.definition, a.definition), _differs("definition")),
    ), describe=lambda c: c.definition, per_table=True),
    # An index behind a constraint is the constraint's: compared there, by its definition.
    Category("indexes", "index", (
        plain("keys", "index keys"),
        plain("method", "index method"),
        flag("unique", "index unique", "UNIQUE", "not unique"),
        plain("include", "index include"),
        plain("predicate", "index predicate"),
        flag("nulls_not_distinct", "index nulls not distinct", "NULLS NOT DISTINCT", "NULLS DISTINCT"),
        plain("options", "index options"),
        Property(lambda e, a: "invalid index", lambda e, a: "a failed concurrent build: drop and rebuild it",
                 lambda e, a: not a.valid),
    ), describe=describe_index, per_table=True, include=lambda i: not i.constraint),
    Category("views", "view", (
        long_text("definition", "view definition"),
        flag("materialized", "view materialized", "materialized", "a plain view"),
        plain("options", "view options", lambda options: ", ".join(options) or "none"),
        plain("comment", "view comment"),
    )),
    Category("triggers", "trigger", (
        long_text("definition", "trigger definition"),
        plain("enabled", "trigger state", _TRIGGER_STATES.get),
    ), describe=lambda t: t.definition),
    Category("policies", "policy", (
        plain("command", "policy command"),
        flag("permissive", "policy kind", "PERMISSIVE", "RESTRICTIVE"),
        plain("roles", "policy roles"),
        plain("using", "policy USING"),
        plain("with_check", "policy WITH CHECK"),
    ), describe=describe_policy, per_table=True),
    Category("grants", "grant", (
        Property(lambda e, a: "grant option",
                 lambda e, a: f"{e.privilege} to {e.grantee}: " + both(
                     *("WITH GRANT OPTION" if g.grantable else "without grant option" for g in (e, a))),
                 _differs("grantable")),
    ), describe=describe_grant, key=lambda g: (g.table, g.grantee, g.privilege), name=lambda key: key[0]),
    *SCHEMA_OBJECTS,
)


def compare_snapshots(expected: Snapshot, actual: Snapshot) -> list[Difference]:
    """Every difference between two snapshots, objects matched by name."""
    return compare(expected, actual, DRIFT)
