"""The statement shapes every reader of migration SQL shares: one table, read first match wins.

A statement's `code` (analysis/sql/sqltext: comments gone, literals blanked) is
matched against the shapes of its dialect in order; the first that matches
names its kind and carries its parts (table, index, view, concurrently,
mode ...). The lint rules, the lock table, the transaction rules, the dry run
and the data-loss guard all read these, so a statement is judged the same
way by each of them. ALTER TABLE's actions have a table of their own.

Functions whose value changes per row are listed once here too: as a column
default they make PostgreSQL 11+ fill every row, a rewrite under ACCESS
EXCLUSIVE.
"""

from __future__ import annotations

import re

from .sqltext import NAME, QNAME, has_word

_I = re.IGNORECASE

# Statement kinds (PostgreSQL and Oracle).
BEGIN, END, SET_LOCK_TIMEOUT = "BEGIN", "COMMIT", "SET lock_timeout"
CREATE_TABLE, CREATE_VIEW, CREATE_INDEX, DROP_INDEX = "CREATE TABLE", "CREATE VIEW", "CREATE INDEX", "DROP INDEX"
REINDEX, DROP_TABLE, TRUNCATE, VACUUM_FULL, CLUSTER = "REINDEX", "DROP TABLE", "TRUNCATE", "VACUUM FULL", "CLUSTER"
LOCK, REFRESH, INSERT, UPDATE, DELETE = "LOCK TABLE", "REFRESH MATERIALIZED VIEW", "INSERT", "UPDATE", "DELETE"
DROP_SCHEMA, DROP_DATABASE, DROP_VIEW = "DROP SCHEMA", "DROP DATABASE", "DROP VIEW"
ALTER_TABLE, COMMENT = "ALTER TABLE", "COMMENT"
SELECT, DO, OTHER = "SELECT", "DO", "other"
REBUILD_INDEX, RENAME_INDEX, RENAME_TABLE = "ALTER INDEX REBUILD", "ALTER INDEX RENAME", "RENAME"

