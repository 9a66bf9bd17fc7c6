"""Offline scripts for a DBA: `create --sql`, `upgrade --sql`, `downgrade --sql`.

They need a dialect, never a server, a driver connection or a password:
SQLAlchemy compiles the DDL against a mock engine and Alembic runs in its
offline (`--sql`) mode.
"""

from __future__ import annotations

import io
from typing import Callable

from alembic import command
from sqlalchemy import create_mock_engine

from .. import __version__
from ..errors import BadInput
from ..schemas import load_models
from .environment import OFFLINE_URLS, make_config
from .history import check_revision_argument
from .revisions import head_revision


def create_sql(schema: str, db_type: str) -> str:
    """The DDL of `create` for a dialect, as a script."""

    models = load_models(schema)
    statements: list[str] = []

    def collect(sql, *multiparams, **params):
        statements.append(str(sql.compile(dialect=engine.dialect)).strip())

    engine = create_mock_engine(OFFLINE_URLS[db_type], collect)
    models.metadata.create_all(engine, checkfirst=False)
    statements = _indexes_in_name_order(statements)
    for table, rows in models.PRIMAL_ROWS:
        for row in rows:
            statement = table.insert().values(**row)
            statements.append(
                str(statement.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
            )
    script = io.StringIO()
    script.write(script_header(schema, db_type, f"create at {head_revision(schema)}"))
    if db_type == "postgres":
        # All or nothing, as the online create: PostgreSQL's DDL is transactional.
        script.write("BEGIN;\n\n")
    for statement in statements:
        script.write(_terminated(statement, db_type))
    stamp = _offline(schema, db_type, lambda config: _alembic_command().stamp(config, "head", sql=True))
    script.write(_without_transaction_lines(stamp))
    if db_type == "postgres":
        script.write("COMMIT;\n")
    return script.getvalue()


def migration_sql(schema: str, db_type: str, revision: str, direction: str) -> str:
    """The offline script of an upgrade or downgrade (`FROM:TO`, or TO from base/head)."""
    if ":" not in revision:
        revision = f"base:{revision}" if direction == "upgrade" else f"head:{revision}"
    if direction == "downgrade" and revision.split(":")[1] == "-1":
        raise BadInput("an offline downgrade needs an absolute target, e.g. head:<revision>")
    check_revision_argument(schema, revision.split(":")[1])
    body = render_migration(schema, db_type, revision, direction)
    return script_header(schema, db_type, f"{direction} {revision.replace(':', ' -> ')}") + body


def render_migration(schema: str, db_type: str, revisions: str, direction: str, script_location=None) -> str:
    """Alembic's offline SQL of `FROM:TO` in one direction, without luna-db's header."""
    return _offline(
        schema, db_type, lambda config: getattr(_alembic_command(), direction)(config, revisions, sql=True),
        script_location,
    )


def script_header(schema: str, db_type: str, what: str) -> str:
    comment = f"-- luna-db {__version__}: {schema} schema, {what}, for {db_type}\n"
    if db_type == "oracle":
        # SQL*Plus / SQLcl: stop at the first error, and do not treat & as a
        # substitution variable inside the DDL's literals.
        return comment + "WHENEVER SQLERROR EXIT SQL.SQLCODE\nSET DEFINE OFF\n\n"
    return comment + "\n"


def _alembic_command():

    return command


def _offline(schema: str, db_type: str, run: Callable, script_location=None) -> str:
    output = io.StringIO()
    run(make_config(schema, db_type=db_type, output=output, script_location=script_location))
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
