"""The options shared by several commands, defined once, and what they become.

Options, environment and config file become one settings object
(config.settings.resolve_settings); nothing else reads them.
"""

from __future__ import annotations

import click

from ..config.driver_options import check_driver_options
from ..config.settings import DB_TYPES, SCHEMA_NAMES, ConnectionOptions, SettingsPass
from ..redact import is_password_key, register_secret
from .option_checks import refuse_contradictions, refuse_sql_with


def database_options(function):
    """The options that choose the database, shared by every command that connects."""
    options = [
        click.option("--schema", type=click.Choice(SCHEMA_NAMES), help="Which model set and history; may be omitted when the database is luna_streams or luna_backport3. [env LUNA_DB_SCHEMA]"),
        click.option("--dsn", help="LUNA DSN: [scheme://][user[:password]@]host[:port][,host[:port]...][/database][?key=value...]. [env LUNA_DB_DSN]"),
        click.option("--db-type", type=click.Choice(DB_TYPES), help="postgres (default) or oracle. [env LUNA_DB_TYPE]"),
        click.option("--db-host", help="Host (or host list) when the DSN names none. [env LUNA_DB_HOST]"),
        click.option("--db-port", help="Port for hosts without one. [env LUNA_DB_PORT]"),
        click.option("--db-user", help="User when the DSN names none. [env LUNA_DB_USER]"),
        click.option("--db-password", help="Password when the DSN has none; prefer --password-file or LUNA_DB_PASSWORD. [env LUNA_DB_PASSWORD]"),
        click.option("--password-file", type=click.Path(dir_okay=False), help="Read the password from this file."),
        click.option("--db-name", help="Database (Oracle: SID; a service: ?service_name=NAME in the DSN) when the DSN names none. [env LUNA_DB_NAME]"),
        click.option("--config", "config_file", type=click.Path(dir_okay=False), help="A LUNA service settings file: config.conf (ini) or the Configurator's JSON, with a LUNA_STREAMS_DB / LUNA_BACKPORT3_DB section. [env LUNA_DB_CONFIG]"),
        click.option("--luna-config", help="As LUNA's services take it: the LUNA Configurator (http://HOST:5070/1, origin and API version) to pull the schema's database setting from, or a service's config.conf (followed to its Configurator when it says USE_CONFIGURATOR = 1). [env LUNA_DB_LUNA_CONFIG]"),
        click.option("--luna-config-tag", metavar="TAG", help="Pull the database setting with this tag from the Configurator (a service's --LUNA_STREAMS_DB TAG). [env LUNA_DB_LUNA_CONFIG_TAG]"),
        click.option("--connect-retries", type=click.IntRange(1, 100), default=4, show_default=True, help="Rounds over the host list before giving up (exit 3)."),
        click.option("--retry-delay", type=click.FloatRange(0, 600), default=1.0, show_default=True, help="Seconds before the second round; doubles after each round."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


lock_option = click.option(
    # Two different waits: this one is luna-db's own (another luna-db run holds the
    # database's migration lock); --statement-lock-timeout is the server's, per statement.
    "--migration-lock-timeout", "--lock-timeout", "lock_timeout", type=click.FloatRange(0, 86400), default=300.0,
    show_default=True,
    help="Seconds to wait for the database's migration lock while another luna-db run holds it"
         " (--lock-timeout: the same).",
)


oracle_version_option = click.option(
    "--oracle-version", metavar="RELEASE",
    help="With --sql and --db-type oracle: the Oracle release the script must run on (11.2, 12.1, 12.2, 18, 19,"
         " 21, 23); it then runs there and on every newer one. Default: the oldest the schema supports"
         " (backport3 11.2, streams 12.1). Older than that: refused, exit 2.",
)


def refuse_misplaced_oracle_version(oracle_version: str | None, sql: bool, options: SettingsPass) -> None:
    """--oracle-version shapes a printed Oracle script; anywhere else it would silently do nothing."""
    if oracle_version is None:
        return
    if not sql:
        refuse_sql_with("--oracle-version", "a live run",
                        "it targets a --sql script; a live run reads the server's own version")
    db_type = options.offline_db_type()
    if db_type != "oracle":
        refuse_sql_with("--oracle-version", f"--db-type {db_type}", "it targets Oracle scripts only")


def timeout_options(function):
    """PostgreSQL session limits for migrations (upgrade, downgrade)."""
    function = click.option(
        "--db-statement-timeout", type=click.FloatRange(0), default=3600.0, show_default=True,
        help="PostgreSQL statement_timeout for each migration statement, seconds; 0: none.",
    )(function)
    function = click.option(
        "--index-wait-timeout", type=click.FloatRange(0), default=3600.0, show_default=True,
        help="Seconds an online (CONCURRENTLY) index build may wait for older transactions, "
             "e.g. a pg_dump, to end; it blocks no one meanwhile and names them on stderr; 0: none.",
    )(function)
    return click.option(
        "--statement-lock-timeout", "--db-lock-timeout", "db_lock_timeout", type=click.FloatRange(0), default=5.0,
        show_default=True,
        help="Seconds one migration statement may wait for a table lock: the server's lock_timeout"
             " (Oracle: ddl_lock_timeout); a revision that hits it is retried 3 times; 0: none"
             " (--db-lock-timeout: the same).",
    )(function)


def timeouts(kwargs: dict):
    from ..command.migrate import Timeouts

    return Timeouts(lock=kwargs.pop("db_lock_timeout"), statement=kwargs.pop("db_statement_timeout"),
                    index_wait=kwargs.pop("index_wait_timeout"))


def connection_options(kwargs: dict) -> SettingsPass:
    """The command's database options, as the one settings pass that resolves them (config.settings)."""
    options = ConnectionOptions(
        schema=kwargs.pop("schema"),
        dsn=kwargs.pop("dsn"),
        db_type=kwargs.pop("db_type"),
        db_host=kwargs.pop("db_host"),
        db_port=kwargs.pop("db_port"),
        db_user=kwargs.pop("db_user"),
        db_password=kwargs.pop("db_password"),
        db_name=kwargs.pop("db_name"),
        config=kwargs.pop("config_file"),
        password_file=kwargs.pop("password_file"),
        luna_config=kwargs.pop("luna_config"),
        luna_config_tag=kwargs.pop("luna_config_tag"),
        # Read, not taken: retry_policy(kwargs) takes them for the database.
        retry_rounds=kwargs.get("connect_retries", 4),
        retry_delay=kwargs.get("retry_delay", 1.0),
    )
    register_secret(options.db_password)
    refuse_contradictions(options)
    resolution = SettingsPass(options)
    resolution.refuse_host_options_the_dsn_overrules()
    return resolution


def settings_from(resolution: SettingsPass):
    settings = resolution.settings()
    # A password equal to the user name would blank out the user everywhere;
    # the DSN masking hides it where it appears as a password.
    if settings.password != settings.user:
        register_secret(settings.password)
    for key, value in settings.options.items():
        if is_password_key(key):
            register_secret(value)
    check_driver_options(settings.db_type, settings.options)
    return settings


def retry_policy(kwargs: dict):
    from ..command.common import RetryPolicy

    return RetryPolicy(rounds=kwargs.pop("connect_retries"), delay=kwargs.pop("retry_delay"))
