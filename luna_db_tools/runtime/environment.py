"""The one place that builds an Alembic `Config`, and what `alembic/env.py` reads back.

luna-db's commands hand env.py the schema, the settings and an open
connection through `Config.attributes` (Alembic's connection-sharing recipe).
People who drive Alembic directly pass the same through `-x schema=...` and
`-x dsn=...`, or LUNA's own `-x luna-config=URL|FILE` (a Configurator or a
service's config.conf, as LUNA's manuals upgrade a service database; LUNA's
`alembic -x help` spells it `luna_config` too) with a tagged setting as the
manuals ask for one, `-x LUNA_STREAMS_DB=TAG` (luna-db's `-x luna-config-tag=TAG`
is the same), and `-x config=FILE` (the schema also from
`alembic -n streams|backport3`, the section of alembic.ini), which env.py turns
into settings with `resolve_settings`, the same rules as `luna-db`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from ..config.luna_conf import SECTIONS as SETTING_NAMES
from ..config.settings import SCHEMA_NAMES, ConnectionOptions, DbSettings, resolve_settings
from ..errors import BadInput
from ..schemas import check_schema, load_models, versions_dir
from ..script.history import script_config

#: The `-x` arguments that name a database (any one of them will do).
DATABASE_X_ARGUMENTS = frozenset({"dsn", "config", "luna-config", "luna_config"})

# Offline scripts need a dialect, never a server or a password.
OFFLINE_URLS = {"postgres": "postgresql+psycopg2://", "oracle": "oracle+oracledb://"}


def offline_dialect_options(db_type: str, oracle_version: tuple[int, int] | None) -> dict:
    """Constructor options of the offline dialect that depend on the Oracle release a script targets.

    Connected, SQLAlchemy's Oracle dialect learns these from the server (`initialize`);
    offline there is no server, so they come from --oracle-version: 30-character
    identifiers before 12.2 (a longer name fails to compile instead of failing on the
    server), and no FETCH FIRST before 12.1 (ROWNUM instead).
    """
    if db_type != "oracle" or oracle_version is None:
        return {}
    return {
        "max_identifier_length": 30 if oracle_version < (12, 2) else 128,
        "enable_offset_fetch": oracle_version >= (12, 1),
    }


def aim_offline_dialect(dialect, oracle_version: tuple[int, int] | None) -> None:
    """Set what an Oracle dialect's `initialize` would have set on a server of that release.

    The public attributes of SQLAlchemy's Dialect: server_version_info,
    supports_identity_columns (12c on) and supports_native_boolean (23ai on; before
    it, a Boolean is a SMALLINT with a CHECK). tests/test_oracle_versions.py pins
    what the dialect then renders for 11.2, 12.1 and 21.
    """
    if dialect.name != "oracle" or oracle_version is None:
        return
    dialect.server_version_info = oracle_version
    dialect.supports_identity_columns = oracle_version >= (12, 1)
    dialect.supports_native_boolean = oracle_version >= (23, 0)


def make_config(
    schema: str,
    *,
    script_location=None,
    connection=None,
    settings: DbSettings | None = None,
    db_type: str | None = None,
    output=None,
    on_version_apply: Callable[..., Any] | None = None,
    retry_policy=None,
    journal=None,
    report: Callable[[str], None] | None = None,
    timeouts=None,
    oracle_version: tuple[int, int] | None = None,
):
    """The Alembic Config for one schema (script.history.script_config), with what env.py reads back."""
    config = script_config(schema, script_location, output)
    config.attributes.update(
        schema=check_schema(schema),
        connection=connection,
        settings=settings,
        db_type=db_type or (settings.db_type if settings else "postgres"),
        on_version_apply=on_version_apply,
        retry_policy=retry_policy,
        journal=journal,
        report=report,
        # The run's lock limits (runtime.steps.Timeouts), for steps that wait for locks themselves
        # (operations/batched.py, operations/index_build.py).
        timeouts=timeouts,
        # The Oracle release an offline script is for (--oracle-version); None: the dialect's defaults.
        oracle_version=oracle_version,
        # Set by luna-db for the step that completes a part-applied Oracle revision.
        rerun_part_applied=False,
    )
    return config


@dataclass(frozen=True)
class EnvironmentInputs:
    """What env.py needs, from luna-db's attributes or from `-x` arguments."""

    schema: str
    db_type: str
    settings: DbSettings | None
    connection: Any
    on_version_apply: Callable[..., Any] | None
    retry_policy: Any
    journal: Any = None
    report: Callable[[str], None] | None = None
    rerun_part_applied: bool = False
    oracle_version: tuple[int, int] | None = None

    @property
    def target_metadata(self):
        return load_models(self.schema).metadata

    @property
    def offline_url(self) -> str:
        return OFFLINE_URLS[self.db_type]

    @property
    def offline_dialect_options(self) -> dict:
        return offline_dialect_options(self.db_type, self.oracle_version)


