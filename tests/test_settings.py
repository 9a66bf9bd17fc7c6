"""The settings rules (config/settings.py), case by case: defaults, precedence, config file, errors.

No database is needed: `resolve_settings` is pure.
"""

from __future__ import annotations

import json

import pytest

from luna_db_tools.config.dsn import HostPort
from luna_db_tools.config.settings import ConnectionOptions, resolve_settings
from luna_db_tools.errors import BadInput, ConfigError, DsnError


def resolve(environ=None, **options):
    return resolve_settings(ConnectionOptions(**options), environ or {})


def test_defaults_per_schema_for_postgres():
    settings = resolve(schema="streams")
    assert settings.db_type == "postgres"
    assert settings.user == "luna"
    assert settings.password == "luna"
    assert settings.hosts == (HostPort("127.0.0.1", 5432),)
    assert settings.database == "luna_streams"
    assert resolve(schema="backport3").database == "luna_backport3"


def test_defaults_for_oracle_use_port_1521():
    settings = resolve(schema="backport3", db_type="oracle")
    assert settings.hosts == (HostPort("127.0.0.1", 1521),)
    assert settings.database == "luna_backport3"


def test_documented_multihost_form():
    settings = resolve(dsn="luna:luna@postgres01:5432,postgres02:5432/luna_streams?some_option=some_value")
    assert settings.schema == "streams"  # inferred from the database name
    assert settings.hosts == (HostPort("postgres01", 5432), HostPort("postgres02", 5432))
    assert settings.options == {"some_option": "some_value"}


def test_partial_dsn_is_filled_from_separate_parameters():
    settings = resolve(
        dsn="postgres01,postgres02/luna_backport3", db_user="admin", db_password="pw", db_port="6432"
    )
    assert settings.schema == "backport3"
    assert settings.user == "admin"
    assert settings.password == "pw"
    assert settings.hosts == (HostPort("postgres01", 6432), HostPort("postgres02", 6432))


def test_a_host_with_its_own_port_keeps_it():
    settings = resolve(schema="streams", dsn="pg01:5433,pg02", db_port="6000")
    assert settings.hosts == (HostPort("pg01", 5433), HostPort("pg02", 6000))


def test_what_the_dsn_states_wins_over_options_environment_and_config(tmp_path):
    config = tmp_path / "settings.json"
    config.write_text(json.dumps({"LUNA_STREAMS_DB": {"db_user": "from_config", "db_host": "cfg-host"}}))
    environ = {"LUNA_DB_USER": "from_env", "LUNA_DB_HOST": "env-host"}
    settings = resolve(
        environ, schema="streams", dsn="from_dsn@dsn-host", db_user="from_option", config=str(config)
    )
    assert settings.user == "from_dsn"
    assert settings.hosts[0].host == "dsn-host"


def test_option_beats_environment_beats_config_beats_default(tmp_path):
    config = tmp_path / "settings.json"
    config.write_text(json.dumps({"LUNA_STREAMS_DB": {"db_user": "u_cfg", "db_name": "db_cfg", "db_port": 7000, "db_host": "h_cfg"}}))
    environ = {"LUNA_DB_USER": "u_env", "LUNA_DB_NAME": "db_env", "LUNA_DB_CONFIG": str(config)}
    settings = resolve(environ, schema="streams", db_user="u_opt")
    assert settings.user == "u_opt"  # option over environment
    assert settings.database == "db_env"  # environment over config
    assert settings.hosts == (HostPort("h_cfg", 7000),)  # config over defaults


def test_config_file_dsn_is_used_for_the_chosen_schema(tmp_path):
    config = tmp_path / "settings.json"
    config.write_text(
        json.dumps(
            {
                "LUNA_STREAMS_DB": {"dsn": "s1,s2/luna_streams", "db_password": "spw"},
                "LUNA_BACKPORT3_DB": {"db_type": "oracle", "db_host": "ora", "db_name": "BP3"},
                "OTHER_SERVICE_SETTING": 42,
            }
        )
    )
    streams = resolve(schema="streams", config=str(config))
    assert [h.host for h in streams.hosts] == ["s1", "s2"]
    assert streams.password == "spw"
    backport3 = resolve(schema="backport3", config=str(config))
    assert backport3.db_type == "oracle"
    assert backport3.hosts == (HostPort("ora", 1521),)
    assert backport3.database == "BP3"


