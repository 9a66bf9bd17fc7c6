"""Read the live schema: a `Snapshot` of one PostgreSQL schema from the system catalogs,
or (elsewhere) the Inspector's view of it.

One query per kind of object, all read-only and catalog-only (no table is
scanned, no lock beyond AccessShare on the catalogs is taken). Names of the
schema itself are cut out of the printed definitions, so a snapshot of
`public` and one of `luna` compare equal when their objects do. A command
reads the snapshot once and hands it to drift, the stairway and adopt.
"""

from __future__ import annotations

import sqlalchemy as sa

from ..analysis.schema.catalog import (
    Column,
    Constraint,
    Grant,
    Index,
    Policy,
    Routine,
    Sequence,
    Snapshot,
    Table,
    Trigger,
    TypeDef,
    View,
    normalise_sql,
)
from ..db.server_version import postgresql_has
from ..db.tool_tables import TOOL_TABLES

_ACTIONS = {"a": None, "r": "restrict", "c": "cascade", "n": "set null", "d": "set default"}
_KINDS = {"p": "primary key", "u": "unique", "f": "foreign key", "c": "check", "x": "exclude"}

# A table's row-level security policies come with it (no query of their own): each
# [name, command, permissive, roles, USING, WITH CHECK].
_TABLES = """
SELECT c.relname, c.relpersistence = 'u', c.relrowsecurity, c.relforcerowsecurity, c.relkind = 'p',
       coalesce(c.reloptions, '{}'), obj_description(c.oid, 'pg_class'),
       (SELECT json_agg(json_build_array(
                   p.polname, p.polcmd, p.polpermissive,
                   ARRAY(SELECT CASE WHEN r = 0 THEN 'public' ELSE pg_get_userbyid(r) END
                         FROM unnest(p.polroles) r ORDER BY 1),
                   pg_get_expr(p.polqual, p.polrelid, true), pg_get_expr(p.polwithcheck, p.polrelid, true)))
        FROM pg_policy p WHERE p.polrelid = c.oid)
FROM pg_class c WHERE c.relnamespace = :ns AND c.relkind IN ('r', 'p')
"""

_COLUMNS = """
SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
       CASE WHEN a.attgenerated = '' THEN pg_get_expr(d.adbin, d.adrelid) END,
       CASE WHEN a.attcollation <> t.typcollation THEN co.collname END,
       a.attidentity, s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle,
       CASE WHEN a.attgenerated <> '' THEN pg_get_expr(d.adbin, d.adrelid) END,
       col_description(a.attrelid, a.attnum)
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
LEFT JOIN pg_collation co ON co.oid = a.attcollation
LEFT JOIN pg_depend dep ON a.attidentity <> '' AND dep.refobjid = a.attrelid AND dep.refobjsubid = a.attnum
     AND dep.deptype = 'i' AND dep.classid = 'pg_class'::regclass
LEFT JOIN pg_sequence s ON s.seqrelid = dep.objid
WHERE c.relnamespace = :ns AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY c.relname, a.attnum
"""

_CONSTRAINTS = """
SELECT c.relname, k.conname, k.contype,
       ARRAY(SELECT a.attname FROM unnest(k.conkey) WITH ORDINALITY u(n, i)
             JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n ORDER BY u.i),
       pg_get_constraintdef(k.oid, true),
       CASE WHEN r.relnamespace = :ns THEN r.relname ELSE r.oid::regclass::text END,
       ARRAY(SELECT a.attname FROM unnest(k.confkey) WITH ORDINALITY u(n, i)
             JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n ORDER BY u.i),
       k.confupdtype, k.confdeltype, k.condeferrable, k.condeferred
FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid LEFT JOIN pg_class r ON r.oid = k.confrelid
WHERE c.relnamespace = :ns AND k.contype IN ('p', 'u', 'f', 'c', 'x')
"""

