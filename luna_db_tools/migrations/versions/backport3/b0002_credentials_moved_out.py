"""0.4.0: account credentials moved out, token_info renamed to token

`account` loses password, email and organization_name (the credentials now
live outside this database); `account_token.token_info` becomes `token`.
Every account and token row is kept.

Downgrade: the three columns come back with the old shape, but their old
values cannot: they were dropped. password comes back as '*' for existing
accounts (a hash that no password matches: no one can log in with it),
email and organization_name as NULL.

Revision ID: b0002
Revises: b0001
"""
import sqlalchemy as sa
from alembic import op

# The point of 0.4.0: its services no longer read these columns.
# luna-db check: accept drop-column account.email -- 0.4.0 moved credentials out of this database by design
# luna-db check: accept drop-column account.password -- 0.4.0 moved credentials out of this database by design
# luna-db check: accept drop-column account.organization_name -- 0.4.0 moved credentials out of this database by design
# The rename is the release's point too; its downgrade gives 0.3 its name back.
# luna-db check: accept renaming-column account_token.token_info -- 0.4.0 renames token_info to token by design; its services read only the new name
# luna-db check: accept renaming-column account_token.token -- the downgrade gives 0.3 back the name it reads
# The downgrade restores 0.3's unique email on a column it has just added (all NULL).
# luna-db check: accept disallowed-unique-constraint account.uq_account_email -- account holds one row per LUNA account, a short build; 0.3 needs this exact constraint back

revision = "b0002"
down_revision = "b0001"
branch_labels = None
depends_on = None


def _rename_unique(old: str, new: str) -> None:
    op.execute(f"ALTER TABLE account_token RENAME CONSTRAINT {old} TO {new}")
    if op.get_context().dialect.name == "oracle":
        # Oracle's backing index keeps the old name unless renamed too.
        op.execute(f"ALTER INDEX {old} RENAME TO {new}")


def upgrade() -> None:
    op.drop_constraint(op.f("uq_account_email"), "account", type_="unique")
    op.drop_column("account", "email")
    op.drop_column("account", "password")
    op.drop_column("account", "organization_name")
    op.alter_column("account_token", "token_info", new_column_name="token",
                    existing_type=sa.String(128), existing_nullable=False)
    _rename_unique("uq_account_token_token_info", "uq_account_token_token")


def downgrade() -> None:
    _rename_unique("uq_account_token_token", "uq_account_token_token_info")
    op.alter_column("account_token", "token", new_column_name="token_info",
                    existing_type=sa.String(128), existing_nullable=False)
    # NOT NULL needs a value for existing rows: '*' for a while, then the old
    # shape (no default) again. Not '': that is NULL on Oracle.
    op.add_column("account", sa.Column("password", sa.String(128), nullable=False, server_default="*", comment="password hash"))
    op.alter_column("account", "password", server_default=None, existing_type=sa.String(128), existing_nullable=False)
    op.add_column("account", sa.Column("email", sa.String(64), comment="account email, unique"))
    op.create_unique_constraint(None, "account", ["email"])
    op.add_column("account", sa.Column("organization_name", sa.String(128), comment="organization name"))
