"""Live Oracle, per release: the offline script for the server's own release runs in it,
and a schema the server is too old for is refused before any DDL.

On Oracle 11.2 (gvenzl/oracle-xe:11 in .github/workflows/oracle.yml) this is
where a Backport 3 script for 11.2 is shown to run; on a current release, both
schemas. Not run here: no Oracle server and no Docker engine.
"""

from __future__ import annotations

import json

import pytest

from luna_db_tools.db.server_version import OLDEST_ORACLE
from luna_db_tools.runtime.offline import release_name
from tests.clirunner import invoke
from tests.sqlscripts import statements

pytestmark = pytest.mark.oracle


@pytest.mark.parametrize("schema", ["backport3", "streams"])
def test_the_create_script_for_the_servers_release_runs_there_and_leaves_the_head(oracle_db, oracle_release, schema):
    printed = invoke("create", "--sql", "--schema", schema, "--db-type", "oracle",
                     "--oracle-version", release_name(oracle_release))
    assert printed.exit_code == 0, printed.stderr
    # As SQL*Plus would run it, statement by statement, over the user's own session.
    with oracle_db.connect() as connection, connection.cursor() as cursor:
        for statement in statements(printed.stdout, "oracle"):
            cursor.execute(statement)
        connection.commit()
    status = invoke("status", "--json", "--schema", schema, "--dsn", oracle_db.dsn)
    report = json.loads(status.stdout)
    assert status.exit_code == 0, status.stdout
    assert report["at_head"] is True and not report["drift"], report


def test_a_schema_too_new_for_the_server_is_refused_before_any_ddl(oracle_db, oracle_release):
    if oracle_release >= OLDEST_ORACLE["streams"]:
        pytest.skip(f"Oracle {release_name(oracle_release)} holds every schema: nothing to refuse")
    result = invoke("create", "--schema", "streams", "--dsn", oracle_db.dsn)
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1, result.stderr
    assert "the streams schema needs Oracle 12.1 or newer" in result.stderr
    assert oracle_db.fetch_all("SELECT table_name FROM user_tables") == []
