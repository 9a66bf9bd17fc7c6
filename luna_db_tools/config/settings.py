"""One settings object from the DSN, options, environment, config file and defaults.

The precedence, for every part of the connection: what the DSN states,
then the command-line option, then the environment, then the LUNA config
file, then the defaults. Everything that connects (the CLI, `alembic/env.py`,
the tests) goes through `resolve_settings`, so there is one way in.

Imported at CLI start-up: standard library only.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
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
    """
    env = _LunaEnvironment(os.environ if environ is None else environ)
    config_path = cli.config or env.get("CONFIG")
    config_file = _read_config_file(config_path) if config_path else None

    schema = _check_schema(cli.schema or env.get("SCHEMA"))
    if schema is None:
        schema = _infer_schema(cli, env, config_file)
    section = _config_section(config_file, schema)

    dsn_text = _first(cli.dsn, env.get("DSN"), section.get("dsn"))
    dsn = parse_dsn(dsn_text or "")

    db_type = _resolve_db_type(dsn, cli, env, section)
    database = _first(dsn.database, cli.db_name, env.get("NAME"), section.get("db_name"))
    service = _oracle_service(dsn, db_type)
    if not database:
        # A service, when named, stands for the SID: no default SID is made up.
        database = "" if service else DEFAULT_DATABASES[require_schema(schema)]
    if db_type == "oracle" and not service:
        _check_oracle_name(str(database), "SID")

    port_text = _first(cli.db_port, env.get("PORT"), section.get("db_port"))
    default_port = _parse_port(port_text) if port_text is not None else DEFAULT_PORTS[db_type]

    hosts = dsn.hosts
    if not hosts:
        host_text = _first(cli.db_host, env.get("HOST"), section.get("db_host")) or DEFAULT_HOST
        try:
            hosts = parse_host_list(str(host_text))
        except DsnError as error:
            raise BadInput(f"bad --db-host: {error}") from None
    hosts = tuple(HostPort(h.host, h.port if h.port is not None else default_port) for h in hosts)

    user = _first(dsn.user, cli.db_user, env.get("USER"), section.get("db_user")) or DEFAULT_USER
    password = _first(
        dsn.password,
        cli.db_password,
        _read_password_file(cli.password_file),
        env.get("PASSWORD"),
        section.get("db_password"),
    )
    if password is None:
        password = DEFAULT_PASSWORD

    return DbSettings(
        schema=schema,
        db_type=db_type,
        user=str(user),
        password=str(password),
        hosts=hosts,
        database=str(database),
        options=dict(dsn.options),
    )


def resolve_schema(cli: ConnectionOptions, environ: Mapping[str, str] | None = None) -> str:
    """The schema a command works on, for commands that need no database (history, --sql)."""
    env = _LunaEnvironment(os.environ if environ is None else environ)
    schema = _check_schema(cli.schema or env.get("SCHEMA"))
    if schema is not None:
        return schema
    return require_schema(resolve_settings(cli, environ).schema)


def resolve_db_type(cli: ConnectionOptions, environ: Mapping[str, str] | None = None) -> str:
    """The dialect for offline work (`--sql`), without requiring a full connection."""
    env = _LunaEnvironment(os.environ if environ is None else environ)
    config_path = cli.config or env.get("CONFIG")
    config_file = _read_config_file(config_path) if config_path else None
    schema = _check_schema(cli.schema or env.get("SCHEMA"))
    section = _config_section(config_file, schema)
    dsn_text = _first(cli.dsn, env.get("DSN"), section.get("dsn"))
    return _resolve_db_type(parse_dsn(dsn_text or ""), cli, env, section)


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


def require_schema(schema: str | None) -> str:
    """The schema, or BadInput when none was chosen nor could be inferred."""
    if schema is None:
        raise BadInput(
            "say which schema with --schema (streams or backport3), "
            "or name the database luna_streams or luna_backport3"
        )
    return schema


def _schema_from_database(database: str | None) -> str | None:
    for schema, name in DEFAULT_DATABASES.items():
        if database == name:
            return schema
    return None


def _infer_schema(cli: ConnectionOptions, env, config_file: LunaConfig | None) -> str | None:
    """The schema named by the database (luna_streams, luna_backport3), else by
    a config file that holds only one service's section."""
    dsn_text = _first(cli.dsn, env.get("DSN"))
    database = _first(parse_dsn(dsn_text or "").database, cli.db_name, env.get("NAME"))
    if database:
        return _schema_from_database(database)
    if config_file is None:
        return None
    present = [schema for schema, key in CONFIG_SECTIONS.items() if key in config_file.sections]
    if len(present) != 1:
        return None
    section = config_file.sections[CONFIG_SECTIONS[present[0]]]
    database = _first(parse_dsn(section.get("dsn") or "").database, section.get("db_name"))
    return present[0] if database in (None, DEFAULT_DATABASES[present[0]]) else None


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


def _config_section(config_file: LunaConfig | None, schema: str | None) -> Mapping:
    """The schema's section; a config file without it is bad input (exit 2)."""
    if config_file is None or schema is None:
        return {}
    return config_file.section(schema)
