"""handler_lost status and the stream and group views

A stream whose handler stopped reporting becomes `handler_lost`: the CHECK
on stream.status is replaced to allow it. The views for listing streams and
groups come with this release.

Downgrade: streams in `handler_lost` go back to `restart` (the status from
which a handler picks a stream up again) before the older CHECK returns.

On PostgreSQL each swap of the CHECK is a catalog step of its own (ACCESS
EXCLUSIVE on `stream` for an instant, with a short lock timeout), the CHECK
is validated afterwards without blocking writers, and the downgrade's
streams move back in batches after the older CHECK (NOT VALID) already keeps
new ones out of `handler_lost`.

Revision ID: s0004
Revises: s0003
"""
from alembic import op

from luna_db_tools.models import streams
from luna_db_tools.models.base import DropView, create_views
from luna_db_tools.operations.batched import backfill, catalog_step
from luna_db_tools.operations.online import replace_check_without_blocking

revision = "s0004"
down_revision = "s0003"
branch_labels = None
depends_on = None

OLD_STATUSES = ("pending", "in_progress", "done", "restart", "cancel", "failure", "pause")
NEW_STATUSES = OLD_STATUSES + ("handler_lost",)


def _listed(statuses):
    return "status IN ({})".format(", ".join(f"'{s}'" for s in statuses))


def _postgresql() -> bool:
    return op.get_context().dialect.name == "postgresql"


def _swap_check(statuses) -> None:
    """Drop the CHECK and add it back NOT VALID: catalog only, and rerunnable."""
    op.execute("ALTER TABLE stream DROP CONSTRAINT IF EXISTS ck_stream_status")
    op.execute(f"ALTER TABLE stream ADD CONSTRAINT ck_stream_status CHECK ({_listed(statuses)}) NOT VALID")


def _validate() -> None:
    # SHARE UPDATE EXCLUSIVE while it scans: writers go on.
    with op.get_context().autocommit_block():
        op.execute("ALTER TABLE stream VALIDATE CONSTRAINT ck_stream_status")


def _drop_views() -> None:
    # Both views exist at this revision; no lookup, so that --sql works too.
    for name in ("group_view", "stream_view"):
        op.execute(DropView(name))


def upgrade() -> None:
    if not _postgresql():
        replace_check_without_blocking("ck_stream_status", "stream", _listed(NEW_STATUSES))
        create_views(op.get_bind(), streams.metadata)
        return

    def catalog() -> None:
        _swap_check(NEW_STATUSES)
        _drop_views()  # IF EXISTS on PostgreSQL: a rerun after a kill finds them there
        create_views(op.get_bind(), streams.metadata)

    catalog_step(catalog)
    _validate()


# One batch of streams back from handler_lost, by stream_id.
BACK_TO_RESTART = (
    "WITH batch AS (SELECT stream_id FROM stream WHERE status = 'handler_lost' AND stream_id > {after}"
    " ORDER BY stream_id LIMIT {limit}),"
    " moved AS (UPDATE stream SET status = 'restart' FROM batch"
    " WHERE stream.stream_id = batch.stream_id AND stream.status = 'handler_lost' RETURNING 1)"
    " SELECT (SELECT max(stream_id) FROM batch), (SELECT count(*) FROM moved)"
)


def downgrade() -> None:
    if not _postgresql():
        _drop_views()
        op.execute("UPDATE stream SET status = 'restart' WHERE status = 'handler_lost'")
        replace_check_without_blocking("ck_stream_status", "stream", _listed(OLD_STATUSES))
        return
    _drop_views()
    # The older CHECK first (NOT VALID: new rows only), so no stream enters
    # handler_lost while the existing ones move back.
    catalog_step(lambda: _swap_check(OLD_STATUSES))
    backfill("streams back from handler_lost to restart", BACK_TO_RESTART,
             resume_sql="SELECT NULL", estimate_table="stream")
    _validate()
