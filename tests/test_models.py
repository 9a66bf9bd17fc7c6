"""The models of both schemas, compiled for PostgreSQL and Oracle; no database needed.

The schemas' contract: their tables, columns and nullability are written
out below as data, and so are the constraint and index names, which the
migrations reproduce and DBAs see.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys

import pytest
import sqlalchemy as sa
import sqlglot
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy.dialects import oracle, postgresql
from sqlalchemy.engine.mock import MockConnection
from sqlalchemy.schema import CreateIndex, CreateTable

from luna_db_tools.models import backport3, streams
from luna_db_tools.models.base import (
    NAMING_CONVENTION,
    Bool,
    CreateView,
    DropView,
    EmptyString,
    bool_literal,
    fit_identifier,
    utcnow,
    view,
    view_ddl,
)

MODELS = {"streams": streams, "backport3": backport3}

# The schemas, column by column, in table order.
EXPECTED_COLUMNS = {
    "streams": {
        "stream": ["stream_id", "account_id", "name", "description", "data", "event_handler", "policies",
                   "status", "version", "create_time", "last_update_time"],
        "location": ["stream_id", "city", "area", "district", "street", "house_number",
                     "geo_position_latitude", "geo_position_longitude"],
        "restart": ["stream_id", "restart", "attempt_count", "delay", "current_attempt", "last_attempt_time",
                    "status"],
        "handler": ["stream_id", "handler_id", "last_feedback_time"],
        "log": ["log_id", "stream_id", "time", "status", "error"],
        "group": ["group_id", "account_id", "group_name", "description", "create_time"],
        "group_stream": ["group_id", "stream_id"],
        "single_process_lock": ["lock_name", "instance_id", "heartbeat_time"],
    },
    "backport3": {
        "account": ["account_id", "active"],
        "account_token": ["token_id", "account_id", "token"],
        "person": ["person_id", "account_id", "user_data", "external_id", "create_time"],
        "persons_list": ["list_id", "account_id", "create_time"],
        "descriptors_list": ["list_id", "account_id", "create_time"],
        "list_person": ["list_id", "person_id"],
        "person_face": ["face_id", "person_id"],
        "handler": ["handler_id", "account_id", "create_time", "last_update_time", "policies", "type", "version"],
    },
}

# The nullable columns; every other column is NOT NULL.
EXPECTED_NULLABLE = {
    "streams": {
        "location.city", "location.area", "location.district", "location.street", "location.house_number",
        "location.geo_position_latitude", "location.geo_position_longitude",
        "restart.current_attempt", "restart.last_attempt_time", "restart.status",
        "log.error", "single_process_lock.instance_id", "single_process_lock.heartbeat_time",
    },
    # The list tables' account_id: nullable, as the seed's index reprs print it.
    "backport3": {"person.external_id", "persons_list.account_id", "descriptors_list.account_id"},
}

# What the naming convention makes of the schemas' keys and indexes (and the
# seed's two index names, kept as they are). Migrations name the same things.
EXPECTED_NAMES = {
    "streams": {
        "stream": {"pk_stream", "ck_stream_status", "ix_stream_account_id__074cd7f5", "ix_stream_status"},
        "location": {"pk_location", "fk_location_stream_id_stream"},
        "restart": {"pk_restart", "fk_restart_stream_id_stream", "ck_restart_restart"},
        "handler": {"pk_handler", "fk_handler_stream_id_stream", "ix_handler_handler_id"},
        "log": {"pk_log", "ix_log_stream_id_time"},
        "group": {"pk_group", "uq_group_account_id_group_name"},
        "group_stream": {"pk_group_stream", "fk_group_stream_group_id_group", "fk_group_stream_strea_bf422474",
                         "ix_group_stream_stream_id"},
        "single_process_lock": {"pk_single_process_lock"},
    },
    "backport3": {
        "account": {"pk_account", "ck_account_active"},
        "account_token": {"pk_account_token", "fk_account_token_acco_d9f4cfb7", "uq_account_token_token",
                          "ix_account_token_account_id"},
        "person": {"pk_person", "fk_person_account_id_account", "ix_person_external_id",
                   "ix_person_account_id__c0d95da2"},
        "persons_list": {"pk_persons_list", "fk_persons_list_accou_da63e3fa", "create_persons_list_time_index"},
        "descriptors_list": {"pk_descriptors_list", "fk_descriptors_list_a_4fc44efe",
                             "create_descr_list_time_index"},
        "list_person": {"pk_list_person", "fk_list_person_list_i_aa55e757", "fk_list_person_person_b34f3431",
                        "ix_list_person_person_id"},
        "person_face": {"pk_person_face", "fk_person_face_person_c80453d4", "ix_person_face_person_id"},
        "handler": {"pk_handler", "fk_handler_account_id_account", "ck_handler_type"},
    },
}

# The columns that hold JSON documents (text on both dialects).
JSON_COLUMNS = {
    "streams": {"stream.data", "stream.event_handler", "stream.policies"},
    "backport3": {"handler.policies"},
}


def oracle_23ai():
    """An Oracle dialect in the state `initialize()` leaves it in on a 23ai server."""
    dialect = oracle.dialect()
    dialect.server_version_info = (23, 4)
    # What OracleDialect.initialize sets from the server version (SQLAlchemy 2.1).
    dialect.supports_native_boolean = True
    dialect._supports_oracle_json = True
    dialect.supports_identity_columns = True
    dialect._supports_offset_fetch = True
    return dialect


def oracle_19c():
    """An Oracle dialect in the state `initialize()` leaves it in on a 19c server."""
    dialect = oracle.dialect()
    dialect.server_version_info = (19, 0)
    dialect.supports_native_boolean = False
    dialect._supports_oracle_json = False
    return dialect


# An unconnected dialect (offline scripts) keeps the class defaults, among
# them supports_native_boolean = True.
ORACLE_DIALECTS = {"unconnected": oracle.dialect, "19c": oracle_19c, "23ai": oracle_23ai}


def create_statements(metadata: sa.MetaData, dialect) -> list[str]:
    """What `metadata.create_all()` sends to a database of this dialect, one string per statement."""
    statements = []
    connection = MockConnection(dialect, lambda sql, *args: statements.append(str(sql.compile(dialect=dialect))))
    metadata.create_all(connection, checkfirst=False)
    return [statement.strip() for statement in statements]


def ddl(metadata: sa.MetaData, dialect) -> str:
    return "\n".join(create_statements(metadata, dialect))


def bool_columns(metadata: sa.MetaData) -> list[sa.Column]:
    return [c for t in metadata.tables.values() for c in t.columns if isinstance(c.type, Bool)]


# --- tables and columns ------------------------------------------------------------


@pytest.mark.parametrize("schema", MODELS)
def test_tables_and_columns_are_those_of_the_specified_schemas(schema):
    """A column added, dropped or moved in the models shows here first, as a diff against EXPECTED_COLUMNS."""
    metadata = MODELS[schema].metadata
    assert {name: [c.name for c in table.columns] for name, table in metadata.tables.items()} == (
        EXPECTED_COLUMNS[schema]
    )
    nullable = {f"{t.name}.{c.name}" for t in metadata.tables.values() for c in t.columns if c.nullable}
    assert nullable == EXPECTED_NULLABLE[schema]


@pytest.mark.parametrize("schema", MODELS)
def test_every_table_and_column_has_a_comment(schema):
    """Every table and column carries a COMMENT ON, in both dialects."""
    metadata = MODELS[schema].metadata
    for table in metadata.tables.values():
        assert table.comment, table.name
        assert table.comment == table.comment.strip()
        for column in table.columns:
            assert column.comment, f"{table.name}.{column.name}"
    for dialect in (postgresql.dialect(), oracle.dialect()):
        text = ddl(metadata, dialect)
        for table in metadata.tables.values():
            quoted = dialect.identifier_preparer.format_table(table)
            assert f"COMMENT ON TABLE {quoted} IS" in text
            for column in table.columns:
                assert f"COMMENT ON COLUMN {quoted}.{column.name} IS" in text


def test_model_docstrings_are_the_seeds():
    assert streams.Stream.__doc__ == "Database table model for streams."
    assert streams.SingleProcessLock.__doc__.startswith("Table for storing one-at-time process lock.")
    assert backport3.AccountToken.__doc__ == "Token table."
    assert backport3.PersonsList.__doc__ == "Database table model for person lists."


def test_seed_comments_of_the_list_columns():
    for model in (backport3.PersonsList, backport3.DescriptorsList):
        assert model.__table__.c.account_id.comment == "uuid4: id of the account to which the list belongs"
    assert backport3.PersonsList.__table__.c.create_time.comment == "date: list create time"
    # Sic, as the seed prints it.
    assert backport3.DescriptorsList.__table__.c.create_time.comment == "list: person create time"


def test_backport3_times_have_no_server_default():
    """The service writes every backport3 time itself (UTC or local, per STORAGE_TIME): no server default."""
    times = [
        column for table in backport3.metadata.tables.values() for column in table.columns
        if isinstance(column.type, sa.TIMESTAMP)
    ]
    assert {f"{c.table.name}.{c.name}" for c in times} == {
        "person.create_time", "persons_list.create_time", "descriptors_list.create_time",
        "handler.create_time", "handler.last_update_time",
    }
    for column in times:
        assert not column.nullable and column.server_default is None and column.default is None, column


def test_get_column_names_in_table_order():
    assert backport3.Handler.getColumnNames() == EXPECTED_COLUMNS["backport3"]["handler"]
    assert streams.Handler.getColumnNames() == EXPECTED_COLUMNS["streams"]["handler"]


@pytest.mark.parametrize("schema", MODELS)
def test_foreign_keys_and_their_on_delete(schema):
    """ON DELETE CASCADE exactly where the schemas have it; no FK from log to stream."""
    found = {
        (fk.parent.table.name, fk.parent.name, fk.column.table.name, fk.ondelete)
        for table in MODELS[schema].metadata.tables.values()
        for fk in table.foreign_keys
    }
    expected = {
        "streams": {
            ("location", "stream_id", "stream", "CASCADE"),
            ("restart", "stream_id", "stream", "CASCADE"),
            ("handler", "stream_id", "stream", "CASCADE"),
            ("group_stream", "group_id", "group", "CASCADE"),
            ("group_stream", "stream_id", "stream", "CASCADE"),
        },
        "backport3": {
            ("account_token", "account_id", "account", "CASCADE"),
            ("person", "account_id", "account", None),
            ("persons_list", "account_id", "account", None),
            ("descriptors_list", "account_id", "account", None),
            ("list_person", "list_id", "persons_list", "CASCADE"),
            ("list_person", "person_id", "person", "CASCADE"),
            ("person_face", "person_id", "person", "CASCADE"),
            ("handler", "account_id", "account", None),
        },
    }
    assert found == expected[schema]


def test_primal_rows():
    assert streams.PRIMAL_ROWS == [(streams.SingleProcessLock.__table__, [{"lock_name": "streams_master"}])]
    assert backport3.PRIMAL_ROWS == []
    assert streams.STREAM_STATUSES[-1] == "handler_lost" and len(streams.STREAM_STATUSES) == 8


# --- names -------------------------------------------------------------------------


@pytest.mark.parametrize("schema", MODELS)
def test_constraint_and_index_names_are_those_expected(schema):
    """Names are fixed data: a migration that names a constraint relies on them."""
    metadata = MODELS[schema].metadata
    names = {t.name: {i.name for i in [*t.constraints, *t.indexes]} for t in metadata.tables.values()}
    assert names == EXPECTED_NAMES[schema]
    flat = [name for table in names.values() for name in table]
    # Oracle's constraint and index names share one namespace per schema.
    assert len(flat) == len(set(flat))


@pytest.mark.parametrize("schema", MODELS)
def test_ddl_names_are_the_same_on_both_dialects_and_fit_30_characters(schema):
    """SQLAlchemy's per-dialect truncation must never kick in: one name per constraint, everywhere."""
    metadata = MODELS[schema].metadata
    expected = set().union(*EXPECTED_NAMES[schema].values())
    pattern = r"\b(?:CONSTRAINT|CREATE INDEX) \"?(\w+)"
    by_dialect = {}
    # The CHECK of a Bool column exists on Oracle only.
    oracle_only = {f"ck_{column.table.name}_{column.name}" for column in bool_columns(metadata)}
    for dialect in (postgresql.dialect(), *(make() for make in ORACLE_DIALECTS.values())):
        found = set(re.findall(pattern, ddl(metadata, dialect)))
        by_dialect[dialect.name] = found
        assert found == (expected if dialect.name == "oracle" else expected - oracle_only), dialect.name
    assert all(len(name) <= 30 for names in by_dialect.values() for name in names)


