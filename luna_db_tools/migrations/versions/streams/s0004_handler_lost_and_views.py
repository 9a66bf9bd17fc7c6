"""handler_lost status and the stream and group views

A stream whose handler stopped reporting becomes `handler_lost`: the CHECK
on stream.status is replaced to allow it. The views for listing streams and
groups come with this release.

Downgrade: streams in `handler_lost` go back to `restart` (the status from
which a handler picks a stream up again) before the older CHECK returns.

Revision ID: s0004
Revises: s0003
"""
from alembic import op

from luna_db_tools.models import streams
from luna_db_tools.models.base import DropView, create_views
from luna_db_tools.runtime.online import replace_check_without_blocking

revision = "s0004"
down_revision = "s0003"
branch_labels = None
depends_on = None

OLD_STATUSES = ("pending", "in_progress", "done", "restart", "cancel", "failure", "pause")
NEW_STATUSES = OLD_STATUSES + ("handler_lost",)


def _listed(statuses):
    return "status IN ({})".format(", ".join(f"'{s}'" for s in statuses))


def upgrade() -> None:
    replace_check_without_blocking("ck_stream_status", "stream", _listed(NEW_STATUSES))
    create_views(op.get_bind(), streams.metadata)


def downgrade() -> None:
    # Both views exist at this revision; no lookup, so that --sql works too.
    for name in ("group_view", "stream_view"):
        op.execute(DropView(name))
    op.execute("UPDATE stream SET status = 'restart' WHERE status = 'handler_lost'")
    # Back the way it came: NOT VALID, then validated without blocking writers.
    replace_check_without_blocking("ck_stream_status", "stream", _listed(OLD_STATUSES))
