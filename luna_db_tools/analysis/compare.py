"""Compare two catalog snapshots object by object, by name: each change one readable line.

`expected` is what the models say (a fingerprint), `actual` what the
database holds. Objects are matched by name within their table; a renamed
object is one missing and one extra (drift is about names too: later
revisions drop and alter objects by name). `adopt` matches by structure
instead (analysis/adopt.py).
"""

from __future__ import annotations

from .catalog import Snapshot
from .difference import Difference, both

_NONE = {"default": "no default", "collation": "the default collation", "identity": "not identity",
         "generated": "not generated", "comment": "no comment", "predicate": "no predicate"}


def _text(value, what: str) -> str:
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


_FLAGS = {"unique": ("UNIQUE", "not unique"), "nulls_not_distinct": ("NULLS NOT DISTINCT", "NULLS DISTINCT"),
          "partitioned": ("partitioned", "not partitioned"), "materialized": ("materialized", "a plain view")}


def changed(expected: str, actual: str, short: int = 100) -> str:
    """Both texts when short, else where they part."""
    if len(expected) + len(actual) <= short:
        return both(expected, actual)
    return excerpt(expected, actual)


def identity_change(expected: str | None, actual: str | None) -> str:
    """Only the identity options that differ: 'increment 1 in the models, increment 2 in the database'."""
    if expected is None or actual is None:
        return both(_text(expected, "identity"), _text(actual, "identity"))

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


def _by_name(items, qualified=True) -> dict:
    return {(f"{item.table}.{item.name}" if qualified and hasattr(item, "table") else item.name): item
            for item in items}


def _properties(found: list, kind: str, obj: str, expected, actual, names: tuple[str, ...]) -> None:
    for name in names:
        want, have = getattr(expected, name), getattr(actual, name)
        if want != have:
            label = name.replace("_", " ")
            if isinstance(want, bool):
                yes, no = _FLAGS.get(name, ("yes", "no"))
                found.append(Difference(f"{kind} {label}" if kind else label, obj,
                                        both(yes if want else no, yes if have else no)))
            else:
                found.append(Difference(f"{kind} {label}" if kind else label, obj,
                                        both(_text(want, name), _text(have, name))))


def _presence(found, kind, expected: dict, actual: dict, describe=lambda item: "") -> list:
    for name in sorted(expected.keys() - actual.keys()):
        found.append(Difference(f"missing {kind}", name, describe(expected[name])))
    for name in sorted(actual.keys() - expected.keys()):
        found.append(Difference(f"extra {kind}", name, describe(actual[name])))
    return sorted(expected.keys() & actual.keys())


def _grant(grant) -> str:
    return f"{grant.privilege} to {grant.grantee}" + (" WITH GRANT OPTION" if grant.grantable else "")