def test_every_identifier_fits_30_characters():
    for module in MODELS.values():
        for table in module.metadata.tables.values():
            assert len(table.name) <= 30
            assert all(len(column.name) <= 30 for column in table.columns)
        for name, (table, _) in module.metadata.info.get("views", {}).items():
            assert len(name) <= 30
            assert all(len(column.name) <= 30 for column in table.c)


def test_long_names_are_cut_deterministically():
    long = "fk_group_stream_stream_id_stream"
    assert fit_identifier(long) == "fk_group_stream_strea_bf422474"
    assert len(fit_identifier(long)) == 30
    assert fit_identifier(long) != fit_identifier(long + "x")
    assert fit_identifier("ix_short") == "ix_short"
    assert fit_identifier("x" * 30) == "x" * 30


def test_naming_convention_on_a_plain_table():
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    table = sa.Table(
        "some_rather_long_table_name", metadata,
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("other_id", sa.String(36), sa.ForeignKey("other.id"), index=True, unique=True),
        sa.CheckConstraint("id <> ''", name="id"),
        sa.CheckConstraint("other_id <> ''", name="ck_some_rather_long_table_name_other"),
    )
    names = sorted(c.name for c in [*table.constraints, *table.indexes])
    assert all(len(name) <= 30 for name in names)
    assert "pk_some_rather_long_table_name" in names
    # A name given whole is not prefixed twice.
    assert fit_identifier("ck_some_rather_long_table_name_other") in names
    assert fit_identifier("ck_some_rather_long_table_name_id") in names
    assert fit_identifier("fk_some_rather_long_table_name_other_id_other") in names


