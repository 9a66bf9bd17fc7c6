"""indexes for paginating lists by account and create time

The names are the services' own (`create_persons_list_time_index`,
`create_descr_list_time_index`), which DBAs and the services know.

Revision ID: b0003
Revises: b0002
"""
from alembic import op

from luna_db_tools.operations.online import create_index_without_blocking, drop_index_without_blocking

revision = "b0003"
down_revision = "b0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Lists are read and written all the time: build without blocking writers.
    create_index_without_blocking(op.f("create_persons_list_time_index"), "persons_list", ["account_id", "create_time"])
    create_index_without_blocking(op.f("create_descr_list_time_index"), "descriptors_list", ["account_id", "create_time"])


def downgrade() -> None:
    # The same tables, the same reason: a plain DROP INDEX would lock out readers too.
    drop_index_without_blocking("create_descr_list_time_index", "descriptors_list")
    drop_index_without_blocking("create_persons_list_time_index", "persons_list")
