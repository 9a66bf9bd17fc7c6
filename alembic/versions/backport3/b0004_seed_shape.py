"""list tables, person and handler to the seed's shape

What the seed page prints, and so what a database LUNA made holds:
- `persons_list.account_id` and `descriptors_list.account_id` are nullable;
- no backport3 time has a server default (`person.create_time`, both lists'
  `create_time`, `handler.create_time` and `handler.last_update_time`): the
  service writes every time itself, in UTC or local time as its
  STORAGE_TIME setting says, so a UTC default was never LUNA's;
- `descriptors_list.create_time` is commented 'list: person create time'
  (sic);
- `handler.type` is INTEGER (it was SMALLINT).

Online: dropping NOT NULL, dropping a default and setting a comment are
catalog-only changes (no scan, a brief lock). SMALLINT to INTEGER rewrites
`handler` on PostgreSQL; handlers are a few rows per account (policies, not
data), so the rewrite is short, and the alternatives (a new column, a
backfill, a swap) would move `type` after `version`, while the services read
the columns in table order (`Handler.getColumnNames()`). On Oracle SMALLINT
and INTEGER are the same NUMBER(38): nothing to do there.

Downgrade: account_id becomes NOT NULL again, which fails, naming the
column, while a list without an account exists (such a list has no place in
the older shape: the operator decides what becomes of it). The times get
their UTC server defaults back, `type` SMALLINT (its CHECK keeps it in 0..2).

Revision ID: b0004
Revises: b0003
"""
import sqlalchemy as sa
from alembic import op

from luna_db_tools.models.base import utcnow
from luna_db_tools.operations.batched import catalog_only

# set_not_null_without_blocking (runtime/online.py) drops its helper CHECK in a transaction of its own,
# after the validation: catalog only, an instant, bounded by --db-lock-timeout rather than a short one.
# luna-db check: accept blocking-lock-without-short-timeout persons_list -- the helper CHECK's drop after SET NOT NULL, catalog only
# luna-db check: accept blocking-lock-without-short-timeout descriptors_list -- the helper CHECK's drop after SET NOT NULL, catalog only
from luna_db_tools.operations.online import set_not_null_without_blocking

# luna-db check: accept type-change-rewrite handler.type -- handler holds a few rows per account (policies); a short rewrite beats moving the column out of the order the services read
# luna-db check: accept ban-drop-default -- backport3 writes every time itself (STORAGE_TIME: UTC or local); no LUNA release inserts without one

revision = "b0004"
down_revision = "b0003"
branch_labels = None
depends_on = None

LIST_TABLES = ("persons_list", "descriptors_list")
LIST_ACCOUNT_COMMENT = "uuid4: id of the account to which the list belongs"

#: (table, column, comment) of every backport3 time the service writes.
SERVICE_TIMES = (
    ("person", "create_time", "date: person create time"),
    ("persons_list", "create_time", "date: list create time"),
    ("descriptors_list", "create_time", "date: list create time"),
    ("handler", "create_time", "date: handler create time"),
    ("handler", "last_update_time", "date: handler last update time"),
)
SEED_COMMENT = "list: person create time"  # descriptors_list.create_time, sic
HANDLER_TYPE_COMMENT = "handler type (extractor - 0, identify - 1, verify - 2)"


def upgrade() -> None:
    # On PostgreSQL with a short lock timeout, retried (runtime/batched.catalog_only)
    catalog_only(_upgrade)


def _upgrade() -> None:
    for table in LIST_TABLES:
        op.alter_column(table, "account_id", nullable=True, existing_type=sa.String(36),
                        existing_comment=LIST_ACCOUNT_COMMENT)
    for table, column, comment in SERVICE_TIMES:
        op.alter_column(table, column, server_default=None, existing_type=sa.TIMESTAMP,
                        existing_nullable=False, existing_server_default=utcnow(), existing_comment=comment)
    op.alter_column("descriptors_list", "create_time", comment=SEED_COMMENT, existing_type=sa.TIMESTAMP,
                    existing_nullable=False, existing_comment="date: list create time")
    if op.get_context().dialect.name == "postgresql":
        op.alter_column("handler", "type", type_=sa.Integer, existing_type=sa.SmallInteger,
                        existing_nullable=False, existing_comment=HANDLER_TYPE_COMMENT)


def downgrade() -> None:
    # On PostgreSQL with a short lock timeout, retried (runtime/batched.catalog_only);
    # set_not_null_without_blocking commits on its own, so it runs after the catalog step.
    catalog_only(_downgrade_catalog)
    for table in LIST_TABLES:
        set_not_null_without_blocking(table, "account_id", existing_type=sa.String(36),
                                      existing_comment=LIST_ACCOUNT_COMMENT)


def _downgrade_catalog() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.alter_column("handler", "type", type_=sa.SmallInteger, existing_type=sa.Integer,
                        existing_nullable=False, existing_comment=HANDLER_TYPE_COMMENT)
    op.alter_column("descriptors_list", "create_time", comment="date: list create time",
                    existing_type=sa.TIMESTAMP, existing_nullable=False, existing_comment=SEED_COMMENT)
    for table, column, comment in SERVICE_TIMES:
        op.alter_column(table, column, server_default=utcnow(), existing_type=sa.TIMESTAMP,
                        existing_nullable=False, existing_comment=comment)