def test_a_check_without_a_name_is_refused():
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    with pytest.raises(sa.exc.ArgumentError, match="needs a name"):
        sa.Table("t", metadata, sa.Column("x", sa.Integer), sa.CheckConstraint("x > 0"))


def test_seed_index_names_are_kept():
    for model, name in [(backport3.PersonsList, "create_persons_list_time_index"),
                        (backport3.DescriptorsList, "create_descr_list_time_index")]:
        (index,) = model.__table__.indexes
        assert index.name == name
        assert [c.name for c in index.columns] == ["account_id", "create_time"]
        sql = str(CreateIndex(index).compile(dialect=oracle.dialect()))
        assert sql == f"CREATE INDEX {name} ON {model.__tablename__} (account_id, create_time)"


def test_indexes_are_those_of_the_specified_schemas():
    def columns(schema):
        return {
            (t.name, tuple(c.name for c in i.columns))
            for t in MODELS[schema].metadata.tables.values() for i in t.indexes
        }

    assert columns("streams") == {
        ("stream", ("account_id", "create_time")), ("stream", ("status",)), ("log", ("stream_id", "time")),
        ("handler", ("handler_id",)), ("group_stream", ("stream_id",)),
    }
    assert columns("backport3") == {
        ("account_token", ("account_id",)), ("person", ("external_id",)), ("person", ("account_id", "create_time")),
        ("persons_list", ("account_id", "create_time")), ("descriptors_list", ("account_id", "create_time")),
        ("list_person", ("person_id",)), ("person_face", ("person_id",)),
    }