def compare_snapshots(expected: Snapshot, actual: Snapshot) -> list[Difference]:
    found: list[Difference] = []
    want, have = _by_name(expected.tables), _by_name(actual.tables)
    for name in _presence(found, "table", want, have):
        e, a = want[name], have[name]
        if e.unlogged != a.unlogged:
            found.append(Difference("persistence", name, both(*("UNLOGGED" if t.unlogged else "LOGGED" for t in (e, a)))))
        for prop, label in (("row_security", "row-level security"), ("force_row_security", "forced row-level security")):
            if getattr(e, prop) != getattr(a, prop):
                found.append(Difference(label, name, both(*("on" if getattr(t, prop) else "off" for t in (e, a)))))
        _properties(found, "table", name, e, a, ("partitioned", "options"))
        if e.comment != a.comment:
            found.append(Difference("table comment", name, both(_text(e.comment, "comment"), _text(a.comment, "comment"))))
    present = set(want) & set(have)

    want, have = _by_name(expected.columns), _by_name(actual.columns)
    # A missing table's columns are said by the table itself.
    want = {k: v for k, v in want.items() if v.table in present}
    have = {k: v for k, v in have.items() if v.table in present}
    for name in _presence(found, "column", want, have, lambda c: c.type):
        e, a = want[name], have[name]
        _properties(found, "", name, e, a, ("type",))
        if e.not_null != a.not_null:
            found.append(Difference("nullable", name, both(*("NOT NULL" if c.not_null else "NULL" for c in (e, a)))))
        _properties(found, "", name, e, a, ("default", "collation", "generated", "comment"))
        if e.identity != a.identity:
            found.append(Difference("identity", name, identity_change(e.identity, a.identity)))

    want = {k: v for k, v in _by_name(expected.constraints).items() if v.table in present}
    have = {k: v for k, v in _by_name(actual.constraints).items() if v.table in present}
    for name in _presence(found, "constraint", want, have, lambda c: c.definition):
        e, a = want[name], have[name]
        if e.definition != a.definition:
            found.append(Difference(e.kind if e.kind == a.kind else "constraint", name,
                                    changed(e.definition, a.definition)))

    # An index behind a constraint is the constraint's: compared there, by its definition.
    want = {k: v for k, v in _by_name(expected.indexes).items() if v.table in present and not v.constraint}
    have = {k: v for k, v in _by_name(actual.indexes).items() if v.table in present and not v.constraint}
    for name in _presence(found, "index", want, have, describe_index):
        e, a = want[name], have[name]
        if e.keys != a.keys:
            found.append(Difference("index keys", name, both(_text(e.keys, "keys"), _text(a.keys, "keys"))))
        _properties(found, "index", name, e, a,
                    ("method", "unique", "include", "predicate", "nulls_not_distinct", "options"))
        if not a.valid:
            found.append(Difference("invalid index", name, "a failed concurrent build: drop and rebuild it"))

    want, have = _by_name(expected.views), _by_name(actual.views)
    for name in _presence(found, "view", want, have):
        e, a = want[name], have[name]
        if e.definition != a.definition:
            found.append(Difference("view definition", name, excerpt(e.definition, a.definition)))
        _properties(found, "view", name, e, a, ("materialized", "comment"))

    want, have = _by_name(expected.triggers), _by_name(actual.triggers)
    for name in _presence(found, "trigger", want, have, lambda t: t.definition):
        e, a = want[name], have[name]
        if e.definition != a.definition:
            found.append(Difference("trigger definition", name, excerpt(e.definition, a.definition)))
        if e.enabled != a.enabled:
            states = {"O": "enabled", "D": "disabled", "R": "enabled on replicas only", "A": "enabled always"}
            found.append(Difference("trigger state", name, both(states[e.enabled], states[a.enabled])))

    want = {(g.table, g.grantee, g.privilege): g for g in expected.grants}
    have = {(g.table, g.grantee, g.privilege): g for g in actual.grants}
    for key in sorted(want.keys() - have.keys()):
        found.append(Difference("missing grant", key[0], _grant(want[key])))
    for key in sorted(have.keys() - want.keys()):
        found.append(Difference("extra grant", key[0], _grant(have[key])))
    for key in sorted(want.keys() & have.keys()):
        if want[key].grantable != have[key].grantable:
            found.append(Difference("grant option", key[0], f"{key[2]} to {key[1]}: " + both(
                *("WITH GRANT OPTION" if g.grantable else "without grant option" for g in (want[key], have[key])))))

    for category, kind in (("routines", "function"), ("sequences", "sequence"), ("types", "type")):
        want, have = _by_name(getattr(expected, category)), _by_name(getattr(actual, category))
        for name in _presence(found, kind, want, have):
            e, a = want[name], have[name]
            text = "options" if category == "sequences" else "definition"
            if getattr(e, text) != getattr(a, text):
                found.append(Difference(f"{kind} {text}", name, excerpt(getattr(e, text), getattr(a, text))))

    for name in sorted(set(expected.extensions) - set(actual.extensions)):
        found.append(Difference("missing extension", name))
    for name in sorted(set(actual.extensions) - set(expected.extensions)):
        found.append(Difference("extra extension", name))
    return found