PG_SHAPES: tuple[tuple[str, re.Pattern], ...] = (
    (BEGIN, re.compile(r"^(?:BEGIN|START TRANSACTION)\b(?! ATOMIC)", _I)),
    (END, re.compile(r"^(?:COMMIT|END|ROLLBACK|ABORT)\b", _I)),
    (CREATE_TABLE, re.compile(
        rf"^CREATE (?:(?:GLOBAL |LOCAL )?(?:TEMP|TEMPORARY|UNLOGGED) )?TABLE (?:IF NOT EXISTS )?(?P<table>{QNAME})", _I)),
    (CREATE_VIEW, re.compile(
        rf"^CREATE (?:OR REPLACE )?(?:TEMP |TEMPORARY )?(?P<materialized>MATERIALIZED )?VIEW (?:IF NOT EXISTS )?"
        rf"(?P<view>{QNAME})", _I)),
    (CREATE_INDEX, re.compile(
        rf"^CREATE (?:UNIQUE )?INDEX (?P<concurrently>CONCURRENTLY )?(?:IF NOT EXISTS )?(?P<index>{NAME} )?"
        rf"ON (?:ONLY )?(?P<table>{QNAME})", _I)),
    (RENAME_INDEX, re.compile(rf"^ALTER INDEX (?:IF EXISTS )?(?P<index>{QNAME}) RENAME TO ", _I)),
    (DROP_INDEX, re.compile(
        r"^DROP INDEX (?P<concurrently>CONCURRENTLY )?(?:IF EXISTS )?(?P<indexes>.*?)(?: CASCADE| RESTRICT)?$", _I)),
    (REINDEX, re.compile(
        rf"^REINDEX (?:\([^)]*\) )?(?:TABLE|INDEX|SCHEMA|DATABASE|SYSTEM) (?P<concurrently>CONCURRENTLY )?"
        rf"(?P<object>{QNAME})?", _I)),
    (DROP_TABLE, re.compile(r"^DROP TABLE (?:IF EXISTS )?(?P<tables>.*?)(?: CASCADE| RESTRICT)?$", _I)),
    (TRUNCATE, re.compile(rf"^TRUNCATE (?:TABLE )?(?:ONLY )?(?P<table>{QNAME})", _I)),
    (VACUUM_FULL, re.compile(
        rf"^VACUUM (?:FULL\b|\((?=[^)]*\bFULL\b(?! (?:FALSE|OFF|0)\b))[^)]*\))"
        rf"(?: (?:FREEZE |VERBOSE |ANALYZE )*(?P<table>{QNAME}))?", _I)),
    (CLUSTER, re.compile(rf"^CLUSTER\b(?: VERBOSE)?(?: (?P<table>{QNAME}))?", _I)),
    (LOCK, re.compile(rf"^LOCK (?:TABLE )?(?:ONLY )?(?P<table>{QNAME})(?: IN (?P<mode>[A-Z ]+?) MODE)?", _I)),
    (REFRESH, re.compile(rf"^REFRESH MATERIALIZED VIEW (?P<concurrently>CONCURRENTLY )?(?P<view>{QNAME})", _I)),
    (INSERT, re.compile(rf"^(?:WITH .* )?INSERT INTO (?P<table>{QNAME})", _I)),
    (UPDATE, re.compile(rf"^(?:WITH .* )?UPDATE (?:ONLY )?(?P<table>{QNAME})", _I)),
    (DELETE, re.compile(rf"^(?:WITH .* )?DELETE FROM (?:ONLY )?(?P<table>{QNAME})", _I)),
    (DROP_SCHEMA, re.compile(rf"^DROP SCHEMA (?:IF EXISTS )?(?P<object>{QNAME})", _I)),
    (DROP_DATABASE, re.compile(rf"^DROP DATABASE (?:IF EXISTS )?(?P<object>{QNAME})", _I)),
    (DROP_VIEW, re.compile(rf"^DROP (?:MATERIALIZED )?VIEW (?:IF EXISTS )?(?P<view>{QNAME})", _I)),
    (ALTER_TABLE, re.compile(
        rf"^ALTER TABLE (?:IF EXISTS )?(?:ONLY )?(?P<table>{QNAME})(?: \*)? (?P<actions>.*)$", _I)),
    (COMMENT, re.compile(rf"^COMMENT ON (?P<what>TABLE|COLUMN) (?P<object>{QNAME})", _I)),
    (SELECT, re.compile(r"^(?:WITH .* )?SELECT\b", _I)),
    (DO, re.compile(r"^DO\b", _I)),
)

ORACLE_SHAPES: tuple[tuple[str, re.Pattern], ...] = (
    (CREATE_TABLE, re.compile(rf"^CREATE (?:GLOBAL TEMPORARY |PRIVATE TEMPORARY )?TABLE (?P<table>{QNAME})", _I)),
    (CREATE_VIEW, re.compile(
        rf"^CREATE (?:OR REPLACE )?(?:(?:NO )?FORCE )?(?:MATERIALIZED )?VIEW (?P<view>{QNAME})", _I)),
    (CREATE_INDEX, re.compile(rf"^CREATE (?:UNIQUE |BITMAP )?INDEX (?P<index>{QNAME}) ON (?P<table>{QNAME})", _I)),
    (REBUILD_INDEX, re.compile(rf"^ALTER INDEX (?P<index>{QNAME}) REBUILD\b", _I)),
    (DROP_TABLE, re.compile(rf"^DROP TABLE (?P<table>{QNAME})", _I)),
    (TRUNCATE, re.compile(rf"^TRUNCATE TABLE (?P<table>{QNAME})", _I)),
    (LOCK, re.compile(rf"^LOCK TABLE (?P<table>{QNAME})", _I)),
    (RENAME_TABLE, re.compile(rf"^RENAME (?P<table>{NAME}) TO {NAME}$", _I)),
    (UPDATE, re.compile(rf"^UPDATE (?P<table>{QNAME}) ", _I)),
    (DELETE, re.compile(rf"^DELETE (?:FROM )?(?P<table>{QNAME})", _I)),
    (ALTER_TABLE, re.compile(rf"^ALTER TABLE (?P<table>{QNAME}) (?P<actions>.*)$", _I)),
)