# --- Oracle DDL ------------------------------------------------------------------------


@pytest.mark.parametrize("version", ORACLE_DIALECTS)
@pytest.mark.parametrize("schema", MODELS)
def test_oracle_ddl_is_the_same_on_every_server_version(schema, version):
    """No BOOLEAN or JSON even when the dialect knows the server has them (23ai)."""
    metadata = MODELS[schema].metadata
    text = ddl(metadata, ORACLE_DIALECTS[version]())
    assert text == ddl(metadata, oracle_19c())
    assert not re.search(r"\bBOOLEAN\b", text)
    assert not re.search(r"\bJSON\b", text)
    # streams' times default to UTC now; backport3's have no default (the service writes them).
    assert ("SYS_EXTRACT_UTC(SYSTIMESTAMP)" in text) == (schema == "streams")
    assert "VARCHAR2(36 CHAR)" in text
    for column in bool_columns(metadata):
        assert re.search(rf"\n\s*{column.name} SMALLINT DEFAULT [01] NOT NULL", text)
        name = f"ck_{column.table.name}_{column.name}"
        assert f"CONSTRAINT {name} CHECK ({column.name} IN (0, 1))" in text
    for qualified in JSON_COLUMNS[schema]:
        assert re.search(rf"\n\s*{qualified.split('.')[1]} CLOB NOT NULL", text)


