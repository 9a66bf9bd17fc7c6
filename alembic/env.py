"""Alembic environment for both LUNA schemas (streams, backport3).

The schema comes from luna-db (config attributes), `alembic -n <schema>` or
`-x schema=...`; the
database from an open connection handed in by luna-db, or from
`-x dsn=...`, `-x luna-config=URL|FILE` (a tagged setting as LUNA's manuals
ask for one: `-x LUNA_STREAMS_DB=TAG`) or `-x config=FILE` with luna-db's
settings rules. Each schema's revisions live in
`versions/<schema>/` and its `alembic_version` in its own database.
"""

from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Engine

from luna_db_tools.db.audit import AuditRecorder, ensure_audit_table
from luna_db_tools.db.connect import connect
from luna_db_tools.db.tool_tables import is_schema_object
from luna_db_tools.runtime.environment import aim_offline_dialect, environment_inputs, narrow_to_schema
from luna_db_tools.runtime.rerun import tolerate_already_done

config = context.config
if config.config_file_name is not None:
    # Plain `alembic` from a checkout: its alembic.ini sets up logging.
    fileConfig(config.config_file_name, disable_existing_loggers=False)
inputs = environment_inputs(config, context.get_x_argument(as_dictionary=True))
if not config.attributes.get("schema") and config.config_ini_section == "alembic":
    narrow_to_schema(context.script, inputs.schema)  # plain `alembic -x schema=...`

common_options = dict(
    target_metadata=inputs.target_metadata,
    # luna-db's own tables (version, audit) are not the models' business.
    include_object=is_schema_object,
    # Each revision commits on its own, so a failure leaves the database at
    # the last completed revision, never half-way.
    transaction_per_migration=True,
)
progress_hooks = [inputs.on_version_apply] if inputs.on_version_apply else []


def run_migrations_offline() -> None:
    """Print the migration script for the chosen dialect; needs no database."""
    context.configure(
        url=inputs.offline_url,
        literal_binds=True,
        dialect_opts={"paramstyle": "named", **inputs.offline_dialect_options},
        on_version_apply=progress_hooks,
        **common_options,
    )
    # Alembic inserts the version as a SQL literal, for which the Oracle
    # dialect adds "RETURNING ... INTO :ret_0": a bind that no SQL*Plus
    # script can fill. The script needs no value back.
    context.get_context().dialect.insert_returning = False
    aim_offline_dialect(context.get_context().dialect, inputs.oracle_version)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Migrate over the connection handed in, or over one opened from `-x dsn`."""
    if isinstance(inputs.connection, Engine):
        # Alembic's recipe allows an Engine too (pytest-alembic hands one).
        with inputs.connection.connect() as connection:
            _run(connection)
        return
    if inputs.connection is not None:
        _run(inputs.connection)
        return
    if inputs.settings is None:
        raise SystemExit("say which database with -x dsn=... (luna-db's DSN format), "
                         "-x luna-config=URL|FILE (LUNA's Configurator or config.conf) or -x config=FILE")
    with connect(inputs.settings, inputs.retry_policy) as connection:
        _run(connection)


def _run(connection) -> None:
    # The audit table must exist before the first revision's transaction,
    # whose audit row goes in with it.
    ensure_audit_table(connection)
    connection.commit()
    context.configure(
        connection=connection,
        on_version_apply=[AuditRecorder(inputs.journal), *progress_hooks],
        **common_options,
    )
    # Oracle left this revision part-applied: step over what is done.
    stop_skipping = tolerate_already_done(connection, inputs.report or print) if inputs.rerun_part_applied else None
    try:
        with context.begin_transaction():
            context.run_migrations()
    finally:
        if stop_skipping is not None:
            stop_skipping()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
