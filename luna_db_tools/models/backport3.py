"""Backport3 database models (database `luna_backport3`)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import mapped_column

from .base import Bool, ColumnNamesMixin, bool_check, bool_literal, make_base, utcnow

Base = make_base()
metadata = Base.metadata

#: Handler types: extractor, identify, verify.
HANDLER_TYPES = (0, 1, 2)


def _account_key(comment: str, **kw):
    return mapped_column(
        sa.String(36), sa.ForeignKey("account.account_id", **kw), nullable=False, comment=comment
    )


def _create_time(comment: str):
    return mapped_column(sa.TIMESTAMP, nullable=False, server_default=utcnow(), comment=comment)


class Account(ColumnNamesMixin, Base):
    """Database table model for account."""

    __tablename__ = "account"
    __table_args__ = (bool_check("active"), {"comment": "Accounts; credentials live outside since 0.4.0"})

    account_id = mapped_column(sa.String(36), primary_key=True, comment="uuid4: account id")
    active = mapped_column(
        Bool, nullable=False, server_default=bool_literal(True), comment="account status (blocked or not)"
    )


class AccountToken(ColumnNamesMixin, Base):
    """Token table."""

    __tablename__ = "account_token"
    __table_args__ = {"comment": "Access tokens of accounts"}

    token_id = mapped_column(sa.String(36), primary_key=True, comment="uuid4: token id")
    account_id = mapped_column(
        sa.String(36), sa.ForeignKey("account.account_id", ondelete="CASCADE"), nullable=False,
        index=True, comment="uuid4: account id, token is linked to",
    )
    token = mapped_column(sa.String(128), nullable=False, unique=True, comment="token")


class Person(ColumnNamesMixin, Base):
    """Database table model for persons."""

    __tablename__ = "person"
    __table_args__ = (
        sa.Index(None, "account_id", "create_time"),
        {"comment": "Persons: a person has faces and belongs to lists"},
    )

    person_id = mapped_column(sa.String(36), primary_key=True, comment="uuid4: person id")
    account_id = _account_key("uuid4: id of the account to which the person belongs")
    user_data = mapped_column(
        sa.String(128), nullable=False, server_default="", comment="client info about the person"
    )
    external_id = mapped_column(
        sa.String(36), index=True,
        comment="external id of the person, if it has its own mapping in external system",
    )
    create_time = _create_time("date: person create time")


class _AccountList(ColumnNamesMixin):
    """The columns every kind of list has: its id, its account, its create time."""

    list_id = mapped_column(sa.String(36), primary_key=True, comment="uuid4: list id")
    account_id = _account_key("uuid4: id of the account to which the list belongs")
    create_time = _create_time("date: list create time")


class PersonsList(_AccountList, Base):
    """Database table model for person lists."""

    __tablename__ = "persons_list"
    __table_args__ = (
        # The seed's name, kept exactly: the services and DBAs know it.
        sa.Index("create_persons_list_time_index", "account_id", "create_time"),
        {"comment": "Lists of persons"},
    )


class DescriptorsList(_AccountList, Base):
    """Database table model for descriptors lists."""

    __tablename__ = "descriptors_list"
    __table_args__ = (
        sa.Index("create_descr_list_time_index", "account_id", "create_time"),
        {"comment": "Lists of descriptors"},
    )


class ListPerson(ColumnNamesMixin, Base):
    """Database table model for links between persons and lists."""

    __tablename__ = "list_person"
    __table_args__ = {"comment": "Which persons are in which lists"}

    list_id = mapped_column(
        sa.String(36), sa.ForeignKey("persons_list.list_id", ondelete="CASCADE"), primary_key=True,
        comment="uuid4: list id",
    )
    person_id = mapped_column(
        sa.String(36), sa.ForeignKey("person.person_id", ondelete="CASCADE"), primary_key=True,
        index=True, comment="uuid4: person id",
    )


class PersonFace(ColumnNamesMixin, Base):
    """Database table model for links between persons and faces."""

    __tablename__ = "person_face"
    __table_args__ = {"comment": "Faces of persons: a face belongs to one person"}

    face_id = mapped_column(sa.String(36), primary_key=True, comment="uuid4: face id")
    person_id = mapped_column(
        sa.String(36), sa.ForeignKey("person.person_id", ondelete="CASCADE"), nullable=False,
        index=True, comment="uuid4: person id",
    )


class Handler(ColumnNamesMixin, Base):
    """Database table model for handlers."""

    __tablename__ = "handler"
    __table_args__ = (
        sa.CheckConstraint(f"type IN {HANDLER_TYPES}", name="type"),
        {"comment": "Handlers: extractor, identify and verify policies"},
    )

    handler_id = mapped_column(sa.String(36), primary_key=True, comment="uuid4: handler id")
    account_id = _account_key("uuid4: id of the account to which this handler belongs")
    create_time = _create_time("date: handler create time")
    last_update_time = mapped_column(
        sa.TIMESTAMP, nullable=False, server_default=utcnow(), comment="date: handler last update time"
    )
    policies = mapped_column(sa.Text, nullable=False, comment="json: handler policies")
    type = mapped_column(
        sa.SmallInteger, nullable=False, comment="handler type (extractor - 0, identify - 1, verify - 2)"
    )
    version = mapped_column(sa.Integer, nullable=False, server_default=sa.text("1"), comment="handler version")


#: Backport3 needs no rows from the start.
PRIMAL_ROWS: list = []