def test_the_23ai_dialect_would_make_plain_booleans_native():
    """The reason for `Bool`: SQLAlchemy's own Boolean follows the server version on Oracle."""
    table = sa.Table("t", sa.MetaData(), sa.Column("flag", sa.Boolean))
    assert "flag BOOLEAN" in str(CreateTable(table).compile(dialect=oracle_23ai()))
    assert "flag SMALLINT" in str(CreateTable(table).compile(dialect=oracle_19c()))


def test_oracle_specifics_of_streams():
    text = ddl(streams.metadata, oracle.dialect())
    assert 'CREATE TABLE "group"' in text
    assert 'REFERENCES "group" (group_id)' in text
    assert 'COMMENT ON TABLE "group"' in text
    assert "log_id NUMBER(19) GENERATED BY DEFAULT AS IDENTITY" in text
    assert "CONSTRAINT ck_stream_status CHECK (status IN ('pending', 'in_progress', 'done', 'restart', " \
           "'cancel', 'failure', 'pause', 'handler_lost'))" in text
    # '' is NULL on Oracle: NOT NULL DEFAULT '' would reject a stream without a name.
    assert re.search(r"\n\s*name VARCHAR2\(128 CHAR\), \n", text)
    assert "DEFAULT ''" not in text
    assert "attempt_count INTEGER DEFAULT 10 NOT NULL" in text
    assert "delay INTEGER DEFAULT 60 NOT NULL" in text


@pytest.mark.parametrize("schema", sorted(MODELS))
def test_every_empty_string_default_is_an_empty_string_column(schema):
    """The NOT NULL DEFAULT '' columns: EmptyString, so Oracle gets them right."""
    for table in MODELS[schema].metadata.tables.values():
        for column in table.columns:
            default = column.server_default
            if default is not None and getattr(default, "arg", None) == "":
                assert isinstance(column.type, EmptyString), f"{table.name}.{column.name}"
                assert not column.nullable


def test_empty_string_columns_read_back_as_empty_strings():
    """On Oracle the column holds NULL for ''; the services must still see ''."""
    processor = EmptyString(128).result_processor(oracle.dialect(), None)
    assert processor(None) == "" and processor("x") == "x"
    assert "DEFAULT '' NOT NULL" in ddl(streams.metadata, postgresql.dialect())


