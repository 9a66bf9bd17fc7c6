"""Backport3 database models (database `luna_backport3`)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from .base import Bool, EmptyString, JsonText, bool_check, bool_literal, make_base
from .kept import KEPT_TABLES

Base = make_base()
metadata = Base.metadata

#: Handler types: extractor 0, identify 1, verify 2.
HANDLER_TYPES = (0, 1, 2)


def _account_key(comment: str, *, nullable: bool = False):
    """`account_id`, the account a row belongs to."""
    return mapped_column(
        sa.String(36), sa.ForeignKey("account.account_id"), nullable=nullable, comment=comment
    )


def _service_time(comment: str):
    """A time the service writes itself (UTC or local, as its STORAGE_TIME
    says): NOT NULL and no server default, as the seed page prints it."""
    return mapped_column(sa.TIMESTAMP, nullable=False, comment=comment)


class Account(Base):
    """Database table model for account."""

    __tablename__ = "account"
    __table_args__ = (bool_check("active"), {"comment": "Accounts; credentials live outside since 0.4.0"})

    account_id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, comment="uuid4: account id")
    active: Mapped[bool] = mapped_column(
        Bool, nullable=False, server_default=bool_literal(True), comment="account status (blocked or not)"
    )


class AccountToken(Base):
    """Token table."""

    __tablename__ = "account_token"
    __table_args__ = {"comment": "Access tokens of accounts"}

    token_id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, comment="uuid4: token id")
    account_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("account.account_id", ondelete="CASCADE"), nullable=False,
        index=True, comment="uuid4: account id, token is linked to",
    )
    token: Mapped[str] = mapped_column(sa.String(128), nullable=False, unique=True, comment="token")


class Person(Base):
    """Database table model for persons."""

    __tablename__ = "person"
    __table_args__ = (
        sa.Index(None, "account_id", "create_time"),
        {"comment": "Persons: a person has faces and belongs to lists"},
    )

    person_id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, comment="uuid4: person id")
    account_id: Mapped[str] = _account_key("uuid4: id of the account to which the person belongs")
    user_data: Mapped[str] = mapped_column(
        EmptyString(128), nullable=False, server_default="", comment="client info about the person"
    )
    external_id: Mapped[str | None] = mapped_column(
        sa.String(36), nullable=True, index=True,
        comment="external id of the person, if it has its own mapping in external system",
    )
    create_time: Mapped[datetime] = _service_time("date: person create time")


#: The seed's comment on a list's account (both list tables).
LIST_ACCOUNT_COMMENT = "uuid4: id of the account to which the list belongs"


def _list_id():
    return mapped_column(sa.String(36), primary_key=True, comment="uuid4: list id")


def _list_account():
    """A list's account: nullable, as the seed's index repr prints it (no `nullable=False`)."""
    return _account_key(LIST_ACCOUNT_COMMENT, nullable=True)


class PersonsList(Base):
    """Database table model for person lists."""

    __tablename__ = "persons_list"
    __table_args__ = (
        # The seed's name, kept as it is (longer forms would break the 30
        # characters; services and DBAs know this one).
        sa.Index("create_persons_list_time_index", "account_id", "create_time"),
        {"comment": "Lists of persons"},
    )

    list_id: Mapped[str] = _list_id()
    account_id: Mapped[str | None] = _list_account()
    create_time: Mapped[datetime] = _service_time("date: list create time")


class DescriptorsList(Base):
    """Database table model for descriptors lists."""

    __tablename__ = "descriptors_list"
    __table_args__ = (
        sa.Index("create_descr_list_time_index", "account_id", "create_time"),
        {"comment": "Lists of descriptors"},
    )

    list_id: Mapped[str] = _list_id()
    account_id: Mapped[str | None] = _list_account()
    # Sic: the seed prints this comment on descriptors_list, not "date: list
    # create time"; a database LUNA made carries it, so the models do too.
    create_time: Mapped[datetime] = _service_time("list: person create time")


class ListPerson(Base):
    """Database table model for links between persons and lists."""

    __tablename__ = "list_person"
    __table_args__ = {"comment": "Which persons are in which lists"}

    list_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("persons_list.list_id", ondelete="CASCADE"), primary_key=True,
        comment="uuid4: list id",
    )
    person_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("person.person_id", ondelete="CASCADE"), primary_key=True,
        index=True, comment="uuid4: person id",
    )


class PersonFace(Base):
    """Database table model for links between persons and faces."""

    __tablename__ = "person_face"
    __table_args__ = {"comment": "Faces of persons: a face belongs to one person"}

    face_id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, comment="uuid4: face id")
    person_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("person.person_id", ondelete="CASCADE"), nullable=False,
        index=True, comment="uuid4: person id",
    )


class Handler(Base):
    """Database table model for handlers."""

    __tablename__ = "handler"
    __table_args__ = (
        sa.CheckConstraint("type IN ({})".format(", ".join(map(str, HANDLER_TYPES))), name="type"),
        {"comment": "Handlers: extractor, identify and verify policies"},
    )

    handler_id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, comment="uuid4: handler id")
    account_id: Mapped[str] = _account_key("uuid4: id of the account to which this handler belongs")
    create_time: Mapped[datetime] = _service_time("date: handler create time")
    last_update_time: Mapped[datetime] = _service_time("date: handler last update time")
    policies: Mapped[str] = mapped_column(JsonText, nullable=False, comment="json: handler policies")
    # Integer, as the seed documents it (b0001..b0003 had SMALLINT).
    type: Mapped[int] = mapped_column(
        sa.Integer, nullable=False, comment="handler type (extractor - 0, identify - 1, verify - 2)"
    )
    version: Mapped[int] = mapped_column(
        sa.Integer, nullable=False, server_default=sa.text("1"), comment="handler version"
    )


#: Tables a migration leaves for an operator to remove, which are not drift
#: while they exist: b0002 keeps the 0.4.0 credentials in one until they are
#: exported to the Accounts service and removed (luna_db_tools.credentials).
metadata.info["kept_tables"] = dict(KEPT_TABLES["backport3"])  # the one list: models/kept.py

#: Backport3 needs no rows from the start.
PRIMAL_ROWS: list = []
