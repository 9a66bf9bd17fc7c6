"""The values the running release writes, per column: at the column's full width and range.

A release's service writes whatever its schema lets it write, so the values
that prove a later schema still takes them are the extreme ones: a
varchar(n) filled to n characters, an integer at its maximum, a numeric
with every digit its precision allows, a timestamp with every fractional
digit. Where a CHECK of the column narrows the range (`x >= 0`,
`length(x) <= 10`, `x = ANY (ARRAY[...])`), the value stays inside it, read
from the CHECK's definition as the server prints it (the snapshot's
`pg_get_constraintdef`). Pure: a snapshot in, SQL literals out.

Each column gets two values, one to INSERT and one to UPDATE to (the other
end of the range, the other boolean, the last allowed value), so both ends
are written. A type it does not know gives None: the workload then leaves
the column to its default or NULL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .schema.catalog import Column, Snapshot

_INTEGERS = {"smallint": 2**15 - 1, "integer": 2**31 - 1, "bigint": 2**63 - 1}
_FLOATS = {"double precision": "1.7976931348623157e308", "real": "3.4028234e38"}
# Text with no declared width: a valid JSON document, so a text column that
# becomes json/jsonb (a column LUNA fills with JSON, like handler.policies)
# still takes what the old release wrote: only a real break is reported.
_TEXT = '{"luna_db_check": "' + "x" * 200 + '"}'
_ALLOWED = re.compile(r"\(?(\w+)\)?(?:::[\w ]+)? = ANY \(\(?ARRAY\[(.*?)\]")
_LITERAL = re.compile(r"'((?:[^']|'')*)'|(-?\d+(?:\.\d+)?)")
_BOUND = re.compile(r"\(?(\w+)\)? (>=|>|<=|<) \(?(-?\d+(?:\.\d+)?)")
_LENGTH = re.compile(r"(?:char_)?length\(\(?(\w+)\)?(?:::[\w ]+)?\) (<=|<) (\d+)")
_ENUM = re.compile(r"^enum \((.*)\)$")


@dataclass(frozen=True)
class ColumnValues:
    """Two SQL literals for one column: what the release inserts, and what it updates to."""

    insert: str
    update: str
    allowed: tuple[str, ...] = ()  # every literal a CHECK or enum allows, when it lists them


def quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _checks_of(snapshot: Snapshot, column: Column) -> list[str]:
    return [c.definition for c in snapshot.constraints
            if c.kind == "check" and c.table == column.table and column.name in c.columns]


def _allowed(definitions: list[str], name: str) -> tuple[str, ...]:
    for definition in definitions:
        for match in _ALLOWED.finditer(definition):
            if match.group(1) == name:
                return tuple(n or quote(s.replace("''", "'")) for s, n in _LITERAL.findall(match.group(2)))
    return ()


def _bounds(definitions: list[str], name: str, low, high):
    """The range a CHECK's simple comparisons leave between `low` and `high`."""
    for definition in definitions:
        for column, operator, number in _BOUND.findall(definition):
            if column != name:
                continue
            value = float(number) if "." in number else int(number)
            if operator in (">=", ">"):
                low = max(low, value + (1 if operator == ">" and isinstance(value, int) else 0))
            else:
                high = min(high, value - (1 if operator == "<" and isinstance(value, int) else 0))
    return low, high


def _max_length(definitions: list[str], name: str, width: int) -> int:
    for definition in definitions:
        for column, operator, number in _LENGTH.findall(definition):
            if column == name:
                width = min(width, int(number) - (1 if operator == "<" else 0))
    return max(width, 1)


def _base_type(snapshot: Snapshot, type_: str) -> tuple[str, tuple[str, ...]]:
    """A domain's base type, and an enum type's labels (quoted)."""
    for defined in snapshot.types:
        if defined.name == type_:
            enum = _ENUM.match(defined.definition)
            if enum:
                return "enum", tuple(quote(s.replace("''", "'")) for s, _ in _LITERAL.findall(enum.group(1)) if s)
            if defined.definition.startswith("domain "):
                return defined.definition[len("domain "):].split(" not null")[0].split(" default ")[0], ()
    return type_, ()


def column_values(snapshot: Snapshot, column: Column) -> ColumnValues | None:
    """The column's two values, inside its CHECKs; None for a type this does not know."""
    checks = _checks_of(snapshot, column)
    allowed = _allowed(checks, column.name)
    type_, labels = _base_type(snapshot, column.type)
    allowed = allowed or labels
    if allowed:
        return ColumnValues(allowed[0], allowed[-1], allowed)
    return _by_type(type_, checks, column.name)


def _by_type(type_: str, checks: list[str], name: str) -> ColumnValues | None:
    base = re.sub(r"\(.*?\)", "", type_).strip()  # "timestamp(3) without time zone" -> "timestamp without time zone"
    size = re.findall(r"\d+", type_.split("(", 1)[1]) if "(" in type_ else []
    if type_.endswith("[]"):
        return ColumnValues("'{}'", "'{}'")
    if base in _INTEGERS:
        low, high = _bounds(checks, name, -_INTEGERS[base] - 1, _INTEGERS[base])
        return ColumnValues(str(high), str(low))
    if base in _FLOATS:
        return ColumnValues(_FLOATS[base], "-" + _FLOATS[base])
    if base == "numeric":
        precision, scale = (int(size[0]), int(size[1]) if len(size) > 1 else 0) if size else (20, 2)
        widest = "9" * (precision - scale) + ("." + "9" * scale if scale else "")
        low, high = _bounds(checks, name, -float(widest), float(widest))
        top = widest if high == float(widest) else str(high)
        return ColumnValues(top, str(-float(widest)) if low == -float(widest) else str(low))
    if base in ("character varying", "character", "varchar", "char", "bpchar"):
        width = _max_length(checks, name, int(size[0]) if size else 255)
        return ColumnValues(quote("x" * width), quote("y" * width))
    if base == "text":
        width = _max_length(checks, name, len(_TEXT))
        return ColumnValues(quote(_TEXT if width >= len(_TEXT) else "x" * width), quote("y" * min(width, 40)))
    if base == "boolean":
        return ColumnValues("true", "false")
    return _by_time_type(base, size)


def _by_time_type(base: str, size: list[str]) -> ColumnValues | None:
    fraction = "." + "9" * int(size[0]) if size and int(size[0]) > 0 else ("" if size else ".999999")
    values = {
        "timestamp without time zone": (f"'9999-12-31 23:59:59{fraction}'", "'0001-01-01 00:00:00'"),
        "timestamp with time zone": (f"'9999-12-30 23:59:59{fraction}+00'", "'0001-01-02 00:00:00+00'"),
        "date": ("'9999-12-31'", "'0001-01-01'"),
        "time without time zone": (f"'23:59:59{fraction}'", "'00:00:00'"),
        "interval": ("'178000000 years'", "'-178000000 years'"),
        "uuid": ("'ffffffff-ffff-ffff-ffff-ffffffffffff'", "'00000000-0000-0000-0000-000000000000'"),
        "json": ("'{\"luna_db_check\": [1, 2, 3]}'", "'{}'"),
        "jsonb": ("'{\"luna_db_check\": [1, 2, 3]}'", "'{}'"),
        "bytea": ("'\\xffffffff'", "'\\x00'"),
    }
    if base not in values:
        return None
    return ColumnValues(*values[base])