#: `SET [LOCAL|SESSION] lock_timeout`, read from the text (its value is a literal).
LOCK_TIMEOUT = re.compile(r"^SET (?:(?P<local>LOCAL) |SESSION )?lock_timeout (?:=|TO) (?P<value>.+)$", _I)
#: set_config('lock_timeout', ...) from a program: not judged.
SET_CONFIG_LOCK_TIMEOUT = re.compile(r"set_config\s*\(\s*'lock_timeout'", _I)


def match_shape(code: str, dialect: str = "postgresql") -> tuple[str, re.Match | None]:
    """The kind of a statement's `code` and the match of its shape (OTHER, None: no shape)."""
    for kind, shape in PG_SHAPES if dialect == "postgresql" else ORACLE_SHAPES:
        if m := shape.match(code):
            return kind, m
    return OTHER, None


# --- ALTER TABLE actions ---------------------------------------------------------------

ADD_CONSTRAINT, ADD_COLUMN, ALTER_COLUMN, DROP_COLUMN, RENAME = (
    "add constraint", "add column", "alter column", "drop column", "rename")
VALIDATE, SET_LOGGED, SET_TABLESPACE, SET_STORAGE = "validate", "set logged", "set tablespace", "set storage"
OTHER_ACTION = "other"

PG_ACTIONS: tuple[tuple[str, re.Pattern], ...] = (
    (ADD_CONSTRAINT, re.compile(
        rf"^ADD (?:CONSTRAINT (?P<name>{NAME}) )?(?P<kind>CHECK|UNIQUE|PRIMARY KEY|FOREIGN KEY|EXCLUDE)\b", _I)),
    (ADD_COLUMN, re.compile(rf"^ADD (?:COLUMN )?(?:IF NOT EXISTS )?(?P<column>{NAME}) (?P<definition>.*)$", _I)),
    (ALTER_COLUMN, re.compile(rf"^ALTER (?:COLUMN )?(?P<column>{NAME}) (?P<change>.*)$", _I)),
    (DROP_COLUMN, re.compile(
        rf"^DROP (?!(?:CONSTRAINT|NOT NULL|DEFAULT|EXPRESSION|IDENTITY)\b)(?:COLUMN )?(?:IF EXISTS )?"
        rf"(?P<column>{NAME})(?: CASCADE| RESTRICT)?$", _I)),
    (RENAME, re.compile(
        rf"^RENAME (?:(?P<constraint>CONSTRAINT )|COLUMN )?(?:(?P<old>{NAME}) )?TO (?P<new>{NAME})$", _I)),
    (VALIDATE, re.compile(rf"^VALIDATE CONSTRAINT (?P<name>{NAME})", _I)),
    (SET_LOGGED, re.compile(r"^SET (?:LOGGED|UNLOGGED)$", _I)),
    (SET_TABLESPACE, re.compile(r"^SET (?:TABLESPACE|ACCESS METHOD)\b", _I)),
    (SET_STORAGE, re.compile(r"^(?:SET STATISTICS|SET \(|RESET \(|CLUSTER ON|SET WITHOUT CLUSTER)", _I)),
)

ORACLE_ACTIONS: tuple[tuple[str, re.Pattern], ...] = (
    (ADD_CONSTRAINT, re.compile(
        rf"^ADD (?:CONSTRAINT (?P<name>{NAME}) )?(?P<kind>CHECK|UNIQUE|PRIMARY KEY|FOREIGN KEY)\b", _I)),
    (ADD_COLUMN, re.compile(r"^ADD (?:\((?P<list>.*)\)|(?P<one>.*))$", _I)),
    ("modify", re.compile(r"^MODIFY (?:\((?P<list>.*)\)|(?P<one>.*))$", _I)),
    (DROP_COLUMN, re.compile(
        rf"^(?:DROP (?:COLUMN (?P<one>{NAME})|\((?P<list>[^)]*)\))|SET UNUSED (?:COLUMN (?P<unused>{NAME})"
        rf"|\((?P<unused_list>[^)]*)\)))", _I)),
    ("drop unused columns", re.compile(r"^DROP UNUSED COLUMNS\b", _I)),
    (RENAME, re.compile(rf"^RENAME COLUMN (?P<old>{NAME}) TO {NAME}$", _I)),
    (RENAME_TABLE, re.compile(rf"^RENAME TO {NAME}$", _I)),
    ("move", re.compile(r"^MOVE\b", _I)),
)


