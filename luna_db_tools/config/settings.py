"""One settings object from the DSN, options, environment, config file and defaults.

The precedence, for every part of the connection: what the DSN states,
then the command-line option, then the environment, then the LUNA settings
(the config file's section, or the setting pulled from the LUNA Configurator
when `--luna-config` names one or the file says `USE_CONFIGURATOR = 1`:
then the file's own section is not read), then the defaults. Everything that
connects (the CLI, `alembic/env.py`, the tests) goes through one
`SettingsPass` (`resolve_settings` is a pass asked once), so there is one way
in, and each input is read once on it: the DSN parsed once, the file read
once, the Configurator asked once.

Imported at CLI start-up: standard library only.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Mapping

from ..errors import BadInput, ConfigError, DsnError
from .dsn import HostPort, ParsedDsn, masked, parse_dsn, parse_host_list, port_number
from .luna_conf import SECTIONS as CONFIG_SECTIONS
from .luna_conf import LunaConfig, read_luna_config

SCHEMA_NAMES = ("streams", "backport3")
DB_TYPES = ("postgres", "oracle")

DEFAULT_USER = "luna"
DEFAULT_PASSWORD = "luna"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORTS = {"postgres": 5432, "oracle": 1521}
DEFAULT_DATABASES = {"streams": "luna_streams", "backport3": "luna_backport3"}

# A migration must land on the writable primary, and a dead host must not
# hang a runbook for the kernel's TCP timeout (minutes): libpq gets these
# unless the DSN says otherwise.
POSTGRES_SESSION_DEFAULTS = {
    "target_session_attrs": "read-write",
    "connect_timeout": "5",
    "application_name": "luna-db",
}

ENV_PREFIX = "LUNA_DB_"

# In LUNA's settings an Oracle db_name (and a DSN's database part) is a SID;
# this DSN option names a service instead.
ORACLE_SERVICE_OPTION = "service_name"
# luna-db's own Oracle DSN option: the directory of Oracle Client libraries
# (Instant Client) for python-oracledb's Thick mode. Its default Thin mode
# reaches Oracle 12.1 and newer only; Backport 3 on 11.2 needs Thick mode,
# with Instant Client 19 or older (21 and newer reach 12.1 and newer only).
ORACLE_CLIENT_OPTION = "oracle_client"


@dataclass(frozen=True)
class ConnectionOptions:
    """What the command line said; None where it said nothing."""

    schema: str | None = None
    dsn: str | None = None
    db_type: str | None = None
    db_host: str | None = None
    db_port: str | int | None = None
    db_user: str | None = None
    db_password: str | None = field(default=None, repr=False)
    db_name: str | None = None
    config: str | None = None
    password_file: str | None = None
    #: `--luna-config`: a Configurator URL (http://HOST:5070/1) or a service's config.conf.
    luna_config: str | None = None
    #: The tag of the database setting to pull from the Configurator (LUNA's `--LUNA_STREAMS_DB TAG`).
    luna_config_tag: str | None = None
    #: The retry rounds and first pause for reaching the Configurator (the database's, --connect-retries).
    retry_rounds: int = 4
    retry_delay: float = 1.0


@dataclass(frozen=True)
class DbSettings:
    """A fully resolved connection: every part known, the password never shown."""

    schema: str | None
    db_type: str
    user: str
    password: str | None = field(repr=False)
    hosts: tuple[HostPort, ...]
    database: str
    options: Mapping[str, str]
    #: Where each part came from (`--db-host`, `LUNA_DB_NAME`, `DSN (--dsn)`, `file PATH`,
    #: `Configurator at URL`, `default`), for `luna-db dsn`.
    sources: Mapping[str, str | None] = field(default_factory=dict, compare=False)

    @property
    def driver_options(self) -> dict[str, str]:
        """Options handed to the driver: the DSN's, plus luna-db's session defaults.

        (Oracle's `service_name` is not one: it goes into the connect descriptor;
        nor is `oracle_client`: it chooses the driver's mode.)
        """
        if self.db_type != "postgres":
            return {k: v for k, v in self.options.items() if k not in (ORACLE_SERVICE_OPTION, ORACLE_CLIENT_OPTION)}
        return {**POSTGRES_SESSION_DEFAULTS, **self.options}

    @property
    def oracle_service_name(self) -> str | None:
        """Oracle: the service `?service_name=` names; None when the database is a SID (LUNA's way)."""
        if self.db_type != "oracle":
            return None
        return self.options.get(ORACLE_SERVICE_OPTION) or None

    @property
    def oracle_client_dir(self) -> str | None:
        """Oracle: the Oracle Client library directory `?oracle_client=` names (Thick mode); None: Thin mode."""
        if self.db_type != "oracle":
            return None
        return self.options.get(ORACLE_CLIENT_OPTION) or None

    def oracle_target(self) -> dict[str, str]:
        """Oracle: what the connection names, `{"sid": ...}` or `{"service_name": ...}`; {} for PostgreSQL."""
        if self.db_type != "oracle":
            return {}
        service = self.oracle_service_name
        return {"service_name": service} if service else {"sid": self.database}

    def masked_dsn(self) -> str:
        """The DSN as people may see it: `luna:***@pg01:5432,pg02:5432/luna_streams`."""
        return masked(
            ParsedDsn(self.db_type, self.user, self.password, self.hosts, self.database, dict(self.options))
        )

    def describe(self) -> dict:
        """The JSON object of `luna-db dsn --json`."""
        return {
            "schema": self.schema,
            "db_type": self.db_type,
            "hosts": [{"host": h.host, "port": h.port} for h in self.hosts],
            "user": self.user,
            "database": self.database,
            **self.oracle_target(),
            "options": self.driver_options,
            "password_set": self.password is not None,
            "dsn": self.masked_dsn(),
            "sources": dict(self.sources),
        }

    def with_database(self, database: str) -> "DbSettings":
        """The same server and credentials, another database (e.g. `postgres`)."""
        from dataclasses import replace

        return replace(self, database=database)


def resolve_settings(
    cli: ConnectionOptions, environ: Mapping[str, str] | None = None
) -> DbSettings:
    """Merge DSN, options, environment, config file and defaults into one DbSettings.

    Raises BadInput (exit code 2) for anything malformed or contradictory.
    Each part is taken from the first place that gives it, in the documented
    order, and the place is recorded beside it (`luna-db dsn --json`'s sources).
    """
    return SettingsPass(cli, environ).settings()


def resolve_schema(cli: ConnectionOptions, environ: Mapping[str, str] | None = None) -> str:
    """The schema a command works on, for commands that need no database (history, --sql)."""
    return SettingsPass(cli, environ).schema_name()


def resolve_db_type(cli: ConnectionOptions, environ: Mapping[str, str] | None = None) -> str:
    """The dialect for offline work (`--sql`), without requiring a full connection."""
    return SettingsPass(cli, environ).offline_db_type()


class SettingsPass:
    """One pass over the DSN, options, environment, LUNA settings and defaults of one command.

    Each input is read once and kept: the DSN given by `--dsn` or
    LUNA_DB_DSN is parsed once (a DSN from the settings section, a different
    text, once more), the config file read once, the Configurator asked once;
    each part of the connection is taken with the place it came from. A
    command that needs the schema, the offline dialect and the settings asks
    the same pass for all three (`resolve_settings` and friends are one-shot
    passes for callers that need one answer).
    """

    def __init__(self, cli: ConnectionOptions, environ: Mapping[str, str] | None = None):
        self.cli = cli
        self.env = _LunaEnvironment(os.environ if environ is None else environ)

    @cached_property
    def luna_sources(self) -> tuple[LunaConfig | None, object]:
        """The config file and the Configurator (or None) that LUNA's settings come from."""
        return _luna_settings_sources(self.cli, self.env)

    @cached_property
    def given_dsn(self) -> tuple[ParsedDsn, str | None]:
        """The DSN of `--dsn` or LUNA_DB_DSN, parsed (empty when neither), and which of them gave it."""
        text, label = _source_of((self.cli.dsn, "--dsn"), (self.env.get("DSN"), "LUNA_DB_DSN"))
        return (parse_dsn(text) if text is not None else ParsedDsn()), label

    def refuse_host_options_the_dsn_overrules(self) -> None:
        """--db-host, or a --db-port no host would take, beside a DSN that names its hosts: bad input.

        What the DSN states wins; an option that silently loses is a runbook
        bug waiting to happen, so it is said instead of ignored.
        """
        if self.cli.db_host is None and self.cli.db_port is None:
            return
        dsn, source = self.given_dsn
        if not dsn.hosts:
            return
        if self.cli.db_host is not None:
            raise BadInput(
                f"--db-host {self.cli.db_host} contradicts the hosts of {source} (the DSN's hosts win): "
                f"give the hosts in one place"
            )
        if all(host.port is not None for host in dsn.hosts):
            raise BadInput(
                f"--db-port {self.cli.db_port} does nothing: every host of {source} names its port "
                f"(the DSN's ports win)"
            )

    @cached_property
    def schema(self) -> tuple[str | None, str | None]:
        """The schema (checked) and where it came from: an option, the database's name or the settings' section."""
        schema, source = _source_of((self.cli.schema, "--schema"), (self.env.get("SCHEMA"), "LUNA_DB_SCHEMA"))
        schema = _check_schema(schema)
        if schema is not None:
            return schema, source
        named = _first(self.given_dsn[0].database, self.cli.db_name, self.env.get("NAME"))
        if _schema_from_database(named):
            return _schema_from_database(named), "the database name"
        config_file, configurator = self.luna_sources
        return _schema_of_config_file(config_file, configurator)

    @cached_property
    def section(self) -> Mapping:
        """The schema's database setting: the Configurator's (pulled once) or the config file's section."""
        config_file, configurator = self.luna_sources
        return _settings_section(config_file, configurator, self.schema[0], self.cli, self.env)

    @property
    def settings_label(self) -> str:
        config_file, configurator = self.luna_sources
        if configurator is not None:
            return f"Configurator at {configurator.address}"
        return f"file {config_file.path}" if config_file is not None else "file"

    @cached_property
    def dsn(self) -> tuple[ParsedDsn, str]:
        """The DSN that states parts of the connection (given, else the settings' `dsn`), and its label."""
        dsn, label = self.given_dsn
        if label is None and self.section.get("dsn") is not None:
            dsn, label = parse_dsn(self.section["dsn"]), f"{self.settings_label} DSN"
        return dsn, f"DSN ({label})"

    def schema_name(self) -> str:
        """The schema, for commands that need no database: given, inferred, else asked for (BadInput)."""
        schema = self.schema[0]
        if schema is not None:
            return schema
        settings = self.settings()
        return require_schema(settings.schema, settings.database)

    def offline_db_type(self) -> str:
        """The dialect for offline work: the settings' when the schema is known, never a pull to guess it."""
        config_file, configurator = self.luna_sources
        if self.schema[0] is None and configurator is not None:
            return _resolve_db_type(self.given_dsn[0], self.cli, self.env, {})
        return _resolve_db_type(self.dsn[0], self.cli, self.env, self.section)

    def settings(self) -> DbSettings:
        """Every part of the connection, each with its source."""
        _ = self.luna_sources  # a bad config file is named before anything else
        schema, schema_source = self.schema
        given = _Given(self.cli, self.env, self.section, self.settings_label)
        dsn, dsn_label = self.dsn
        db_type = _resolve_db_type(dsn, self.cli, self.env, self.section)
        type_source = dsn_label if dsn.db_type else (given.first("db_type", "--db-type", "TYPE")[1] or "default")
        database, database_source = _resolve_database(dsn, dsn_label, db_type, schema, given)
        hosts, hosts_source = _resolve_hosts(dsn, dsn_label, db_type, given)
        user, user_source = _source_of(
            (dsn.user, dsn_label), *given.candidates("db_user", "--db-user", "USER"), (DEFAULT_USER, "default"))
        password, password_source = _source_of(
            (dsn.password, dsn_label),
            (self.cli.db_password, "--db-password"),
            (_read_password_file(self.cli.password_file), "--password-file"),
            (self.env.get("PASSWORD"), "LUNA_DB_PASSWORD"),
            (self.section.get("db_password"), self.settings_label),
            (DEFAULT_PASSWORD, "default"),
        )
        return DbSettings(
            schema=schema,
            db_type=db_type,
            user=str(user),
            password=str(password),
            hosts=hosts,
            database=str(database),
            options=dict(dsn.options),
            sources={"schema": schema_source, "db_type": type_source, "hosts": hosts_source, "user": user_source,
                     "password_set": password_source, "database": database_source},
        )


@dataclass(frozen=True)
class _Given:
    """Where a part of the settings may be given, in order: option, environment, settings section."""

    cli: ConnectionOptions
    env: "_LunaEnvironment"
    section: Mapping[str, str]
    settings_label: str

    def candidates(self, attribute: str, option: str, variable: str) -> list[tuple]:
        return [(getattr(self.cli, attribute), option), (self.env.get(variable), f"LUNA_DB_{variable}"),
                (self.section.get(attribute), self.settings_label)]

    def first(self, attribute: str, option: str, variable: str) -> tuple:
        return _source_of(*self.candidates(attribute, option, variable))


def _schema_of_config_file(config_file: LunaConfig | None, configurator) -> tuple[str | None, str | None]:
    """The schema of a config file that holds only one service's section, whatever database that
    section names (a production `DB_NAME = streams_prod` included), and where it came from."""
    if config_file is None:
        return None, None
    present = [schema for schema, key in CONFIG_SECTIONS.items() if key in config_file.sections]
    if not present and configurator is None:
        config_file.check_has_a_database_section()
    if len(present) != 1:
        return None, None
    return present[0], f"the [{CONFIG_SECTIONS[present[0]]}] section of {config_file.path}"


def _resolve_database(dsn, dsn_label: str, db_type: str, schema: str | None, given: _Given) -> tuple[str, str]:
    """The database (PostgreSQL) or SID (Oracle), and its source; a service name stands for the SID."""
    database, source = _source_of((dsn.database, dsn_label), *given.candidates("db_name", "--db-name", "NAME"))
    service = _oracle_service(dsn, db_type)
    if not database:
        # A service, when named, stands for the SID: no default SID is made up.
        database = "" if service else DEFAULT_DATABASES[require_schema(schema)]
        source = dsn_label if service else "default"
    if db_type == "oracle" and not service:
        _check_oracle_name(str(database), "SID")
    return str(database), source


def _resolve_hosts(dsn, dsn_label: str, db_type: str, given: _Given) -> tuple[tuple[HostPort, ...], str]:
    """The hosts, each with its port (the DSN's, else --db-port and the rest, else the dialect's default)."""
    port_text, port_source = given.first("db_port", "--db-port", "PORT")
    default_port = _parse_port(port_text) if port_text is not None else DEFAULT_PORTS[db_type]
    hosts, hosts_source = dsn.hosts, dsn_label
    if not hosts:
        host_text, hosts_source = _source_of(*given.candidates("db_host", "--db-host", "HOST"), (DEFAULT_HOST, "default"))
        try:
            hosts = parse_host_list(str(host_text))
        except DsnError as error:
            raise BadInput(f"bad --db-host: {error}") from None
    if any(h.port is None for h in hosts) and (port_source or "default") != hosts_source:
        hosts_source += f"; port {port_source or 'default'}"
    return tuple(HostPort(h.host, h.port if h.port is not None else default_port) for h in hosts), hosts_source


def _source_of(*candidates):
    """The first candidate value that was given at all, and where it came from: `(value, label)`."""
    for value, label in candidates:
        if value is not None:
            return value, label
    return None, None


class _LunaEnvironment:
    """The LUNA_DB_* variables; empty values count as unset."""

    def __init__(self, environ: Mapping[str, str]):
        self._environ = environ

    def get(self, name: str) -> str | None:
        value = self._environ.get(ENV_PREFIX + name)
        return value if value not in (None, "") else None


def _first(*values):
    """The first value that was given at all (an empty password counts as given)."""
    for value in values:
        if value is not None:
            return value
    return None


def check_schema(schema: str | None) -> str:
    """The schema, or BadInput when it is not one of SCHEMA_NAMES."""
    if schema not in SCHEMA_NAMES:
        raise BadInput(f"unknown schema {schema!r}: choose streams or backport3")
    return schema


def _check_schema(schema: str | None) -> str | None:
    return None if schema is None else check_schema(schema)


def require_schema(schema: str | None, database: str | None = None) -> str:
    """The schema, or BadInput when none was chosen nor could be inferred.

    The database, when one is named, is named in the message, a near miss of
    luna_streams / luna_backport3 (a mistyped DB_NAME) said to be one.
    """
    if schema is None:
        hint = ""
        if database:
            import difflib

            near = difflib.get_close_matches(database, list(DEFAULT_DATABASES.values()), n=1, cutoff=0.8)
            hint = (f" (the database {database!r}: {near[0]} misspelt?)" if near
                    else f" (the database {database!r} names neither)")
        raise BadInput(
            "say which schema with --schema (streams or backport3), "
            f"or name the database luna_streams or luna_backport3{hint}"
        )
    return schema


def _schema_from_database(database: str | None) -> str | None:
    for schema, name in DEFAULT_DATABASES.items():
        if database == name:
            return schema
    return None


def _resolve_db_type(dsn: ParsedDsn, cli: ConnectionOptions, env, section: Mapping) -> str:
    chosen = _first(cli.db_type, env.get("TYPE"), section.get("db_type"))
    if chosen is not None:
        chosen = str(chosen).lower()
        if chosen == "postgresql":
            chosen = "postgres"
        if chosen not in DB_TYPES:
            raise BadInput(f"unknown database type {chosen!r}: choose postgres or oracle")
    if dsn.db_type and chosen and dsn.db_type != chosen:
        raise BadInput(
            f"the DSN's scheme says {dsn.db_type} but the database type is {chosen}"
        )
    return dsn.db_type or chosen or "postgres"


def _oracle_service(dsn: ParsedDsn, db_type: str) -> str | None:
    if db_type != "oracle" or ORACLE_SERVICE_OPTION not in dsn.options:
        return None
    service = dsn.options[ORACLE_SERVICE_OPTION].strip()
    if not service:
        raise BadInput("bad DSN: ?service_name= is empty (name the Oracle service, or leave it out to use the SID)")
    return _check_oracle_name(service, "service name")


def _check_oracle_name(name: str, what: str) -> str:
    """A SID or service name as it goes into a connect descriptor: no character that would end
    or open a descriptor clause (a name like `X)(SID=Y` would connect elsewhere)."""
    if re.search(r"[()=\s]", name):
        raise BadInput(f"bad Oracle {what} {name!r}: it may not hold brackets, '=' or spaces")
    return name


def _parse_port(value) -> int:
    text = str(value).strip()
    port = port_number(text)
    if port is None:
        raise BadInput(f"bad port {text!r}: a number in 1..65535 is expected")
    return port


def _read_password_file(path: str | None) -> str | None:
    if not path:
        return None
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise BadInput(f"cannot read the password file {path}: {error.strerror}") from None
    # A trailing newline is an editor's, not the password's.
    return text.rstrip("\r\n")


def _read_config_file(path: str) -> LunaConfig:
    """A LUNA config.conf or Configurator JSON (luna_conf), its database sections' values checked."""
    config = read_luna_config(path)
    for key, section in config.sections.items():
        _check_section(section, key, path)
    return config


def _check_section(section: Mapping, key: str, path: str) -> None:
    for name, value in section.items():
        if value is None:
            continue
        if name == "db_port":
            if isinstance(value, bool) or not isinstance(value, (int, str)):
                raise ConfigError(f"{key}.db_port in {path} must be a port number")
            try:
                _parse_port(value)
            except BadInput:
                raise ConfigError(
                    f"{key}.db_port in {path} must be a number in 1..65535"
                ) from None
        elif not isinstance(value, str):
            raise ConfigError(f"{key}.{name} in {path} must be a string")


def _luna_settings_sources(cli: ConnectionOptions, env):
    """The config file and the Configurator (or None) that LUNA's settings come from.

    `--luna-config` is LUNA's option: a URL names the Configurator, a path a
    service's config.conf (as --config). A file that says `USE_CONFIGURATOR = 1`
    points at the Configurator itself; a URL wins over it, taking the file's
    Configurator login when the URL has none.
    """
    from .configurator import configurator_from_section, configurator_from_url, credentials_from_section, is_url

    luna_config = cli.luna_config or env.get("LUNA_CONFIG")
    config_path = cli.config or env.get("CONFIG")
    url = None
    if luna_config:
        if is_url(luna_config):
            url = configurator_from_url(luna_config)
        elif config_path and Path(config_path).resolve() != Path(luna_config).resolve():
            raise BadInput("--config and --luna-config name different files: give one")
        else:
            config_path = luna_config
    config_file = _read_config_file(config_path) if config_path else None
    if config_file is None:
        return None, url
    if url is not None:
        return config_file, url.with_credentials(*credentials_from_section(config_file.configurator_section))
    return config_file, configurator_from_section(config_file.configurator_section, config_file.path)


def _settings_section(config_file: LunaConfig | None, configurator, schema: str | None,
                      cli: ConnectionOptions, env) -> Mapping:
    """The schema's database setting: pulled from the Configurator when there is one, else the file's section."""
    if configurator is None:
        return _config_section(config_file, schema)
    if schema is None:
        # Which setting to pull depends on the schema; the defaults may not stand in for it.
        raise BadInput(
            f"say which schema with --schema (streams or backport3): it names the setting to pull "
            f"from the LUNA Configurator at {configurator.address}"
        )
    from .configurator import pull_setting
    from .luna_conf import section_keys

    name = CONFIG_SECTIONS[schema]
    tag = cli.luna_config_tag or env.get("LUNA_CONFIG_TAG")
    values = pull_setting(configurator, schema, name, tag, rounds=cli.retry_rounds, delay=cli.retry_delay)
    source = f"the LUNA Configurator at {configurator.address}"
    section = section_keys(values, name, source)
    _check_section(section, name, source)
    return section


def _config_section(config_file: LunaConfig | None, schema: str | None) -> Mapping:
    """The schema's section; a config file without it is bad input (exit 2)."""
    if config_file is None or schema is None:
        return {}
    return config_file.section(schema)