def test_schema_is_inferred_from_a_config_file_with_one_section(tmp_path):
    config = tmp_path / "settings.json"
    config.write_text(json.dumps({"LUNA_BACKPORT3_DB": {"db_host": "bp"}}))
    settings = resolve(config=str(config))
    assert settings.schema == "backport3"
    assert settings.hosts[0].host == "bp"


def test_password_sources_in_order(tmp_path):
    password_file = tmp_path / "pw"
    password_file.write_text("from-file\n")
    assert resolve(schema="streams", password_file=str(password_file)).password == "from-file"
    assert resolve({"LUNA_DB_PASSWORD": "from-env"}, schema="streams").password == "from-env"
    assert (
        resolve({"LUNA_DB_PASSWORD": "from-env"}, schema="streams", password_file=str(password_file)).password
        == "from-file"
    )
    assert resolve(schema="streams", dsn="u:from-dsn@h", db_password="opt").password == "from-dsn"


def test_percent_encoded_credentials_and_database():
    settings = resolve(dsn="us%40er:p%40ss%3Aword@h/luna_streams")
    assert settings.user == "us@er"
    assert settings.password == "p@ss:word"


def test_ipv6_host_list():
    settings = resolve(schema="streams", dsn="[::1]:5433,[fe80::2]")
    assert settings.hosts == (HostPort("::1", 5433), HostPort("fe80::2", 5432))


def test_scheme_sets_the_database_type():
    assert resolve(schema="streams", dsn="oracle://ora1/FREEPDB1").db_type == "oracle"
    assert resolve(schema="streams", dsn="postgresql+psycopg2://pg/x").db_type == "postgres"


def test_postgres_session_defaults_and_dsn_overrides():
    settings = resolve(schema="streams")
    assert settings.driver_options["target_session_attrs"] == "read-write"
    assert int(settings.driver_options["connect_timeout"]) <= 10
    override = resolve(schema="streams", dsn="h/db?target_session_attrs=any&connect_timeout=30")
    assert override.driver_options["target_session_attrs"] == "any"
    assert override.driver_options["connect_timeout"] == "30"


def test_masked_dsn_never_shows_the_password():
    settings = resolve(dsn="luna:Very-Secret-1@pg01,pg02:5433/luna_streams?sslmode=require")
    shown = settings.masked_dsn()
    assert "Very-Secret-1" not in shown
    assert shown == "luna:***@pg01:5432,pg02:5433/luna_streams?sslmode=require"
    assert "Very-Secret-1" not in json.dumps(settings.describe())
    assert "Very-Secret-1" not in repr(settings)


@pytest.mark.parametrize(
    "options, environ, fragment",
    [
        ({"dsn": "oracle://h/x", "db_type": "postgres", "schema": "streams"}, {}, "scheme says oracle"),
        ({"schema": "streams", "db_type": "mysql"}, {}, "unknown database type"),
        ({"schema": "nope"}, {}, "unknown schema"),
        ({}, {"LUNA_DB_SCHEMA": "nope"}, "unknown schema"),
        ({"schema": "streams", "db_port": "70000"}, {}, "1..65535"),
        ({"schema": "streams"}, {"LUNA_DB_PORT": "abc"}, "abc"),
        ({"schema": "streams", "db_host": "a,,b"}, {}, "--db-host"),
        ({"schema": "streams", "password_file": "/nonexistent/pw"}, {}, "password file"),
    ],
)
def test_bad_input_is_one_clear_error(options, environ, fragment):
    with pytest.raises(BadInput) as caught:
        resolve(environ, **options)
    assert fragment in str(caught.value)
    assert "\n" not in str(caught.value)
    assert caught.value.exit_code == 2


