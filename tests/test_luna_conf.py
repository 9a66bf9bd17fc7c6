"""`--config` with LUNA's own settings files: a service's config.conf and the Configurator's JSON."""

from __future__ import annotations

import json

import pytest

from luna_db_tools.config.luna_conf import read_luna_config
from luna_db_tools.config.settings import ConnectionOptions, resolve_settings
from luna_db_tools.errors import ConfigError
from tests.clirunner import invoke

# A Backport 3 config.conf as the service ships it: other sections, LUNA's
# `#:` comments, upper-case keys, an unset DSN, a pool size luna-db ignores.
CONFIG_CONF = """\
[LUNA_CONFIGURATOR]
#: [integer] load configs from LUNA Configurator
USE_CONFIGURATOR = 0
LUNA_CONFIGURATOR_ORIGIN = http://127.0.0.1:5070

[LUNA_BACKPORT3_DB]
#: [string] Type of database: "postgres" or "oracle"
DB_TYPE = postgres
DB_HOST = {host}
DB_PORT = {port}
DB_USER = {user}
DB_PASSWORD = {password}
DB_NAME = {database}
#: [string] DSN: takes precedence over the separate parameters
DSN =
#: [integer] Database connection pool size
CONNECTION_POOL_SIZE = 10

[LUNA_BACKPORT3_LOGGER]
LOG_LEVEL = INFO
"""


def write(tmp_path, text, name="config.conf"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def resolve(path, schema="backport3", **options):
    return resolve_settings(ConnectionOptions(schema=schema, config=str(path), **options), environ={})


def sample(tmp_path):
    return write(tmp_path, CONFIG_CONF.format(
        host="db01", port="5433", user="bp3", password="p%w;d#1", database="luna_backport3"
    ))


def test_a_services_config_conf_drives_the_settings(tmp_path):
    settings = resolve(sample(tmp_path))
    assert (settings.db_type, settings.user, settings.database) == ("postgres", "bp3", "luna_backport3")
    assert [(h.host, h.port) for h in settings.hosts] == [("db01", 5433)]
    # No interpolation, no inline comments: '%', ';' and '#' are the password's.
    assert settings.password == "p%w;d#1"


def test_the_schema_follows_from_the_files_one_database_section(tmp_path):
    assert resolve(sample(tmp_path), schema=None).schema == "backport3"


def test_keys_and_section_names_are_matched_without_case(tmp_path):
    path = write(tmp_path, "[luna_backport3_db]\ndb_host = h1\nDb_Port = 6000\nConnection_Pool_Size = 3\n")
    settings = resolve(path)
    assert [(h.host, h.port) for h in settings.hosts] == [("h1", 6000)]


def test_a_dsn_in_config_conf(tmp_path):
    path = write(tmp_path, "[LUNA_STREAMS_DB]\nDSN = luna:pw@pg01:5432,pg02:5432/luna_streams\n")
    settings = resolve(path, schema="streams")
    assert [h.host for h in settings.hosts] == ["pg01", "pg02"] and settings.password == "pw"


@pytest.mark.parametrize(
    "text, named",
    [
        ("[LUNA_BACKPORT3_DB]\ndb_hots = h\n", "unknown key db_hots in [LUNA_BACKPORT3_DB]"),
        ("[LUNA_BACKPORT3_DB]\ndb_hots = h\n", "did you mean DB_HOST?"),
        ("[LUNA_BACKPORT3_DB]\nCONECTION_POOL_SIZE = 5\n", "did you mean CONNECTION_POOL_SIZE?"),
        ("[LUNA_BACKPORT3_DB]\nDB_FLAVOUR = x\n", "unknown key DB_FLAVOUR"),
        ("[LUNA_STREAMS_DB]\nDB_HOST = h\n", "has no [LUNA_BACKPORT3_DB] section"),
        ("[LUNA_BACKPORT3_BD]\nDB_HOST = h\n", "[LUNA_BACKPORT3_BD] is there: misspelt?"),
        ("[LUNA_BACKPORT3_DB]\nDB_HOST = a\nDB_HOST = b\n", "DB_HOST appears twice"),
        ("[LUNA_BACKPORT3_DB]\nDB_HOST = a\ndb_host = b\n", "appears twice"),
        ("DB_HOST = h\n", "outside any [SECTION]"),
        ("[LUNA_BACKPORT3_DB]\nDB_PORT = 99999\n", "db_port"),
    ],
)
def test_mistakes_are_bad_input_naming_the_key_or_section(tmp_path, text, named):
    with pytest.raises(ConfigError) as caught:
        resolve(write(tmp_path, text))
    assert named in str(caught.value)
    assert caught.value.exit_code == 2


def test_a_typo_is_exit_2_with_one_line_naming_the_key_and_no_value(tmp_path):
    path = write(tmp_path, "[LUNA_BACKPORT3_DB]\nDB_PASSWORD = Conf-Secret-7\ndb_hots = h\n")
    result = invoke("dsn", "--json", "--schema", "backport3", "--config", str(path))
    assert result.exit_code == 2
    assert "db_hots" in result.stderr and "did you mean DB_HOST?" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert "Conf-Secret-7" not in result.stderr + result.stdout


def test_the_configurators_json(tmp_path):
    path = write(tmp_path, json.dumps({
        "LUNA_BACKPORT3_DB": {"db_type": "postgres", "DB_HOST": "j1", "db_port": 5434, "dsn": "",
                              "connection_pool_size": 5, "db_settings": {"connection_pool_size": 5}},
        "LUNA_BACKPORT3_LOGGER": {"log_level": "INFO"},
    }), name="settings.json")
    settings = resolve(path)
    assert [(h.host, h.port) for h in settings.hosts] == [("j1", 5434)]
    with pytest.raises(ConfigError, match="unknown key db_hots .*did you mean DB_HOST"):
        resolve(write(tmp_path, json.dumps({"LUNA_BACKPORT3_DB": {"db_hots": "x"}}), name="typo.json"))


def test_a_configurator_settings_dump(tmp_path):
    path = write(tmp_path, json.dumps({"settings": [
        {"name": "LUNA_BACKPORT3_DB", "value": {"db_host": "d1", "db_name": "bp"}, "tags": []},
        {"name": "LUNA_BACKPORT3_LOGGER", "value": {"log_level": "INFO"}},
    ]}), name="dump.json")
    settings = resolve(path)
    assert settings.hosts[0].host == "d1" and settings.database == "bp"


def test_only_the_database_sections_are_read(tmp_path):
    config = read_luna_config(sample(tmp_path))
    assert set(config.sections) == {"LUNA_BACKPORT3_DB"}
    assert "LUNA_CONFIGURATOR" in config.section_names
    assert "connection_pool_size" not in config.sections["LUNA_BACKPORT3_DB"]
    assert "dsn" not in config.sections["LUNA_BACKPORT3_DB"]  # `DSN =` is unset, not an empty DSN
    assert "p%w" not in repr(config)


def test_an_operators_config_conf_drives_luna_db_unchanged(fresh_db, tmp_path):
    server = fresh_db.server
    path = write(tmp_path, CONFIG_CONF.format(
        host=server.host, port=server.port, user=server.user, password=server.password, database=fresh_db.name
    ))
    created = invoke("create", "--schema", "backport3", "--config", str(path))
    assert created.exit_code == 0, created.stderr
    status = invoke("status", "--schema", "backport3", "--config", str(path))
    assert status.exit_code == 0 and "at head" in status.stdout
    assert server.password not in created.stdout + created.stderr + status.stdout + status.stderr