_INDEXES = """
SELECT t.relname, i.relname, am.amname, x.indisunique, x.indnkeyatts,
       ARRAY(SELECT pg_get_indexdef(x.indexrelid, k, true) FROM generate_series(1, x.indnatts) k ORDER BY k),
       x.indoption::int2[],
       ARRAY(SELECT CASE WHEN o.opcdefault THEN '' ELSE o.opcname END
             FROM unnest(x.indclass::oid[]) WITH ORDINALITY u(oid, i) JOIN pg_opclass o ON o.oid = u.oid
             ORDER BY u.i),
       ARRAY(SELECT CASE WHEN u.coll = 0 OR u.coll = coalesce(a.attcollation, 100) THEN ''
                         ELSE (SELECT collname FROM pg_collation WHERE oid = u.coll) END
             FROM unnest(x.indcollation::oid[]) WITH ORDINALITY u(coll, i)
             LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = (x.indkey::int2[])[u.i - 1]
             ORDER BY u.i),
       pg_get_expr(x.indpred, x.indrelid, true), x.indnullsnotdistinct, con.conname, x.indisvalid,
       coalesce(i.reloptions, '{}')
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class t ON t.oid = x.indrelid
JOIN pg_am am ON am.oid = i.relam
LEFT JOIN pg_constraint con ON con.conindid = x.indexrelid AND con.contype IN ('p', 'u', 'x')
WHERE t.relnamespace = :ns AND t.relkind IN ('r', 'p', 'm')
"""

# reloptions: a view's security_barrier, check_option and (15+) security_invoker; a
# materialized view's storage parameters. An option a server lacks is simply not there.
_VIEWS = """
SELECT c.relname, pg_get_viewdef(c.oid, true), c.relkind = 'm', obj_description(c.oid, 'pg_class'),
       coalesce(c.reloptions, '{}')
FROM pg_class c WHERE c.relnamespace = :ns AND c.relkind IN ('v', 'm')
"""

_POLICY_COMMANDS = {"*": "ALL", "r": "SELECT", "a": "INSERT", "w": "UPDATE", "d": "DELETE"}

_TRIGGERS = """
SELECT c.relname, t.tgname, pg_get_triggerdef(t.oid, true), t.tgenabled, quote_ident(t.tgname)
FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
WHERE c.relnamespace = :ns AND NOT t.tgisinternal
"""

# Privileges granted on the schema's tables and views to anyone but their owner.
_GRANTS = """
SELECT c.relname, CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END,
       a.privilege_type, a.is_grantable
FROM pg_class c, aclexplode(c.relacl) a
WHERE c.relnamespace = :ns AND c.relkind IN ('r', 'p', 'v', 'm') AND a.grantee <> c.relowner
UNION ALL
SELECT c.relname || '.' || att.attname, CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END,
       a.privilege_type, a.is_grantable
FROM pg_class c JOIN pg_attribute att ON att.attrelid = c.oid AND att.attacl IS NOT NULL, aclexplode(att.attacl) a
WHERE c.relnamespace = :ns AND c.relkind IN ('r', 'p', 'v', 'm') AND a.grantee <> c.relowner
"""

# A member of an extension belongs to the extension, not to the schema's design.
_NOT_EXTENSION = ("NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = '{catalog}'::regclass "
                  "AND e.objid = {oid} AND e.deptype = 'e')")

_ROUTINES = f"""
SELECT p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')', pg_get_functiondef(p.oid)
FROM pg_proc p WHERE p.pronamespace = :ns AND p.prokind IN ('f', 'p')
AND {_NOT_EXTENSION.format(catalog='pg_proc', oid='p.oid')}
"""

_SEQUENCES = f"""
SELECT c.relname, format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmin, s.seqmax,
       s.seqcache, s.seqcycle
FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid
WHERE c.relnamespace = :ns AND {_NOT_EXTENSION.format(catalog='pg_class', oid='c.oid')}
AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                AND d.deptype = 'i')
"""

