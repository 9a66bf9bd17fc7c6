"""location, autorestart and handler of streams

Every existing stream gets its `restart` row (autorestart off, the default
settings). On PostgreSQL the new tables (whose foreign keys lock `stream`
in SHARE ROW EXCLUSIVE mode, which blocks its writers) are created in a
short transaction of their own, and the rows are filled afterwards in
batches of their own, so no writer of `stream` waits for the fill. A run
killed half-way resumes where it stopped. A catch-up after the batches
gives their rows to the streams the keyset passed: those the running
release inserted behind it meanwhile, and those below a gap a killed run
left. Oracle (no transactional DDL)
keeps one set-based INSERT ... SELECT.

Revision ID: s0003
Revises: s0002
"""
import sqlalchemy as sa
from alembic import op

from luna_db_tools.models.base import Bool, bool_check, bool_literal, utcnow
from luna_db_tools.operations.batched import backfill, catalog_only, catalog_step

revision = "s0003"
down_revision = "s0002"
branch_labels = None
depends_on = None


def _stream_key():
    return sa.Column(
        "stream_id", sa.String(36), sa.ForeignKey("stream.stream_id", ondelete="CASCADE"),
        primary_key=True, comment="uuid4: stream id",
    )


def _postgresql() -> bool:
    return op.get_context().dialect.name == "postgresql"


def _tables() -> None:
    # IF NOT EXISTS on PostgreSQL: a run killed after this step committed
    # finds the tables there and goes on to the fill.
    again = {"if_not_exists": True} if _postgresql() else {}
    op.create_table(
        "location",
        _stream_key(),
        sa.Column("city", sa.String(128), comment="city"),
        sa.Column("area", sa.String(128), comment="area"),
        sa.Column("district", sa.String(128), comment="district"),
        sa.Column("street", sa.String(128), comment="street"),
        sa.Column("house_number", sa.String(128), comment="house number"),
        sa.Column("geo_position_latitude", sa.Float, comment="latitude, -90..90"),
        sa.Column("geo_position_longitude", sa.Float, comment="longitude, -180..180"),
        comment="Where the camera of a stream is",
        **again,
    )
    op.create_table(
        "restart",
        _stream_key(),
        sa.Column("restart", Bool, nullable=False, server_default=bool_literal(False), comment="autorestart enabled"),
        sa.Column("attempt_count", sa.Integer, nullable=False, server_default=sa.text("10"), comment="autorestart attempts allowed"),
        sa.Column("delay", sa.Integer, nullable=False, server_default=sa.text("60"), comment="seconds between autorestart attempts"),
        sa.Column("current_attempt", sa.Integer, comment="number of the current autorestart attempt"),
        sa.Column("last_attempt_time", sa.TIMESTAMP, comment="date: last autorestart attempt (UTC)"),
        sa.Column("status", sa.String(16), comment="state of the current autorestart"),
        bool_check("restart"),
        comment="Autorestart settings and state of a stream",
        **again,
    )
    op.create_table(
        "handler",
        _stream_key(),
        sa.Column("handler_id", sa.String(36), nullable=False, comment="uuid4: id of the stream handler"),
        sa.Column(
            "last_feedback_time", sa.TIMESTAMP, nullable=False, server_default=utcnow(),
            comment="date: last feedback from the handler (UTC); a silent handler makes the stream handler_lost",
        ),
        comment="Which stream handler (worker) processes a stream",
        **again,
    )
    op.create_index(None, "handler", ["handler_id"], **again)


# One batch of restart rows, by stream_id: FOR KEY SHARE keeps a stream deleted
# meanwhile out of the batch (its row would fail the foreign key), and the
# foreign key's own check then finds the row already locked; {on_conflict}
# (ON CONFLICT DO NOTHING once a batch met a row written by another session,
# and offline: batched.backfill) makes a repeated batch harmless.
RESTART_BATCH = (
    "WITH batch AS (SELECT stream_id FROM stream WHERE stream_id > {after}"
    " ORDER BY stream_id LIMIT {limit} FOR KEY SHARE),"
    " moved AS (INSERT INTO restart (stream_id) SELECT stream_id FROM batch {on_conflict} RETURNING 1)"
    " SELECT (SELECT max(stream_id) FROM batch), (SELECT count(*) FROM moved)"
)

# After the batches, every stream still without its restart row: one anti-join
# over stream that locks (FOR KEY SHARE, which no INSERT or non-key UPDATE of
# stream waits for) only the streams it gives a row, and skips one deleted
# meanwhile; ON CONFLICT DO NOTHING: the new release may write the row first.
RESTART_CATCH_UP = (
    "WITH missing AS (SELECT stream_id FROM stream WHERE NOT EXISTS"
    " (SELECT 1 FROM restart WHERE restart.stream_id = stream.stream_id) FOR KEY SHARE OF stream),"
    " moved AS (INSERT INTO restart (stream_id) SELECT stream_id FROM missing ON CONFLICT DO NOTHING RETURNING 1)"
    " SELECT count(*) FROM moved"
)


def upgrade() -> None:
    if not _postgresql():
        _tables()
        _fill_at_once()
        return
    catalog_step(_tables)
    backfill(
        "restart rows for existing streams", RESTART_BATCH,
        resume_sql="SELECT max(stream_id) FROM restart", estimate_table="stream",
        catch_up_sql=RESTART_CATCH_UP,
    )


def _fill_at_once() -> None:
    # Set-based: one statement for all streams, the columns' defaults fill the
    # rest. NOT EXISTS: on Oracle a rerun of a part-applied revision repeats it.
    op.execute(
        "INSERT INTO restart (stream_id) SELECT stream_id FROM stream"
        " WHERE NOT EXISTS (SELECT 1 FROM restart WHERE restart.stream_id = stream.stream_id)"
    )


def downgrade() -> None:
    # catalog only; on PostgreSQL with a short lock timeout, retried (runtime/batched.catalog_only)
    catalog_only(_downgrade)


def _downgrade() -> None:
    op.drop_table("handler")
    op.drop_table("restart")
    op.drop_table("location")
