"""LUNA Streams database models (database `luna_streams`)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from .base import Bool, EmptyString, JsonText, bool_check, bool_literal, make_base, utcnow, view

Base = make_base()
metadata = Base.metadata

#: Every status a stream can be in; `handler_lost` came with the handler table.
STREAM_STATUSES = (
    "pending", "in_progress", "done", "restart", "cancel", "failure", "pause", "handler_lost",
)


def status_check(statuses=STREAM_STATUSES) -> sa.CheckConstraint:
    """The CHECK on `stream.status`, named `ck_stream_status`."""
    listed = ", ".join(f"'{status}'" for status in statuses)
    return sa.CheckConstraint(f"status IN ({listed})", name="status")


def _stream_key():
    """The key of a table that holds one row of details per stream."""
    return mapped_column(
        sa.String(36), sa.ForeignKey("stream.stream_id", ondelete="CASCADE"), primary_key=True,
        comment="uuid4: stream id",
    )


class Stream(Base):
    """Database table model for streams."""

    __tablename__ = "stream"
    __table_args__ = (
        status_check(),
        sa.Index(None, "account_id", "create_time"),
        sa.Index(None, "status"),
        {"comment": "Video streams and how to process them"},
    )

    stream_id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, comment="uuid4: stream id")
    account_id: Mapped[str] = mapped_column(
        sa.String(36), nullable=False, comment="uuid4: id of the account the stream belongs to"
    )
    name: Mapped[str] = mapped_column(EmptyString(128), nullable=False, server_default="", comment="stream name")
    description: Mapped[str] = mapped_column(
        EmptyString(512), nullable=False, server_default="", comment="user description of the stream"
    )
    data: Mapped[str] = mapped_column(
        JsonText, nullable=False,
        comment="json: stream source: reference, type (tcp, udp, videofile, images), roi, droi, rotation, ...",
    )
    event_handler: Mapped[str] = mapped_column(
        JsonText, nullable=False, comment="json: where events go, with authorization"
    )
    policies: Mapped[str] = mapped_column(JsonText, nullable=False, comment="json: processing policies")
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False, comment="stream status")
    version: Mapped[int] = mapped_column(
        sa.Integer, nullable=False, server_default=sa.text("1"), comment="stream version, +1 on every replace"
    )
    create_time: Mapped[datetime] = mapped_column(
        sa.TIMESTAMP, nullable=False, server_default=utcnow(), comment="date: stream create time (UTC)"
    )
    last_update_time: Mapped[datetime] = mapped_column(
        sa.TIMESTAMP, nullable=False, server_default=utcnow(), comment="date: stream last update time (UTC)"
    )


class Location(Base):
    """Database table model for stream location info."""

    __tablename__ = "location"
    __table_args__ = {"comment": "Where the camera of a stream is"}

    stream_id: Mapped[str] = _stream_key()
    city: Mapped[str | None] = mapped_column(sa.String(128), nullable=True, comment="city")
    area: Mapped[str | None] = mapped_column(sa.String(128), nullable=True, comment="area")
    district: Mapped[str | None] = mapped_column(sa.String(128), nullable=True, comment="district")
    street: Mapped[str | None] = mapped_column(sa.String(128), nullable=True, comment="street")
    house_number: Mapped[str | None] = mapped_column(sa.String(128), nullable=True, comment="house number")
    geo_position_latitude: Mapped[float | None] = mapped_column(
        sa.Float, nullable=True, comment="latitude, -90..90"
    )
    geo_position_longitude: Mapped[float | None] = mapped_column(
        sa.Float, nullable=True, comment="longitude, -180..180"
    )


class Restart(Base):
    """Database table model for stream restart info."""

    __tablename__ = "restart"
    __table_args__ = (bool_check("restart"), {"comment": "Autorestart settings and state of a stream"})

    stream_id: Mapped[str] = _stream_key()
    restart: Mapped[bool] = mapped_column(
        Bool, nullable=False, server_default=bool_literal(False), comment="autorestart enabled"
    )
    attempt_count: Mapped[int] = mapped_column(
        sa.Integer, nullable=False, server_default=sa.text("10"), comment="autorestart attempts allowed"
    )
    delay: Mapped[int] = mapped_column(
        sa.Integer, nullable=False, server_default=sa.text("60"), comment="seconds between autorestart attempts"
    )
    current_attempt: Mapped[int | None] = mapped_column(
        sa.Integer, nullable=True, comment="number of the current autorestart attempt"
    )
    last_attempt_time: Mapped[datetime | None] = mapped_column(
        sa.TIMESTAMP, nullable=True, comment="date: last autorestart attempt (UTC)"
    )
    status: Mapped[str | None] = mapped_column(
        sa.String(16), nullable=True, comment="state of the current autorestart"
    )


class Handler(Base):
    """Database table model for stream handler info."""

    __tablename__ = "handler"
    __table_args__ = {"comment": "Which stream handler (worker) processes a stream"}

    stream_id: Mapped[str] = _stream_key()
    handler_id: Mapped[str] = mapped_column(
        sa.String(36), nullable=False, index=True, comment="uuid4: id of the stream handler"
    )
    last_feedback_time: Mapped[datetime] = mapped_column(
        sa.TIMESTAMP, nullable=False, server_default=utcnow(),
        comment="date: last feedback from the handler (UTC); a silent handler makes the stream handler_lost",
    )


class Log(Base):
    """Database table model for stream logging."""

    __tablename__ = "log"
    __table_args__ = (
        sa.Index(None, "stream_id", "time"),
        {"comment": "Status changes of streams; rows outlive a deleted stream"},
    )

    log_id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True, comment="log record id")
    # No foreign key on purpose: the log of a deleted stream is kept.
    stream_id: Mapped[str] = mapped_column(sa.String(36), nullable=False, comment="uuid4: stream id")
    time: Mapped[datetime] = mapped_column(
        sa.TIMESTAMP, nullable=False, server_default=utcnow(), comment="date: time of the record (UTC)"
    )
    status: Mapped[str] = mapped_column(
        sa.String(16), nullable=False, comment="the status entered (a stream status, or deleted)"
    )
    error: Mapped[str | None] = mapped_column(
        sa.Text, nullable=True, comment="error text, if the status came from an error"
    )


class Group(Base):
    """Database table model for group."""

    # A reserved word in both dialects; SQLAlchemy quotes it everywhere.
    __tablename__ = "group"
    __table_args__ = (
        sa.UniqueConstraint("account_id", "group_name"),
        {"comment": "Groups of streams"},
    )

    group_id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, comment="uuid4: group id")
    account_id: Mapped[str] = mapped_column(
        sa.String(36), nullable=False, comment="uuid4: id of the account the group belongs to"
    )
    group_name: Mapped[str] = mapped_column(
        sa.String(128), nullable=False, comment="group name, unique within the account"
    )
    description: Mapped[str] = mapped_column(
        EmptyString(512), nullable=False, server_default="", comment="user description of the group"
    )
    create_time: Mapped[datetime] = mapped_column(
        sa.TIMESTAMP, nullable=False, server_default=utcnow(), comment="date: group create time (UTC)"
    )


class GroupStream(Base):
    """Database table model for links between stream and group."""

    __tablename__ = "group_stream"
    __table_args__ = {"comment": "Which streams belong to which groups"}

    group_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("group.group_id", ondelete="CASCADE"), primary_key=True,
        comment="uuid4: group id",
    )
    stream_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("stream.stream_id", ondelete="CASCADE"), primary_key=True,
        index=True, comment="uuid4: stream id",
    )


class SingleProcessLock(Base):
    """Table for storing one-at-time process lock.

    Lock a needed process by selecting row with FOR UPDATE for a guaranteed
    single-instance execution.
    """

    __tablename__ = "single_process_lock"
    __table_args__ = {"comment": "One row per single-instance job, held with SELECT ... FOR UPDATE"}

    lock_name: Mapped[str] = mapped_column(
        sa.String(64), primary_key=True, comment="name of the single-instance job"
    )
    instance_id: Mapped[str | None] = mapped_column(
        sa.String(36), nullable=True, comment="uuid4: instance that holds the job now"
    )
    heartbeat_time: Mapped[datetime | None] = mapped_column(
        sa.TIMESTAMP, nullable=True, comment="date: last heartbeat of the holder (UTC)"
    )


def _stream_view_select() -> sa.Select:
    stream, location = Stream.__table__, Location.__table__
    restart, handler = Restart.__table__, Handler.__table__
    return sa.select(
        *stream.c,
        *(column for column in location.c if column.name != "stream_id"),
        restart.c.restart,
        restart.c.attempt_count,
        restart.c.delay,
        restart.c.current_attempt,
        restart.c.last_attempt_time,
        # `status` is the stream's; the autorestart's gets its own name.
        restart.c.status.label("restart_status"),
        handler.c.handler_id,
        handler.c.last_feedback_time,
    ).select_from(
        stream.outerjoin(location, location.c.stream_id == stream.c.stream_id)
        .outerjoin(restart, restart.c.stream_id == stream.c.stream_id)
        .outerjoin(handler, handler.c.stream_id == stream.c.stream_id)
    )


def _group_view_select() -> sa.Select:
    group, group_stream = Group.__table__, GroupStream.__table__
    return (
        sa.select(*group.c, sa.func.count(group_stream.c.stream_id).label("stream_count"))
        .select_from(group.outerjoin(group_stream, group_stream.c.group_id == group.c.group_id))
        # Every column, not just the key: Oracle wants each selected column grouped.
        .group_by(*group.c)
    )


#: One row per stream with its location, autorestart and handler, for listing streams.
stream_view = view("stream_view", _stream_view_select())
#: Each group with `stream_count`, the number of its streams.
group_view = view("group_view", _group_view_select())

#: Rows a Streams service expects from the start: `create` and `upgrade` insert them.
PRIMAL_ROWS = [(SingleProcessLock.__table__, [{"lock_name": "streams_master"}])]