_TYPES = f"""
SELECT t.typname,
       CASE t.typtype
       WHEN 'e' THEN 'enum (' || (SELECT string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder)
                                  FROM pg_enum e WHERE e.enumtypid = t.oid) || ')'
       ELSE 'domain ' || format_type(t.typbasetype, t.typtypmod)
            || CASE WHEN t.typnotnull THEN ' not null' ELSE '' END
            || coalesce(' default ' || t.typdefault, '')
            || coalesce((SELECT ' ' || string_agg(pg_get_constraintdef(k.oid, true), ' ' ORDER BY k.conname)
                         FROM pg_constraint k WHERE k.contypid = t.oid), '')
       END
FROM pg_type t WHERE t.typnamespace = :ns AND t.typtype IN ('e', 'd')
AND {_NOT_EXTENSION.format(catalog='pg_type', oid='t.oid')}
"""


# Vacuum tuning is how a table is looked after, not what it is: never drift.
_TUNING = ("autovacuum_", "toast.", "vacuum_", "log_autovacuum_")


def _storage(options) -> tuple[str, ...]:
    return tuple(sorted(o for o in options if not o.startswith(_TUNING)))


def _identity(kind, start, increment, minimum, maximum, cache, cycle) -> str | None:
    if not kind:
        return None
    generated = "always" if kind == "a" else "by default"
    return (f"{generated} (start {start} increment {increment} minvalue {minimum} maxvalue {maximum} "
            f"cache {cache}{' cycle' if cycle else ''})")


def _deferrable(deferrable: bool, deferred: bool) -> str | None:
    if not deferrable:
        return None
    return "deferrable initially deferred" if deferred else "deferrable"


def _index_key(text: str, option: int, opclass: str, collation: str) -> str:
    # indoption: bit 1 DESC, bit 2 NULLS FIRST; ASC NULLS LAST and DESC NULLS FIRST are the defaults.
    descending, nulls_first = bool(option & 1), bool(option & 2)
    text += f' COLLATE "{collation}"' if collation else ""
    text += f" {opclass}" if opclass else ""
    text += " DESC" if descending else ""
    if descending != nulls_first:
        text += " NULLS FIRST" if nulls_first else " NULLS LAST"
    return text


def read_snapshot(connection, schema: str | None = None) -> Snapshot:
    """The snapshot of `schema` (the connection's current schema when None)."""
    # One statement for the name, its namespace and its quoted form: `check` reads a snapshot per step.
    schema, namespace, quoted = connection.execute(sa.text(
        "SELECT s.name, n.oid, quote_ident(s.name) FROM (SELECT coalesce(CAST(:name AS text), current_schema()::text) AS name) s"
        " LEFT JOIN pg_namespace n ON n.nspname = s.name"), {"name": schema}).one()
    if namespace is None:
        return Snapshot(schema)
    prefix = quoted + "."
    # Before 15 pg_index has no indnullsnotdistinct: every index there is NULLS DISTINCT.
    indexes_sql = (_INDEXES if postgresql_has(connection, "nulls_not_distinct")
                   else _INDEXES.replace("x.indnullsnotdistinct", "false"))

    def rows(sql: str):
        return connection.execute(sa.text(sql), {"ns": namespace}).fetchall()

    def of_ours(sql: str):
        """The rows of the schema's tables: luna-db's own (first column: table, or table.column) left out."""
        return [r for r in rows(sql) if r[0].split(".")[0] not in TOOL_TABLES]

    def unqualified(text):
        return normalise_sql(text.replace(prefix, "")) if text is not None else None

    def ordered(items):
        return tuple(sorted(items, key=lambda item: (getattr(item, "table", ""), item.name)))

    tables = of_ours(_TABLES)
    return Snapshot(
        schema,
        tables=ordered(Table(r[0], r[1], r[2], r[3], r[4], _storage(r[5]), r[6]) for r in tables),
        columns=tuple(Column(r[0], r[1], r[2], r[3], unqualified(r[4]), r[5], _identity(*r[6:13]),
                             unqualified(r[13]), r[14]) for r in of_ours(_COLUMNS)),
        constraints=ordered(_constraint(r, unqualified) for r in of_ours(_CONSTRAINTS)),
        indexes=ordered(_index(r, unqualified) for r in of_ours(indexes_sql)),
        views=ordered(View(r[0], unqualified(r[1]), r[2], r[3], _storage(r[4])) for r in rows(_VIEWS)),
        triggers=ordered(Trigger(r[0], r[1], unqualified(r[2].replace(f"TRIGGER {r[4]} ", "TRIGGER ", 1)), r[3])
                         for r in of_ours(_TRIGGERS)),
        policies=ordered(Policy(r[0], name, _POLICY_COMMANDS[command], permissive, tuple(roles), unqualified(using),
                                unqualified(check))
                         for r in tables for name, command, permissive, roles, using, check in r[7] or ()),
        grants=tuple(sorted((Grant(*r) for r in of_ours(_GRANTS)), key=lambda g: g.key)),
        routines=ordered(Routine(r[0], unqualified(r[1])) for r in rows(_ROUTINES)),
        sequences=ordered(Sequence(r[0], _sequence_options(*r[1:])) for r in rows(_SEQUENCES)),
        types=ordered(TypeDef(r[0], unqualified(r[1])) for r in rows(_TYPES)),
        extensions=tuple(r[0] for r in rows("SELECT extname FROM pg_extension WHERE extnamespace = :ns ORDER BY 1")),
    )


