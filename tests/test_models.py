"""The models of both schemas, compiled for PostgreSQL and Oracle; no database needed."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import oracle, postgresql
from sqlalchemy.schema import CreateIndex, CreateTable

from luna_db_tools.models import backport3, streams
from luna_db_tools.models.base import fit_identifier

METADATAS = {"streams": streams.metadata, "backport3": backport3.metadata}

# SCHEMAS.md, column by column, in table order.
EXPECTED_COLUMNS = {
    "stream": ["stream_id", "account_id", "name", "description", "data", "event_handler", "policies",
               "status", "version", "create_time", "last_update_time"],
    "location": ["stream_id", "city", "area", "district", "street", "house_number",
                 "geo_position_latitude", "geo_position_longitude"],
    "restart": ["stream_id", "restart", "attempt_count", "delay", "current_attempt", "last_attempt_time", "status"],
    "handler": ["stream_id", "handler_id", "last_feedback_time"],
    "log": ["log_id", "stream_id", "time", "status", "error"],
    "group": ["group_id", "account_id", "group_name", "description", "create_time"],
    "group_stream": ["group_id", "stream_id"],
    "single_process_lock": ["lock_name", "instance_id", "heartbeat_time"],
}
EXPECTED_BACKPORT3_COLUMNS = {
    "account": ["account_id", "active"],
    "account_token": ["token_id", "account_id", "token"],
    "person": ["person_id", "account_id", "user_data", "external_id", "create_time"],
    "persons_list": ["list_id", "account_id", "create_time"],
    "descriptors_list": ["list_id", "account_id", "create_time"],
    "list_person": ["list_id", "person_id"],
    "person_face": ["face_id", "person_id"],
    "handler": ["handler_id", "account_id", "create_time", "last_update_time", "policies", "type", "version"],
}


def oracle_23ai():
    """An Oracle dialect that believes it talks to 23ai, which has native BOOLEAN."""
    dialect = oracle.dialect()
    dialect.server_version_info = (23, 4)
    dialect.supports_native_boolean = True
    return dialect


def ddl(metadata, dialect) -> str:
    statements = []
    for table in metadata.sorted_tables:
        statements.append(str(CreateTable(table).compile(dialect=dialect)))
        statements += [str(CreateIndex(index).compile(dialect=dialect)) for index in table.indexes]
    return "\n".join(statements)


@pytest.mark.parametrize(
    "metadata, expected",
    [(streams.metadata, EXPECTED_COLUMNS), (backport3.metadata, EXPECTED_BACKPORT3_COLUMNS)],
)
def test_tables_and_columns_are_those_of_schemas_md(metadata, expected):
    assert {name: [c.name for c in table.columns] for name, table in metadata.tables.items()} == expected


@pytest.mark.parametrize("metadata", METADATAS.values(), ids=METADATAS)
def test_every_table_and_column_has_a_comment(metadata):
    for table in metadata.tables.values():
        assert table.comment
        for column in table.columns:
            assert column.comment, f"{table.name}.{column.name}"


@pytest.mark.parametrize("metadata", METADATAS.values(), ids=METADATAS)
def test_every_constraint_and_index_has_a_name_within_30_characters(metadata):
    for table in metadata.tables.values():
        for item in [*table.constraints, *table.indexes]:
            assert item.name, f"unnamed {type(item).__name__} on {table.name}"
            assert len(item.name) <= 30, item.name
    names = [i.name for t in metadata.tables.values() for i in [*t.constraints, *t.indexes]]
    # Oracle's constraint names share one namespace per schema.
    assert len(names) == len(set(names))


def test_long_names_are_cut_deterministically():
    long = "fk_group_stream_stream_id_stream"
    assert len(fit_identifier(long)) == 30
    assert fit_identifier(long) == fit_identifier(long)
    assert fit_identifier(long) != fit_identifier(long + "x")
    assert fit_identifier("ix_short") == "ix_short"


def test_seed_index_names_are_kept():
    assert {i.name for i in backport3.PersonsList.__table__.indexes} == {"create_persons_list_time_index"}
    assert {i.name for i in backport3.DescriptorsList.__table__.indexes} == {"create_descr_list_time_index"}


@pytest.mark.parametrize("dialect", [oracle.dialect(), oracle_23ai()], ids=["19c", "23ai"])
@pytest.mark.parametrize("metadata", METADATAS.values(), ids=METADATAS)
def test_oracle_ddl_has_no_boolean_or_json_and_checks_each_boolean(metadata, dialect):
    text = ddl(metadata, dialect)
    assert not re.search(r"\bBOOLEAN\b", text)
    assert not re.search(r"\bJSON\b", text)
    assert "SYS_EXTRACT_UTC(SYSTIMESTAMP)" in text
    assert "VARCHAR2(36 CHAR)" in text
    for table in metadata.tables.values():
        for column in table.columns:
            if isinstance(column.type, sa.types.TypeDecorator) and column.type.impl_instance.__class__ is sa.Boolean:
                assert re.search(rf"{column.name} SMALLINT DEFAULT [01] NOT NULL", text)
                assert f"CONSTRAINT ck_{table.name}_{column.name} CHECK ({column.name} IN (0, 1))" in text


def test_oracle_specifics_of_streams():
    text = ddl(streams.metadata, oracle.dialect())
    assert 'CREATE TABLE "group"' in text
    assert "GENERATED BY DEFAULT AS IDENTITY" in text
    assert "data CLOB NOT NULL" in text


def test_postgres_ddl_uses_native_types_and_utc_defaults():
    text = ddl(streams.metadata, postgresql.dialect())
    assert "restart BOOLEAN DEFAULT false NOT NULL" in text
    assert "DEFAULT timezone('utc', now())" in text
    assert "CHECK (restart IN (0, 1))" not in text
    assert "account_id" in ddl(backport3.metadata, postgresql.dialect())
    assert "active BOOLEAN DEFAULT true NOT NULL" in ddl(backport3.metadata, postgresql.dialect())


def test_get_column_names_in_table_order():
    assert backport3.Handler.getColumnNames() == EXPECTED_BACKPORT3_COLUMNS["handler"]
    assert streams.Handler.getColumnNames() == EXPECTED_COLUMNS["handler"]


def test_views_are_table_objects_usable_in_selects():
    assert isinstance(streams.stream_view, sa.TableClause)
    assert not isinstance(streams.stream_view, sa.Table)
    query = sa.select(streams.stream_view.c.stream_id, streams.stream_view.c.restart_status)
    assert "FROM stream_view" in str(query)
    assert "stream_count" in streams.group_view.c
    assert list(streams.metadata.info["views"]) == ["stream_view", "group_view"]


def test_views_come_and_go_with_the_tables():
    emitted = []
    engine = sa.create_mock_engine("postgresql://", lambda sql, *a, **k: emitted.append(str(sql.compile(dialect=engine.dialect))))
    streams.metadata.create_all(engine, checkfirst=False)
    assert emitted[-2].startswith("CREATE VIEW stream_view")
    assert emitted[-1].startswith("CREATE VIEW group_view")
    emitted.clear()
    streams.metadata.drop_all(engine, checkfirst=False)
    assert emitted[:2] == ["DROP VIEW IF EXISTS group_view", "DROP VIEW IF EXISTS stream_view"]


def test_oracle_booleans_bind_as_integers():
    bind = backport3.Account.__table__.c.active.type.process_bind_param
    assert bind(True, oracle.dialect()) == 1 and bind(False, oracle.dialect()) == 0
    assert bind(True, postgresql.dialect()) is True
