"""groups of streams

Revision ID: s0002
Revises: s0001
"""
import sqlalchemy as sa
from alembic import op

from luna_db_tools.models.base import EmptyString, utcnow
from luna_db_tools.operations.batched import catalog_only

revision = "s0002"
down_revision = "s0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # catalog only; on PostgreSQL with a short lock timeout, retried (runtime/batched.catalog_only)
    catalog_only(_upgrade)


def _upgrade() -> None:
    op.create_table(
        "group",
        sa.Column("group_id", sa.String(36), primary_key=True, comment="uuid4: group id"),
        sa.Column("account_id", sa.String(36), nullable=False, comment="uuid4: id of the account the group belongs to"),
        sa.Column("group_name", sa.String(128), nullable=False, comment="group name, unique within the account"),
        sa.Column("description", EmptyString(512), nullable=False, server_default="", comment="user description of the group"),
        sa.Column("create_time", sa.TIMESTAMP, nullable=False, server_default=utcnow(), comment="date: group create time (UTC)"),
        sa.UniqueConstraint("account_id", "group_name"),
        comment="Groups of streams",
    )
    op.create_table(
        "group_stream",
        sa.Column("group_id", sa.String(36), sa.ForeignKey("group.group_id", ondelete="CASCADE"), primary_key=True, comment="uuid4: group id"),
        sa.Column("stream_id", sa.String(36), sa.ForeignKey("stream.stream_id", ondelete="CASCADE"), primary_key=True, comment="uuid4: stream id"),
        comment="Which streams belong to which groups",
    )
    op.create_index(None, "group_stream", ["stream_id"])


def downgrade() -> None:
    # catalog only; on PostgreSQL with a short lock timeout, retried (runtime/batched.catalog_only)
    catalog_only(_downgrade)


def _downgrade() -> None:
    op.drop_table("group_stream")
    op.drop_table("group")