def _constraint(r, unqualified) -> Constraint:
    foreign = r[2] == "f"
    return Constraint(r[0], r[1], _KINDS[r[2]], tuple(r[3]), unqualified(r[4]), r[5], tuple(r[6]),
                      _ACTIONS.get(r[7]) if foreign else None, _ACTIONS.get(r[8]) if foreign else None,
                      _deferrable(r[9], r[10]))


def _index(r, unqualified) -> Index:
    table, name, method, unique, key_count, texts, options, opclasses, collations = r[:9]
    keys = tuple(_index_key(unqualified(texts[i]), options[i], opclasses[i], collations[i]) for i in range(key_count))
    return Index(table, name, method, unique, keys, tuple(texts[key_count:]), unqualified(r[9]), bool(r[10]), r[11],
                 r[12], _storage(r[13]))


def _sequence_options(type_, start, increment, minimum, maximum, cache, cycle) -> str:
    return (f"{type_} start {start} increment {increment} minvalue {minimum} maxvalue {maximum} cache {cache}"
            + (" cycle" if cycle else ""))


def read_shape(connection):
    """What a revision changes, reflected: the catalog snapshot on PostgreSQL, else the Inspector's view."""
    if connection.dialect.name == "postgresql":
        return read_snapshot(connection)
    return read_inspected(connection)


def read_inspected(connection) -> dict:
    """Tables, columns, keys, indexes, checks, views, as SQLAlchemy's Inspector reads them."""
    inspector = sa.inspect(connection)
    tables = {name: _inspected_table(inspector, name)
              for name in sorted(inspector.get_table_names()) if name not in TOOL_TABLES}
    views = {name: inspector.get_view_definition(name) for name in sorted(inspector.get_view_names())}
    return {"tables": tables, "views": views}


def _inspected_table(inspector, name: str) -> dict:
    return {
        "columns": [
            (c["name"], str(c["type"]), c["nullable"], str(c.get("default")), c.get("comment"))
            for c in inspector.get_columns(name)
        ],
        "primary key": inspector.get_pk_constraint(name).get("name"),
        "foreign keys": sorted((fk["name"], tuple(fk["constrained_columns"]), fk["referred_table"])
                               for fk in inspector.get_foreign_keys(name)),
        "unique": sorted((u["name"], tuple(u["column_names"])) for u in inspector.get_unique_constraints(name)),
        "indexes": sorted((i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in inspector.get_indexes(name)),
        "checks": sorted((c["name"], c["sqltext"]) for c in inspector.get_check_constraints(name)),
        "comment": inspector.get_table_comment(name).get("text"),
    }


_VIEW_COLUMNS = """
SELECT c.relname, array_agg(a.attname::text ORDER BY a.attnum)
FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
AND c.relkind IN ('v', 'm')
GROUP BY c.relname
"""


def read_view_columns(connection) -> dict[str, tuple[str, ...]]:
    """Each view's column names, in order (a snapshot holds a view's definition, not its columns)."""
    return {name: tuple(columns) for name, columns in connection.execute(sa.text(_VIEW_COLUMNS))}
