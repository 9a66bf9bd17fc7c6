"""Offline scripts for a DBA: `create --sql`, `upgrade --sql`, `downgrade --sql`.

They need a dialect, never a server, a driver connection or a password:
SQLAlchemy compiles the DDL against a mock engine and Alembic runs in its
offline (`--sql`) mode.

An Oracle script is rendered for one Oracle release (`--oracle-version`), by
default the oldest the schema supports (db/server_version.OLDEST_ORACLE:
Backport 3 11.2, Streams 12.1): what runs there runs on every newer release.
The dialect is set up as if it had connected to that release
(environment.aim_offline_dialect), and the script's header names it.
"""

from __future__ import annotations

import io
import re
from typing import Callable

from alembic import command
from sqlalchemy import create_mock_engine

from .. import __version__
from ..db.server_version import OLDEST_ORACLE
from ..errors import BadInput
from ..schemas import load_models
from ..script.history import check_revision_argument, script_directory
from ..script.revisions import head_revision
from .environment import OFFLINE_URLS, aim_offline_dialect, make_config, offline_dialect_options
from .steps import Timeouts, postgres_session_limits

_ORACLE_VERSION = re.compile(r"(\d{1,2})(?:\.(\d{1,2}))?")


def parse_oracle_version(text: str) -> tuple[int, int]:
    """(major, minor) of `--oracle-version`: "11.2" -> (11, 2), "21" -> (21, 0); BadInput otherwise."""
    match = _ORACLE_VERSION.fullmatch(text.strip())
    if not match:
        raise BadInput(f"--oracle-version {text!r} is not an Oracle release: give MAJOR[.MINOR], e.g. 11.2, 12.1, 19, 21 (21, not 21c)")
    return int(match[1]), int(match[2] or 0)


def oracle_target(schema: str, version: tuple[int, int] | None) -> tuple[int, int]:
    """The release an Oracle script is for: `version`, or the oldest the schema supports; BadInput if too old."""
    needed = OLDEST_ORACLE[schema]
    if version is None:
        return needed
    if version < needed:
        raise BadInput(
            f"--oracle-version {release_name(version)} is too old for the {schema} schema:"
            f" it needs Oracle {release_name(needed)} or newer"
            + (" (its log_id is an identity column, 12c on)" if schema == "streams" else "")
        )
    return version


def release_name(version: tuple[int, int]) -> str:
    """How Oracle names a release: 11.2 and 12.1, but 19 and 21 (their minor is a release update)."""
    major, minor = version
    return f"{major}.{minor}" if major < 18 or minor else str(major)


