"""Oracle's database part is a SID, as in LUNA's settings; `?service_name=` names a service.

No server needed: the connect descriptor luna-db hands python-oracledb, and
`luna-db dsn --json`."""

from __future__ import annotations

import json

import pytest

from luna_db_tools.config.settings import ConnectionOptions, resolve_settings
from luna_db_tools.db.engine import oracle_descriptor
from luna_db_tools.errors import BadInput
from tests.clirunner import invoke


def resolve(**options):
    return resolve_settings(ConnectionOptions(schema="backport3", **options), environ={})


def dsn_json(*args):
    result = invoke("dsn", "--json", "--schema", "backport3", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_the_database_part_is_a_sid():
    settings = resolve(dsn="oracle://u:p@ora1:1521,ora2/LUNA")
    assert oracle_descriptor(settings) == (
        "(DESCRIPTION=(CONNECT_TIMEOUT=5)(TRANSPORT_CONNECT_TIMEOUT=5)(RETRY_COUNT=0)"
        "(ADDRESS_LIST=(LOAD_BALANCE=OFF)(FAILOVER=ON)"
        "(ADDRESS=(PROTOCOL=TCP)(HOST=ora1)(PORT=1521))(ADDRESS=(PROTOCOL=TCP)(HOST=ora2)(PORT=1521)))"
        "(CONNECT_DATA=(SID=LUNA)))"
    )


def test_db_name_is_a_sid_and_the_default_sid_is_the_schemas_database():
    assert oracle_descriptor(resolve(db_type="oracle", db_name="ORCL")).endswith("(CONNECT_DATA=(SID=ORCL)))")
    assert oracle_descriptor(resolve(db_type="oracle")).endswith("(CONNECT_DATA=(SID=luna_backport3)))")


@pytest.mark.parametrize("dsn", ["oracle://u:p@ora1/?service_name=FREEPDB1", "oracle://u:p@ora1?service_name=FREEPDB1"])
def test_service_name_selects_a_service_and_the_database_part_may_be_empty(dsn):
    settings = resolve(dsn=dsn)
    descriptor = oracle_descriptor(settings)
    assert descriptor.endswith("(CONNECT_DATA=(SERVICE_NAME=FREEPDB1)))") and "SID=" not in descriptor
    # Not a driver option: python-oracledb would see it twice.
    assert "service_name" not in settings.driver_options


def test_service_name_wins_over_a_sid():
    settings = resolve(dsn="oracle://u:p@ora1/LUNA?service_name=svc.example", db_name="OTHER")
    assert oracle_descriptor(settings).endswith("(CONNECT_DATA=(SERVICE_NAME=svc.example)))")


def test_dsn_json_says_sid_or_service_name():
    sid = dsn_json("--dsn", "oracle://u:Secret-1@ora1/LUNA")
    assert sid["sid"] == "LUNA" and "service_name" not in sid
    service = dsn_json("--dsn", "oracle://u:Secret-1@ora1/?service_name=FREEPDB1&connect_timeout=3")
    assert service["service_name"] == "FREEPDB1" and "sid" not in service
    assert service["options"] == {"connect_timeout": "3"}
    assert "Secret-1" not in json.dumps(sid) + json.dumps(service)
    postgres = dsn_json("--dsn", "u:p@pg1/luna_backport3")
    assert "sid" not in postgres and "service_name" not in postgres


def test_a_sid_from_luna_config_conf(tmp_path):
    config = tmp_path / "config.conf"
    config.write_text("[LUNA_BACKPORT3_DB]\nDB_TYPE = oracle\nDB_HOST = ora\nDB_NAME = LUNASID\n")
    assert dsn_json("--config", str(config))["sid"] == "LUNASID"


@pytest.mark.parametrize(
    "options, named",
    [
        ({"dsn": "oracle://u:p@ora1/?service_name="}, "service_name= is empty"),
        ({"dsn": "oracle://u:p@ora1/?service_name=A)(SID%3DB"}, "service name"),
        ({"dsn": "oracle://u:p@ora1/X)(SERVICE_NAME%3DY"}, "SID"),
        ({"db_type": "oracle", "db_name": "two words"}, "SID"),
    ],
)
def test_a_name_that_would_break_the_descriptor_is_bad_input(options, named):
    with pytest.raises(BadInput, match=named):
        resolve(**options)