def test_oracle_specifics_of_backport3():
    text = ddl(backport3.metadata, oracle.dialect())
    assert "CONSTRAINT ck_handler_type CHECK (type IN (0, 1, 2))" in text
    assert "type INTEGER NOT NULL" in text
    assert "version INTEGER DEFAULT 1 NOT NULL" in text
    assert "ON DELETE CASCADE" in text


def _oracle_statements():
    for schema, module in MODELS.items():
        for statement in create_statements(module.metadata, oracle.dialect()):
            yield pytest.param(statement, id=f"{schema}:{statement.split('(')[0].split(' IS ')[0][:60]}")
        for name in module.metadata.info.get("views", {}):
            yield pytest.param(str(DropView(name).compile(dialect=oracle.dialect())), id=f"{schema}:drop {name}")


# Sorted: the DDL's index order follows a set's, which differs between processes, and
# pytest-xdist's workers must collect the same tests in the same order.
@pytest.mark.parametrize("statement", sorted(_oracle_statements(), key=lambda param: (param.id, param.values)))
def test_oracle_statements_parse(statement):
    """sqlglot reads each Oracle statement (it is lenient, so this catches gross mistakes only).

    sqlglot 30 parses every kind we emit (CREATE TABLE with identity,
    CREATE INDEX, COMMENT ON, CREATE OR REPLACE VIEW, DROP VIEW); a
    statement it cannot read would come back as a bare `Command`.
    """
    parsed = sqlglot.parse_one(statement, read="oracle")
    assert isinstance(parsed, (sqlglot.exp.Create, sqlglot.exp.Comment, sqlglot.exp.Drop)), type(parsed)


@pytest.mark.parametrize("schema", MODELS)
def test_postgres_statements_parse(schema):
    for statement in create_statements(MODELS[schema].metadata, postgresql.dialect()):
        parsed = sqlglot.parse_one(statement, read="postgres")
        assert isinstance(parsed, (sqlglot.exp.Create, sqlglot.exp.Comment)), statement


# --- PostgreSQL DDL ----------------------------------------------------------------------


def test_postgres_ddl_uses_native_types_and_utc_defaults():
    text = ddl(streams.metadata, postgresql.dialect())
    assert "restart BOOLEAN DEFAULT false NOT NULL" in text
    assert "create_time TIMESTAMP WITHOUT TIME ZONE DEFAULT timezone('utc', now()) NOT NULL" in text
    assert "IN (0, 1)" not in text
    assert "data TEXT NOT NULL" in text
    assert "log_id BIGINT GENERATED BY DEFAULT AS IDENTITY" in text
    assert 'CREATE TABLE "group"' in text
    text = ddl(backport3.metadata, postgresql.dialect())
    assert "active BOOLEAN DEFAULT true NOT NULL" in text
    assert "policies TEXT NOT NULL" in text
    assert "IN (0, 1)" not in text


# --- types and defaults --------------------------------------------------------------------


def test_bool_binds_and_reads_back():
    bool_type = backport3.Account.__table__.c.active.type
    assert bool_type.process_bind_param(True, oracle.dialect()) == 1
    assert bool_type.process_bind_param(False, oracle_23ai()) == 0
    assert bool_type.process_bind_param(True, postgresql.dialect()) is True
    assert bool_type.process_bind_param(None, oracle.dialect()) is None
    assert bool_type.process_result_value(0, oracle.dialect()) is False
    assert bool_type.process_result_value(1, oracle.dialect()) is True