def match_action(action: str, dialect: str = "postgresql") -> tuple[str, re.Match | None]:
    """The kind of one ALTER TABLE action and the match of its shape."""
    for kind, shape in PG_ACTIONS if dialect == "postgresql" else ORACLE_ACTIONS:
        if m := shape.match(action):
            return kind, m
    return OTHER_ACTION, None


#: ALTER COLUMN changes.
COLUMN_TYPE = re.compile(r"^(?:SET DATA )?TYPE\b", _I)
SET_NOT_NULL = re.compile(r"^SET NOT NULL\b", _I)
DROP_DEFAULT = re.compile(r"^DROP DEFAULT$", _I)
SET_STATISTICS = re.compile(r"^SET STATISTICS\b", _I)
#: A CHECK that proves a column holds no NULL (PostgreSQL 12+ then sets NOT NULL without a scan).
IS_NOT_NULL = re.compile(rf"CHECK \( ?\(? ?(?P<column>{NAME}) IS NOT NULL ?\)? ?\)", _I)
REFERENCES = re.compile(rf"\bREFERENCES (?P<table>{QNAME})", _I)


# --- column defaults -------------------------------------------------------------------

#: Functions whose value changes per row.
VOLATILE_FUNCTIONS = frozenset({
    "random", "clock_timestamp", "timeofday", "gen_random_uuid", "uuid_generate_v1", "uuid_generate_v1mc",
    "uuid_generate_v4", "uuidv4", "uuidv7", "nextval", "txid_current", "pg_current_xact_id", "setseed",
})
#: Functions known to be evaluated once per statement (stable or immutable): a default of them rewrites nothing.
STABLE_FUNCTIONS = frozenset({
    "now", "timezone", "statement_timestamp", "transaction_timestamp", "current_setting", "lower", "upper",
    "coalesce", "concat", "length", "make_interval", "to_timestamp", "to_date", "jsonb_build_object",
    "json_build_object", "jsonb_build_array", "array", "interval", "date_trunc", "nullif", "greatest", "least",
})
SERIAL_TYPES = re.compile(r"^(?:small|big)?serial\d?$|^serial[248]$", _I)

VOLATILE, STABLE, UNKNOWN = "volatile", "stable", "unknown"


def default_volatility(definition: str) -> str | None:
    """How a column definition's DEFAULT is evaluated: VOLATILE (per row), STABLE (once), UNKNOWN; None without one."""
    parts = re.split(r"\bDEFAULT\b", definition, maxsplit=1, flags=_I)
    if len(parts) == 1:
        return None
    functions = {name.lower().split(".")[-1] for name in re.findall(r"([\w.]+)\s*\(", parts[1])}
    if functions & VOLATILE_FUNCTIONS:
        return VOLATILE
    return STABLE if functions <= STABLE_FUNCTIONS else UNKNOWN


def is_serial(definition: str) -> bool:
    return SERIAL_TYPES.match(definition.split(" ", 1)[0].split("(", 1)[0]) is not None


def is_generated_fill(definition: str) -> bool:
    """A stored generated or identity column: every existing row gets a value."""
    return has_word(definition, "GENERATED") and (has_word(definition, "STORED") or has_word(definition, "AS IDENTITY"))


def fills_every_row(definition: str) -> bool:
    """Whether adding a column of this definition writes every existing row (a table rewrite)."""
    return is_serial(definition) or is_generated_fill(definition) or default_volatility(definition) == VOLATILE


def default_is_stable(definition: str) -> bool:
    """Whether a column definition's DEFAULT is evaluated once (no rewrite on PostgreSQL 11+)."""
    return default_volatility(definition) == STABLE and not has_word(definition, "GENERATED")
