"""streams, logs and the single-process lock

The first shape of the Streams database.

Revision ID: s0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

from luna_db_tools.models.base import EmptyString, utcnow

revision = "s0001"
down_revision = None
branch_labels = ("streams",)
depends_on = None

# The statuses of this release: handler_lost came later (s0004).
FIRST_STATUSES = ("pending", "in_progress", "done", "restart", "cancel", "failure", "pause")


def upgrade() -> None:
    listed = ", ".join(f"'{status}'" for status in FIRST_STATUSES)
    op.create_table(
        "stream",
        sa.Column("stream_id", sa.String(36), primary_key=True, comment="uuid4: stream id"),
        sa.Column("account_id", sa.String(36), nullable=False, comment="uuid4: id of the account the stream belongs to"),
        sa.Column("name", EmptyString(128), nullable=False, server_default="", comment="stream name"),
        sa.Column("description", EmptyString(512), nullable=False, server_default="", comment="user description of the stream"),
        sa.Column("data", sa.Text, nullable=False, comment="json: stream source: reference, type (tcp, udp, videofile, images), roi, droi, rotation, ..."),
        sa.Column("event_handler", sa.Text, nullable=False, comment="json: where events go, with authorization"),
        sa.Column("policies", sa.Text, nullable=False, comment="json: processing policies"),
        sa.Column("status", sa.String(16), nullable=False, comment="stream status"),
        sa.Column("version", sa.Integer, nullable=False, server_default=sa.text("1"), comment="stream version, +1 on every replace"),
        sa.Column("create_time", sa.TIMESTAMP, nullable=False, server_default=utcnow(), comment="date: stream create time (UTC)"),
        sa.Column("last_update_time", sa.TIMESTAMP, nullable=False, server_default=utcnow(), comment="date: stream last update time (UTC)"),
        sa.CheckConstraint(f"status IN ({listed})", name="status"),
        comment="Video streams and how to process them",
    )
    op.create_index(None, "stream", ["account_id", "create_time"])
    op.create_index(None, "stream", ["status"])
    op.create_table(
        "log",
        sa.Column("log_id", sa.BigInteger, sa.Identity(), primary_key=True, comment="log record id"),
        sa.Column("stream_id", sa.String(36), nullable=False, comment="uuid4: stream id"),
        sa.Column("time", sa.TIMESTAMP, nullable=False, server_default=utcnow(), comment="date: time of the record (UTC)"),
        sa.Column("status", sa.String(16), nullable=False, comment="the status entered (a stream status, or deleted)"),
        sa.Column("error", sa.Text, comment="error text, if the status came from an error"),
        comment="Status changes of streams; rows outlive a deleted stream",
    )
    lock = op.create_table(
        "single_process_lock",
        sa.Column("lock_name", sa.String(64), primary_key=True, comment="name of the single-instance job"),
        sa.Column("instance_id", sa.String(36), comment="uuid4: instance that holds the job now"),
        sa.Column("heartbeat_time", sa.TIMESTAMP, comment="date: last heartbeat of the holder (UTC)"),
        comment="One row per single-instance job, held with SELECT ... FOR UPDATE",
    )
    op.bulk_insert(lock, [{"lock_name": "streams_master"}])


def downgrade() -> None:
    op.drop_table("single_process_lock")
    op.drop_table("log")
    op.drop_table("stream")