def test_bool_values_written_into_sql():
    """Offline scripts write values in: 1/0 on Oracle, true/false on PostgreSQL."""
    statement = sa.insert(streams.Restart.__table__).values(stream_id="s", restart=True)
    assert "VALUES ('s', 1)" in str(statement.compile(dialect=oracle_23ai(), compile_kwargs={"literal_binds": True}))
    pg = str(statement.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
    assert "VALUES ('s', true)" in pg


def test_server_default_constructs_compile_per_dialect():
    assert str(utcnow().compile(dialect=postgresql.dialect())) == "timezone('utc', now())"
    assert str(utcnow().compile(dialect=oracle.dialect())) == "SYS_EXTRACT_UTC(SYSTIMESTAMP)"
    assert str(bool_literal(True).compile(dialect=postgresql.dialect())) == "true"
    assert str(bool_literal(False).compile(dialect=oracle_23ai())) == "0"


@pytest.mark.parametrize("dialect_name", ["postgresql", "oracle"])
def test_defaults_work_in_offline_alembic_operations(dialect_name):
    """Hand-written migrations use the same constructs: op.add_column(..., server_default=utcnow())."""
    buffer = io.StringIO()
    context = MigrationContext.configure(
        dialect_name=dialect_name,
        opts={"as_sql": True, "output_buffer": buffer, "target_metadata": streams.metadata},
    )
    op = Operations(context)
    op.add_column("stream", sa.Column("seen_time", sa.TIMESTAMP, nullable=False, server_default=utcnow()))
    op.add_column("stream", sa.Column("muted", Bool, nullable=False, server_default=bool_literal(False)))
    script = buffer.getvalue()
    if dialect_name == "oracle":
        assert "seen_time TIMESTAMP DEFAULT SYS_EXTRACT_UTC(SYSTIMESTAMP) NOT NULL" in script
        assert "muted SMALLINT DEFAULT 0 NOT NULL" in script
    else:
        assert "seen_time TIMESTAMP WITHOUT TIME ZONE DEFAULT timezone('utc', now()) NOT NULL" in script
        assert "muted BOOLEAN DEFAULT false NOT NULL" in script


# --- views -----------------------------------------------------------------------------------


def test_views_are_table_objects_usable_in_selects():
    assert isinstance(streams.stream_view, sa.TableClause)
    assert not isinstance(streams.stream_view, sa.Table)
    query = sa.select(streams.stream_view.c.stream_id, streams.stream_view.c.restart_status)
    assert str(query) == "SELECT stream_view.stream_id, stream_view.restart_status \nFROM stream_view"
    assert list(streams.group_view.c.keys()) == [*EXPECTED_COLUMNS["streams"]["group"], "stream_count"]
    assert isinstance(streams.stream_view.c.restart.type, Bool)
    assert list(streams.metadata.info["views"]) == ["stream_view", "group_view"]
    assert streams.metadata.info["views"]["stream_view"][0] is streams.stream_view
    assert "views" not in backport3.metadata.info


def test_stream_view_has_one_row_per_stream_with_unambiguous_columns():
    columns = list(streams.stream_view.c.keys())
    assert len(columns) == len(set(columns))
    assert columns[: len(EXPECTED_COLUMNS["streams"]["stream"])] == EXPECTED_COLUMNS["streams"]["stream"]
    for extra in ["city", "geo_position_longitude", "restart", "attempt_count", "restart_status", "handler_id",
                  "last_feedback_time"]:
        assert extra in columns


@pytest.mark.parametrize("dialect", [postgresql.dialect(), oracle.dialect()], ids=["postgresql", "oracle"])
def test_view_ddl(dialect):
    stream_sql, group_sql = (str(create.compile(dialect=dialect)) for create in view_ddl(streams.metadata))
    create = "CREATE OR REPLACE VIEW" if dialect.name == "oracle" else "CREATE VIEW"
    assert stream_sql.startswith(f"{create} stream_view AS SELECT stream.stream_id,")
    assert stream_sql.count("LEFT OUTER JOIN") == 3
    assert "restart.status AS restart_status" in stream_sql
    assert group_sql.startswith(f'{create} group_view AS SELECT "group".group_id,')
    assert 'count(group_stream.stream_id) AS stream_count' in group_sql
    assert 'FROM "group" LEFT OUTER JOIN group_stream ON group_stream.group_id = "group".group_id GROUP BY' in group_sql
    drop = str(DropView("group_view").compile(dialect=dialect))
    assert drop == ("DROP VIEW group_view" if dialect.name == "oracle" else "DROP VIEW IF EXISTS group_view")


def test_views_come_and_go_with_the_tables():
    emitted = []
    dialect = postgresql.dialect()
    connection = MockConnection(dialect, lambda sql, *a: emitted.append(str(sql.compile(dialect=dialect)).strip()))
    streams.metadata.create_all(connection, checkfirst=False)
    assert emitted[-2].startswith("CREATE VIEW stream_view")
    assert emitted[-1].startswith("CREATE VIEW group_view")
    emitted.clear()
    streams.metadata.drop_all(connection, checkfirst=False)
    assert emitted[:2] == ["DROP VIEW IF EXISTS group_view", "DROP VIEW IF EXISTS stream_view"]
    assert emitted[2].startswith("DROP TABLE")


def test_view_helper_on_its_own_metadata():
    metadata = sa.MetaData()
    table = sa.Table("t", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("roi", sa.Text))
    some_view = view("some_view", sa.select(table.c.roi).where(table.c.id > 5))
    assert list(some_view.c.keys()) == ["roi"]
    assert list(metadata.info["views"]) == ["some_view"]
    sql = str(CreateView("some_view", metadata.info["views"]["some_view"][1]).compile(dialect=postgresql.dialect()))
    # The view's query holds its values, it has no bind parameters.
    assert sql == "CREATE VIEW some_view AS SELECT t.roi \nFROM t \nWHERE t.id > 5"
    view("some_view", sa.select(table.c.id))  # redefined: replaced, listeners not doubled
    emitted = []
    dialect = postgresql.dialect()
    metadata.create_all(MockConnection(dialect, lambda sql, *a: emitted.append(str(sql.compile(dialect=dialect)))))
    assert [s for s in emitted if "VIEW" in s] == ["CREATE VIEW some_view AS SELECT t.id \nFROM t"]


# --- import cost ---------------------------------------------------------------------------------


def test_the_models_package_imports_no_sqlalchemy():
    """`luna-db --help` imports luna_db_tools.models' package; it must stay cheap."""
    code = "import sys, luna_db_tools.models; assert 'sqlalchemy' not in sys.modules, 'sqlalchemy imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_oracle_spelling_of_a_default_is_not_drift():
    """Oracle returns a default as typed, spacing and case included; EmptyString has none there."""
    from luna_db_tools.analysis.schema.alembic_drift import empty_string_columns, is_false_alarm

    empty = empty_string_columns(streams.metadata)
    assert ("stream", "name") in empty and ("group", "description") in empty
    reflected = sa.DefaultClause(sa.text("sys_extract_utc(systimestamp) \n"))
    modelled = sa.DefaultClause(utcnow())
    respelled = ("modify_default", None, "stream", "create_time", {}, reflected, modelled)
    assert is_false_alarm(oracle.dialect(), respelled, empty)
    assert not is_false_alarm(postgresql.dialect(), respelled, empty)
    changed = ("modify_default", None, "stream", "version", {}, sa.DefaultClause(sa.text("2")),
               sa.DefaultClause(sa.text("1")))
    assert not is_false_alarm(oracle.dialect(), changed, empty)
    dropped_by_modify_default_null = ("modify_default", None, "person", "create_time", {},
                                      sa.DefaultClause(sa.text("NULL ")), None)
    assert is_false_alarm(oracle.dialect(), dropped_by_modify_default_null, empty)
    nullable_by_design = ("modify_nullable", None, "stream", "name", {}, True, False)
    assert is_false_alarm(oracle.dialect(), nullable_by_design, empty)
    nullable_by_mistake = ("modify_nullable", None, "stream", "account_id", {}, True, False)
    assert not is_false_alarm(oracle.dialect(), nullable_by_mistake, empty)
