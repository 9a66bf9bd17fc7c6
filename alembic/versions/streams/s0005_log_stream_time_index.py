"""index on log (stream_id, time)

The log table is the busiest and largest: on PostgreSQL the index is built
with CREATE INDEX CONCURRENTLY, outside the revision's transaction, so that
writers are never blocked while it builds; the downgrade drops it
CONCURRENTLY too (a plain DROP INDEX would lock out readers as well).

Revision ID: s0005
Revises: s0004
"""
from alembic import op

from luna_db_tools.operations.online import create_index_without_blocking, drop_index_without_blocking

revision = "s0005"
down_revision = "s0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_index_without_blocking(op.f("ix_log_stream_id_time"), "log", ["stream_id", "time"])


def downgrade() -> None:
    drop_index_without_blocking(op.f("ix_log_stream_id_time"), "log")
