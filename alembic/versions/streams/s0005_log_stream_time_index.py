"""index on log (stream_id, time)

The log table is the busiest and largest: on PostgreSQL the index is built
with CREATE INDEX CONCURRENTLY, outside the revision's transaction, so that
writers are never blocked while it builds.

Revision ID: s0005
Revises: s0004
"""
from alembic import op

revision = "s0005"
down_revision = "s0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            # A build interrupted before the version was stamped leaves an
            # INVALID index behind; drop it so that the rerun completes.
            op.drop_index(
                op.f("ix_log_stream_id_time"), table_name="log", if_exists=True,
                postgresql_concurrently=True,
            )
            op.create_index(None, "log", ["stream_id", "time"], postgresql_concurrently=True)
    else:
        op.create_index(None, "log", ["stream_id", "time"])


def downgrade() -> None:
    op.drop_index(op.f("ix_log_stream_id_time"), table_name="log")
