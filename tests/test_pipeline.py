"""A catalog step reaches the server in one round trip (operations/pipeline.py), keeping its order and its errors.

Real PostgreSQL: the statements a revision's catalog step runs are counted
as the driver sends them, and their effects are read back from the catalog.
"""

from __future__ import annotations

import psycopg2.extensions
import pytest
import sqlalchemy as sa
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy.exc import DBAPIError

from luna_db_tools.models.base import CreateView
from luna_db_tools.operations.batched import catalog_only, catalog_step
from tests.pghelpers import engine


def _run(db, step, *, in_transaction: bool = False) -> list[str]:
    """Run `step` as a revision would, on its own connection; what went through the driver, call by call."""
    sent: list[str] = []

    class Counting(psycopg2.extensions.cursor):
        def execute(self, query, variables=None):
            sent.append(query)
            return super().execute(query, variables)

    with engine(db).connect() as connection:
        connection.connection.dbapi_connection.cursor_factory = Counting
        context = MigrationContext.configure(connection)
        with Operations.context(context):
            if in_transaction:
                with context.begin_transaction():
                    step()
            else:
                step()
        connection.commit()
    return sent


def _tables() -> None:
    from alembic import op

    op.create_table(
        "parent", sa.Column("parent_id", sa.String(36), primary_key=True, comment="50% of a key"),
        sa.CheckConstraint("parent_id LIKE 'p%'", name="ck_parent_like"), comment="parent rows",
    )
    op.create_table(
        "child",
        sa.Column("parent_id", sa.String(36), sa.ForeignKey("parent.parent_id"), primary_key=True, comment="the parent"),
        comment="child rows",
    )
    op.get_bind().execute(CreateView("child_view", sa.select(sa.literal_column("parent_id")).select_from(sa.table("child"))))


def test_a_catalog_step_is_one_round_trip_and_keeps_percent_signs_and_order(fresh_db):
    sent = _run(fresh_db, lambda: catalog_step(_tables))

    step = [s for s in sent if "CREATE TABLE" in s]
    assert len(step) == 1 and step[0].lstrip().startswith("BEGIN") and step[0].rstrip().endswith("COMMIT")
    with engine(fresh_db).connect() as connection:
        check = connection.execute(sa.text(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'ck_parent_like'")).scalar()
        comment = connection.execute(sa.text("SELECT col_description('parent'::regclass, 1)")).scalar()
        views = connection.execute(sa.text("SELECT count(*) FROM pg_views WHERE viewname = 'child_view'")).scalar()
    assert "'p%'" in check and comment == "50% of a key" and views == 1


def test_a_statement_that_needs_its_answer_sends_what_was_queued_first(fresh_db):
    from alembic import op

    seen = []

    def build() -> None:
        op.execute("CREATE TABLE first_one (a int)")
        seen.append(op.get_bind().execute(sa.text("SELECT to_regclass('first_one') IS NOT NULL")).scalar())
        op.execute("CREATE TABLE second_one (a int)")

    _run(fresh_db, lambda: catalog_step(build))

    assert seen == [True]


def test_a_failing_statement_in_the_step_rolls_it_all_back_and_raises(fresh_db):
    from alembic import op

    def build() -> None:
        op.execute("CREATE TABLE kept_out (a int)")
        op.execute("ALTER TABLE no_such_table ADD COLUMN b int")

    with pytest.raises(DBAPIError, match="no_such_table"):
        _run(fresh_db, lambda: catalog_step(build))
    with engine(fresh_db).connect() as connection:
        assert connection.execute(sa.text("SELECT to_regclass('kept_out')")).scalar() is None


def test_a_catalog_only_revision_sends_its_savepoint_and_ddl_together(fresh_db):
    sent = _run(fresh_db, lambda: catalog_only(_tables), in_transaction=True)

    step = [s for s in sent if "CREATE TABLE" in s]
    assert len(step) == 1 and "SAVEPOINT luna_db_catalog" in step[0] and "RELEASE SAVEPOINT" in step[0]
    with engine(fresh_db).connect() as connection:
        assert connection.execute(sa.text("SELECT to_regclass('child')")).scalar() == "child"