def environment_inputs(config, x_arguments: dict[str, str]) -> EnvironmentInputs:
    """Read the schema, database and hooks for env.py; `-x` fills what luna-db did not."""
    attributes = config.attributes
    schema = check_schema(attributes.get("schema") or _schema_of_plain_alembic(config, x_arguments))
    settings = attributes.get("settings")
    if settings is None and attributes.get("connection") is None and DATABASE_X_ARGUMENTS & set(x_arguments):
        settings = resolve_settings(
            ConnectionOptions(
                schema=schema,
                dsn=x_arguments.get("dsn"),
                db_type=x_arguments.get("db_type"),
                config=x_arguments.get("config"),
                luna_config=_one_of(x_arguments, "luna-config", "luna_config"),
                luna_config_tag=_luna_config_tag(schema, x_arguments),
            )
        )
    db_type = x_arguments.get("db_type") or attributes.get("db_type")
    if db_type is None:
        db_type = settings.db_type if settings else "postgres"
    return EnvironmentInputs(
        schema=schema,
        db_type=db_type,
        settings=settings,
        connection=attributes.get("connection"),
        on_version_apply=attributes.get("on_version_apply"),
        retry_policy=attributes.get("retry_policy"),
        journal=attributes.get("journal"),
        report=attributes.get("report"),
        rerun_part_applied=bool(attributes.get("rerun_part_applied")),
        oracle_version=attributes.get("oracle_version"),
    )


def _one_of(x_arguments: dict[str, str], *names: str) -> str | None:
    """The value of an `-x` argument that has more than one spelling; two different values are bad input."""
    given = {name: x_arguments[name] for name in names if name in x_arguments}
    if len(set(given.values())) > 1:
        raise BadInput(" and ".join(f"-x {name}={value}" for name, value in given.items()) + " differ: give one")
    return next(iter(given.values()), None)


def _luna_config_tag(schema: str, x_arguments: dict[str, str]) -> str | None:
    """The tag of the setting to pull: LUNA's `-x LUNA_STREAMS_DB=TAG` (the manuals' form), or `-x luna-config-tag`.

    A tag for the other schema's setting would pull nothing it names: refused, not ignored.
    """
    for other, name in SETTING_NAMES.items():
        if other != schema and name in x_arguments:
            raise BadInput(f"-x {name}=... tags the {other} setting, but this is the {schema} schema "
                           f"(its setting is {SETTING_NAMES[schema]})")
    return _one_of(x_arguments, SETTING_NAMES[schema], "luna-config-tag")


def _schema_of_plain_alembic(config, x_arguments: dict[str, str]) -> str | None:
    """`alembic -n streams` (the ini section) or `alembic -x schema=streams`; both must agree."""
    section = config.config_ini_section if config.config_ini_section in SCHEMA_NAMES else None
    given = x_arguments.get("schema")
    if section and given and given != section:
        raise BadInput(f"-n {section} and -x schema={given} name different schemas")
    return section or given


def narrow_to_schema(script, schema: str) -> None:
    """Make a plain `alembic -x schema=...` run see only that schema's history.

    The alembic.ini of a checkout cannot know the schema; the revision map is
    read lazily, so narrowing it here, before any revision is looked at, works.
    """
    script.version_locations = [str(versions_dir(schema))]