def create_sql(
    schema: str, db_type: str, timeouts: Timeouts = Timeouts(), oracle_version: tuple[int, int] | None = None,
) -> str:
    """The DDL of `create` for a dialect, as a script; Oracle's for `oracle_version` (oracle_target)."""
    target = oracle_target(schema, oracle_version) if db_type == "oracle" else None
    models = load_models(schema)
    statements: list[str] = []

    def collect(sql, *multiparams, **params):
        statements.append(str(sql.compile(dialect=engine.dialect)).strip())

    engine = create_mock_engine(OFFLINE_URLS[db_type], collect, **offline_dialect_options(db_type, target))
    aim_offline_dialect(engine.dialect, target)
    models.metadata.create_all(engine, checkfirst=False)
    statements = _indexes_in_name_order(statements)
    for table, rows in models.PRIMAL_ROWS:
        for row in rows:
            statement = table.insert().values(**row)
            statements.append(
                str(statement.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
            )
    script = io.StringIO()
    script.write(script_header(schema, db_type, f"create at {head_revision(schema)}", timeouts, target))
    if db_type == "postgres":
        # All or nothing, as the online create: PostgreSQL's DDL is transactional.
        script.write("BEGIN;\n\n")
    for statement in statements:
        script.write(_terminated(statement, db_type))
    stamp = _offline(schema, db_type, lambda config: _alembic_command().stamp(config, "head", sql=True),
                     oracle_version=target)
    script.write(_without_transaction_lines(stamp))
    if db_type == "postgres":
        script.write("COMMIT;\n")
    return script.getvalue() + script_footer(script.getvalue(), db_type)


def migration_sql(
    schema: str, db_type: str, revision: str, direction: str, timeouts: Timeouts = Timeouts(),
    oracle_version: tuple[int, int] | None = None,
) -> str:
    """The offline script of an upgrade or downgrade (`FROM:TO`, or TO from base/head); Oracle's for `oracle_version`."""
    target = oracle_target(schema, oracle_version) if db_type == "oracle" else None
    if ":" not in revision:
        revision = f"base:{revision}" if direction == "upgrade" else f"head:{revision}"
    if direction == "downgrade" and revision.split(":")[1] == "-1":
        raise BadInput("an offline downgrade needs an absolute target, e.g. head:<revision>")
    check_revision_argument(schema, revision.split(":")[1])
    if revision.split(":")[0] == revision.split(":")[1]:
        raise BadInput(f"the range {revision} is empty: FROM and TO are the same revision")
    body = render_migration(schema, db_type, revision, direction, oracle_version=target)
    from ..analysis.data_loss import declared, offline_destructions, sql_comments

    script = script_directory(schema)
    losses = sql_comments(offline_destructions(
        body, lambda rev, step: declared(rev, step, script.get_revision(rev).module),
        "oracle" if db_type == "oracle" else "postgresql"))
    header = script_header(schema, db_type, f"{direction} {revision.replace(':', ' -> ')}", timeouts, target)
    return header + losses + body + script_footer(body, db_type)


def render_migration(
    schema: str, db_type: str, revisions: str, direction: str, script_location=None,
    oracle_version: tuple[int, int] | None = None, history=None,
) -> str:
    """Alembic's offline SQL of `FROM:TO` in one direction, without luna-db's header.

    `history`: a runtime.loaded_history.LoadedHistory of the same schema and
    location, for a caller that renders many ranges (else Alembic loads the
    history again for this one).
    """
    commands = history or _alembic_command()
    return _offline(
        schema, db_type, lambda config: getattr(commands, direction)(config, revisions, sql=True),
        script_location, oracle_version,
    )


def script_header(
    schema: str, db_type: str, what: str, timeouts: Timeouts = Timeouts(),
    oracle_version: tuple[int, int] | None = None,
) -> str:
    comment = f"-- luna-db {__version__}: {schema} schema, {what}, for {db_type}\n"
    if db_type == "oracle":
        # SQL*Plus / SQLcl: stop at the first error with a failing exit status
        # (SQL.SQLCODE would be taken modulo 256 by the shell: ORA-01536 exits
        # 0), roll back what the failed statement's transaction did, and do not
        # treat & as a substitution variable inside the DDL's literals.
        release = release_name(oracle_target(schema, oracle_version))
        return (
            comment + "WHENEVER SQLERROR EXIT FAILURE ROLLBACK\nSET DEFINE OFF\n"
            f"-- for Oracle {release} and newer (--oracle-version {release})\n\n"
        )
    # As an online run: a statement waiting for a busy table gives up after
    # lock_timeout instead of queueing every writer behind it.
    limits = "".join(f"SET {name} = '{value}';\n" for name, value in postgres_session_limits(timeouts))
    return comment + limits + "\n"


_DATA_CHANGE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|MERGE)\b", re.IGNORECASE | re.MULTILINE)


def script_footer(body: str, db_type: str) -> str:
    """Oracle: an explicit COMMIT where the script changed data (SQL*Plus would commit on exit only if told)."""
    if db_type == "oracle" and _DATA_CHANGE.search(body):
        return "COMMIT\n/\n"
    return ""


def _alembic_command():

    return command


def _offline(schema: str, db_type: str, run: Callable, script_location=None, oracle_version=None) -> str:
    output = io.StringIO()
    run(make_config(
        schema, db_type=db_type, output=output, script_location=script_location, oracle_version=oracle_version,
    ))
    return output.getvalue()


def _indexes_in_name_order(statements: list[str]) -> list[str]:
    """Sort each run of CREATE INDEX statements (one table's indexes).

    SQLAlchemy keeps a table's indexes in a set, so create_all emits them in
    an order that changes from run to run; a script a DBA reviews, and its
    snapshot, must not.
    """
    ordered: list[str] = []
    run: list[str] = []
    for statement in statements + [""]:
        if statement.startswith(("CREATE INDEX", "CREATE UNIQUE INDEX")):
            run.append(statement)
            continue
        ordered += sorted(run)
        run = []
        if statement:
            ordered.append(statement)
    return ordered


def _terminated(statement: str, db_type: str) -> str:
    if db_type == "oracle":
        return f"{statement}\n/\n\n"
    return f"{statement};\n\n"


def _without_transaction_lines(script: str) -> str:
    """Alembic's stamp script brings its own BEGIN/COMMIT; the create script has one already."""
    return "".join(
        line for line in script.splitlines(keepends=True) if line.strip() not in ("BEGIN;", "COMMIT;")
    )
