"""accounts, tokens, persons, lists and handlers (before 0.4.0)

The shape before 0.4.0: `account` still holds the credentials (password,
email, organization name) and `account_token` calls its token `token_info`.

Revision ID: b0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

from luna_db_tools.models.base import Bool, EmptyString, bool_check, bool_literal, utcnow

revision = "b0001"
down_revision = None
branch_labels = ("backport3",)
depends_on = None


def _account_key(comment, **kw):
    return sa.Column(
        "account_id", sa.String(36), sa.ForeignKey("account.account_id", **kw), nullable=False,
        comment=comment,
    )


def _create_time(comment):
    return sa.Column("create_time", sa.TIMESTAMP, nullable=False, server_default=utcnow(), comment=comment)


def upgrade() -> None:
    op.create_table(
        "account",
        sa.Column("account_id", sa.String(36), primary_key=True, comment="uuid4: account id"),
        sa.Column("active", Bool, nullable=False, server_default=bool_literal(True), comment="account status (blocked or not)"),
        sa.Column("password", sa.String(128), nullable=False, comment="password hash"),
        sa.Column("email", sa.String(64), unique=True, comment="account email, unique"),
        sa.Column("organization_name", sa.String(128), comment="organization name"),
        bool_check("active"),
        comment="Accounts; credentials live outside since 0.4.0",
    )
    op.create_table(
        "account_token",
        sa.Column("token_id", sa.String(36), primary_key=True, comment="uuid4: token id"),
        _account_key("uuid4: account id, token is linked to", ondelete="CASCADE"),
        sa.Column("token_info", sa.String(128), nullable=False, unique=True, comment="token"),
        comment="Access tokens of accounts",
    )
    op.create_index(None, "account_token", ["account_id"])
    op.create_table(
        "person",
        sa.Column("person_id", sa.String(36), primary_key=True, comment="uuid4: person id"),
        _account_key("uuid4: id of the account to which the person belongs"),
        sa.Column("user_data", EmptyString(128), nullable=False, server_default="", comment="client info about the person"),
        sa.Column("external_id", sa.String(36), comment="external id of the person, if it has its own mapping in external system"),
        _create_time("date: person create time"),
        comment="Persons: a person has faces and belongs to lists",
    )
    op.create_index(None, "person", ["external_id"])
    op.create_index(None, "person", ["account_id", "create_time"])
    for name, comment in (("persons_list", "Lists of persons"), ("descriptors_list", "Lists of descriptors")):
        op.create_table(
            name,
            sa.Column("list_id", sa.String(36), primary_key=True, comment="uuid4: list id"),
            _account_key("uuid4: id of the account to which the list belongs"),
            _create_time("date: list create time"),
            comment=comment,
        )
    op.create_table(
        "list_person",
        sa.Column("list_id", sa.String(36), sa.ForeignKey("persons_list.list_id", ondelete="CASCADE"), primary_key=True, comment="uuid4: list id"),
        sa.Column("person_id", sa.String(36), sa.ForeignKey("person.person_id", ondelete="CASCADE"), primary_key=True, comment="uuid4: person id"),
        comment="Which persons are in which lists",
    )
    op.create_index(None, "list_person", ["person_id"])
    op.create_table(
        "person_face",
        sa.Column("face_id", sa.String(36), primary_key=True, comment="uuid4: face id"),
        sa.Column("person_id", sa.String(36), sa.ForeignKey("person.person_id", ondelete="CASCADE"), nullable=False, comment="uuid4: person id"),
        comment="Faces of persons: a face belongs to one person",
    )
    op.create_index(None, "person_face", ["person_id"])
    op.create_table(
        "handler",
        sa.Column("handler_id", sa.String(36), primary_key=True, comment="uuid4: handler id"),
        _account_key("uuid4: id of the account to which this handler belongs"),
        _create_time("date: handler create time"),
        sa.Column("last_update_time", sa.TIMESTAMP, nullable=False, server_default=utcnow(), comment="date: handler last update time"),
        sa.Column("policies", sa.Text, nullable=False, comment="json: handler policies"),
        sa.Column("type", sa.SmallInteger, nullable=False, comment="handler type (extractor - 0, identify - 1, verify - 2)"),
        sa.Column("version", sa.Integer, nullable=False, server_default=sa.text("1"), comment="handler version"),
        sa.CheckConstraint("type IN (0, 1, 2)", name="type"),
        comment="Handlers: extractor, identify and verify policies",
    )


def downgrade() -> None:
    for table in ("handler", "person_face", "list_person", "descriptors_list", "persons_list",
                  "person", "account_token", "account"):
        op.drop_table(table)