def test_a_database_of_another_name_leaves_the_schema_open():
    # Commands that need a schema refuse it later; `luna-db dsn` can still show it.
    assert resolve(dsn="h/other_db").schema is None
    with pytest.raises(BadInput, match="--schema"):
        resolve(dsn="h")


def test_malformed_dsn_is_a_dsn_error_with_exit_code_2():
    with pytest.raises(DsnError) as caught:
        resolve(schema="streams", dsn="luna:Hidden-Pw1@pg01:99999/luna_streams")
    assert caught.value.exit_code == 2
    assert "Hidden-Pw1" not in str(caught.value)


@pytest.mark.parametrize(
    "content, fragment",
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "JSON object"),
        ('{"LUNA_STREAMS_DB": "x"}', "must be an object"),
        ('{"LUNA_STREAMS_DB": {"db_port": "port"}}', "db_port"),
        ('{"LUNA_STREAMS_DB": {"db_port": true}}', "db_port"),
        ('{"LUNA_STREAMS_DB": {"db_user": 5}}', "db_user"),
    ],
)
def test_bad_config_file(tmp_path, content, fragment):
    config = tmp_path / "settings.json"
    config.write_text(content)
    with pytest.raises(ConfigError) as caught:
        resolve(schema="streams", config=str(config))
    assert fragment in str(caught.value)
    assert caught.value.exit_code == 2


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="cannot read the config file"):
        resolve(schema="streams", config=str(tmp_path / "missing.json"))


def test_a_password_in_a_bad_config_file_is_not_echoed(tmp_path):
    config = tmp_path / "settings.json"
    config.write_text('{"LUNA_STREAMS_DB": {"db_password": "Cfg-Secret-9", "db_port": "x"}}')
    with pytest.raises(ConfigError) as caught:
        resolve(schema="streams", config=str(config))
    assert "Cfg-Secret-9" not in str(caught.value)


def test_one_pass_parses_the_given_dsn_once_and_answers_schema_dialect_and_settings(monkeypatch):
    """`create --sql --dsn ... --db-port ...` used to parse the same DSN five times on its way
    through settings.py; one SettingsPass answers the contradiction check, the schema, the
    offline dialect and the settings from one parse, each part with its source."""
    from luna_db_tools.config import settings as settings_module

    parsed = []
    real = settings_module.parse_dsn
    monkeypatch.setattr(settings_module, "parse_dsn", lambda text: parsed.append(text) or real(text))
    resolution = settings_module.SettingsPass(
        ConnectionOptions(dsn="luna:luna@pg01,pg02:5433/luna_streams", db_port="5434"), {})
    resolution.refuse_host_options_the_dsn_overrules()
    assert resolution.schema_name() == "streams" and resolution.offline_db_type() == "postgres"
    settings = resolution.settings()
    assert settings.hosts == (HostPort("pg01", 5434), HostPort("pg02", 5433))
    assert settings.sources["schema"] == "the database name"
    assert settings.sources["hosts"] == "DSN (--dsn); port --db-port"
    assert parsed == ["luna:luna@pg01,pg02:5433/luna_streams"]


def test_a_dsn_of_the_config_file_is_parsed_once_too(monkeypatch, tmp_path):
    from luna_db_tools.config import settings as settings_module

    parsed = []
    real = settings_module.parse_dsn
    monkeypatch.setattr(settings_module, "parse_dsn", lambda text: parsed.append(text) or real(text))
    conf = tmp_path / "config.conf"
    conf.write_text("[LUNA_BACKPORT3_DB]\nDSN = oracle://ora1:1521/LUNABP3\n")
    resolution = settings_module.SettingsPass(ConnectionOptions(config=str(conf)), {})
    assert resolution.offline_db_type() == "oracle"  # the file's section, its schema inferred
    assert resolution.settings().sources["db_type"] == f"DSN (file {conf} DSN)"
    assert parsed == ["oracle://ora1:1521/LUNABP3"]
