"""backport3 as the seed page prints it: the models, and a database luna-db builds.

The seed page (`shared/seeds/backport3-db.txt`, LUNA Backport 3's own model
documentation) prints the SQLAlchemy reprs of both pagination indexes; a
Column repr names `nullable=False`, `default` and `server_default` whenever
they are set. Those reprs are quoted here exactly, read back into Columns,
and held against the models and against the tables `create` and
`upgrade head` build on a real PostgreSQL.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from luna_db_tools.models import backport3
from tests.clirunner import invoke

# Quoted from the seed page, character for character.
SEED_INDEX_REPRS = {
    "persons_list": (
        "Index('create_persons_list_time_index', Column('account_id', String(length=36), "
        "ForeignKey('account.account_id'), table=<persons_list>, comment='uuid4: id of the account to which "
        "the list belongs'), Column('create_time', TIMESTAMP(), table=<persons_list>, nullable=False, "
        "comment='date: list create time'))"
    ),
    "descriptors_list": (
        "Index('create_descr_list_time_index', Column('account_id', String(length=36), "
        "ForeignKey('account.account_id'), table=<descriptors_list>, comment='uuid4: id of the account to "
        "which the list belongs'), Column('create_time', TIMESTAMP(), table=<descriptors_list>, "
        "nullable=False, comment='list: person create time'))"
    ),
}


def seed_index(table: str):
    """The seed's repr read back: (index name, [Column, ...]) with exactly the attributes it prints."""
    text = re.sub(r"table=<\w+>, ", "", SEED_INDEX_REPRS[table])
    name, columns = re.fullmatch(r"Index\('(\w+)', (.*)\)", text).groups()
    namespace = {"Column": sa.Column, "String": sa.String, "TIMESTAMP": sa.TIMESTAMP, "ForeignKey": sa.ForeignKey}
    return name, list(eval(f"[{columns}]", namespace))  # noqa: S307 - a constant of this file


@pytest.mark.parametrize("table", SEED_INDEX_REPRS)
def test_the_models_print_the_seeds_index_reprs(table):
    (index,) = [i for i in backport3.metadata.tables[table].indexes if i.name == seed_index(table)[0]]
    assert repr(index) == SEED_INDEX_REPRS[table]


@pytest.mark.parametrize("build", ["create", "upgrade"])
def test_a_database_luna_db_builds_matches_the_seed(fresh_db, build):
    result = invoke(build, "--schema", "backport3", "--dsn", fresh_db.dsn)
    assert result.exit_code == 0, result.stderr
    engine = sa.create_engine(fresh_db.url, poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        inspector = sa.inspect(connection)
        for table in SEED_INDEX_REPRS:
            name, seed_columns = seed_index(table)
            reflected = {c["name"]: c for c in inspector.get_columns(table)}
            for seed in seed_columns:
                column = reflected[seed.name]
                shown = (column["nullable"], column["default"], column["comment"])
                assert shown == (seed.nullable, None, seed.comment), f"{table}.{seed.name}"
                assert isinstance(column["type"], type(seed.type)), f"{table}.{seed.name}: {column['type']!r}"
                if isinstance(seed.type, sa.String):
                    assert column["type"].length == seed.type.length
            indexes = {i["name"]: i["column_names"] for i in inspector.get_indexes(table)}
            assert indexes[name] == [c.name for c in seed_columns]
            foreign_keys = {
                (tuple(fk["constrained_columns"]), fk["referred_table"], tuple(fk["referred_columns"]))
                for fk in inspector.get_foreign_keys(table)
            }
            assert (("account_id",), "account", ("account_id",)) in foreign_keys
        # The rest of the seed's shape: no backport3 time has a default; type is an integer.
        for table, column in [("person", "create_time"), ("handler", "create_time"),
                              ("handler", "last_update_time")]:
            reflected = {c["name"]: c for c in inspector.get_columns(table)}[column]
            assert (reflected["nullable"], reflected["default"]) == (False, None), f"{table}.{column}"
        handler_type = {c["name"]: c for c in inspector.get_columns("handler")}["type"]
        assert isinstance(handler_type["type"], sa.INTEGER) and not isinstance(handler_type["type"], sa.SMALLINT)
        checks = {c["name"]: c["sqltext"] for c in inspector.get_check_constraints("handler")}
        assert re.findall(r"\d", checks["ck_handler_type"]) == ["0", "1", "2"]


def test_b0004_keeps_the_rows_and_a_list_without_account_blocks_the_downgrade(fresh_db):
    def run(*args):
        result = invoke(*args, "--schema", "backport3", "--dsn", fresh_db.dsn)
        return result

    assert run("upgrade", "b0003").exit_code == 0
    engine = sa.create_engine(fresh_db.url, poolclass=sa.pool.NullPool)
    with engine.begin() as connection:
        connection.execute(sa.text("INSERT INTO account (account_id) VALUES ('a-1')"))
        connection.execute(sa.text(
            "INSERT INTO descriptors_list (list_id, account_id, create_time) VALUES ('l-1', 'a-1', '2020-01-02 03:04:05')"
        ))
        connection.execute(sa.text(
            "INSERT INTO handler (handler_id, account_id, policies, type) VALUES ('h-1', 'a-1', '{}', 2)"
        ))
    assert run("upgrade", "head").exit_code == 0
    with engine.begin() as connection:
        assert connection.execute(sa.text("SELECT list_id, account_id, create_time::text FROM descriptors_list")).all() == [
            ("l-1", "a-1", "2020-01-02 03:04:05")
        ]
        assert connection.execute(sa.text("SELECT type, pg_typeof(type)::text FROM handler")).one() == (2, "integer")
        # The service writes its times; a list may have no account.
        connection.execute(sa.text(
            "INSERT INTO persons_list (list_id, account_id, create_time) VALUES ('l-2', NULL, '2021-01-01')"
        ))
        with pytest.raises(sa.exc.IntegrityError):
            with connection.begin_nested():
                connection.execute(sa.text("INSERT INTO persons_list (list_id) VALUES ('l-3')"))
    blocked = run("downgrade", "b0003")
    assert blocked.exit_code == 1
    assert "account_id" in blocked.stderr and "Traceback" not in blocked.stderr
    with engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM persons_list WHERE account_id IS NULL"))
    assert run("downgrade", "b0003").exit_code == 0
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT type, pg_typeof(type)::text FROM handler")).one() == (2, "smallint")
