"""0.4.0: account credentials moved out, token_info renamed to token

`account` loses password, email and organization_name (the credentials now
live in the Accounts service's database); `account_token.token_info` becomes
`token`. Every account and token row is kept.

The credentials are kept too, as LUNA 0.4.0 did: before the columns go,
every account's password hash, email and organization name are copied into
the temporary table `account_credentials_tmp` (one statement, CREATE TABLE
AS SELECT, so a rerun of a part-applied Oracle revision finds it whole or
not at all). It stays until an operator has moved them to the Accounts
service (`luna_db_tools.command.credentials.export_credentials`) and removes it on
request (`remove_credentials`, LUNA's `--remove_tmp_tables` step). A
database without accounts has nothing to keep and gets no such table (so
`upgrade head` from empty builds what `create` builds); an offline script
cannot count rows and always creates it.

Downgrade: the three columns come back and take their real values from
`account_credentials_tmp`, which is then dropped. An account without a row
there (created after the upgrade; or the table was removed; or the database
ran b0002 before it kept credentials, luna-db 0.1.0 up to 503fa33) gets the
old placeholders, and the downgrade says how many: password '*' (a hash no
password matches: no one can log in with it), email and organization_name
NULL. An offline downgrade script assumes the table is there (it fails, and
changes nothing on PostgreSQL, where it is not); downgrade such a database
online.

This file was rewritten after release to keep the credentials; the audit
trail knows its earlier checksums (luna_db_tools.runtime.known_checksums).

Revision ID: b0002
Revises: b0001
"""
import logging

import sqlalchemy as sa
from alembic import op

from luna_db_tools.operations.batched import catalog_only

# The point of 0.4.0: its services no longer read these columns; their values are kept in account_credentials_tmp.
# account holds one row per LUNA account: keeping and restoring its credentials takes milliseconds.
# luna-db check: accept lock-held-while-moving-rows account -- one row per LUNA account, the copy takes milliseconds
# luna-db check: accept lock-held-while-moving-rows account_token -- held for the milliseconds of the account copy
# luna-db check: accept drop-column account.email -- 0.4.0 moved credentials out of this database by design
# luna-db check: accept drop-column account.password -- 0.4.0 moved credentials out of this database by design
# luna-db check: accept drop-column account.organization_name -- 0.4.0 moved credentials out of this database by design
# The rename is the release's point too; its downgrade gives 0.3 its name back.
# luna-db check: accept renaming-column account_token.token_info -- 0.4.0 renames token_info to token by design; its services read only the new name
# luna-db check: accept renaming-column account_token.token -- the downgrade gives 0.3 back the name it reads
# The downgrade restores 0.3's unique email on a column it has just added (all NULL).
# luna-db check: accept disallowed-unique-constraint account.uq_account_email -- account holds one row per LUNA account, a short build; 0.3 needs this exact constraint back
# The 0.3 release cannot run on this schema (it writes the credentials and reads token_info): stop every
# instance of it before b0002 runs; its upgrade is no rolling one.
# luna-db check: accept breaks-running-release account.password -- 0.4.0 moved credentials out by design; stop 0.3 before b0002
# luna-db check: accept breaks-running-release account.email -- 0.4.0 moved credentials out by design; stop 0.3 before b0002
# luna-db check: accept breaks-running-release account.organization_name -- 0.4.0 moved credentials out by design; stop 0.3 before b0002
# luna-db check: accept breaks-running-release account_token.token_info -- 0.4.0 renamed token_info to token by design; stop 0.3 before b0002

revision = "b0002"
down_revision = "b0001"
branch_labels = None
depends_on = None

# luna_db_tools.command.credentials.CREDENTIALS_TABLE names the same table; a
# revision states its own names, so that a later change there cannot alter it.
KEPT = "account_credentials_tmp"
KEPT_COMMENT = (
    "luna-db: account credentials kept by the 0.4.0 migration (b0002) until moved to the Accounts "
    "service; remove with luna-db after export"
)
KEPT_COLUMN_COMMENTS = {
    "account_id": "uuid4: account id",
    "password": "password hash, as account.password held it",
    "email": "account email",
    "organization_name": "organization name",
    "exported_at": "UTC time of the last export of this row; NULL: never exported",
}
CREDENTIALS = ("password", "email", "organization_name")
PLACEHOLDER_PASSWORD = "*"

log = logging.getLogger("luna_db_tools.migrations.b0002")


def _say(line: str, *, warning: bool = True) -> None:
    """One line for the operator: luna-db's report when it runs us, else the log
    (plain Alembic shows the warnings; facts like "nothing to keep" are info)."""
    report = op.get_context().config.attributes.get("report") if op.get_context().config else None
    (report or (log.warning if warning else log.info))(line)


def _kept_table_exists() -> bool:
    return sa.inspect(op.get_bind()).has_table(KEPT)


def _count(sql: str) -> int:
    return op.get_bind().execute(sa.text(sql)).scalar_one()


def _keep_credentials() -> None:
    """Copy every account's credentials into account_credentials_tmp."""
    offline = op.get_context().as_sql
    if not offline:
        if _kept_table_exists():
            # A part-applied Oracle run made it before it stopped: it holds every account already.
            _say(f"{KEPT} exists already: kept as it is")
            return
        accounts = _count("SELECT count(*) FROM account")
        if accounts == 0:
            _say("no accounts: no credentials to keep", warning=False)
            return
    op.execute(
        f"CREATE TABLE {KEPT} AS SELECT account_id, password, email, organization_name, "
        "CAST(NULL AS TIMESTAMP) AS exported_at FROM account"
    )
    op.create_primary_key(op.f(f"pk_{KEPT}"), KEPT, ["account_id"])
    op.execute(f"COMMENT ON TABLE {KEPT} IS '{KEPT_COMMENT}'")
    for column, comment in KEPT_COLUMN_COMMENTS.items():
        op.execute(f"COMMENT ON COLUMN {KEPT}.{column} IS '{comment}'")
    if not offline:
        _say(f"credentials of {accounts} account(s) kept in {KEPT}: export them to the Accounts service, "
             "then remove the table")


def _rename_unique(old: str, new: str) -> None:
    op.execute(f"ALTER TABLE account_token RENAME CONSTRAINT {old} TO {new}")
    if op.get_context().dialect.name == "oracle":
        # Oracle's backing index keeps the old name unless renamed too.
        op.execute(f"ALTER INDEX {old} RENAME TO {new}")


def _rename_not_null(table: str, old_column: str, new_column: str) -> None:
    """PostgreSQL 18 names NOT NULL constraints after their column, and a column rename keeps
    the old name: rename it too, so that an upgraded database matches a created one."""
    if op.get_context().dialect.name != "postgresql":
        return
    old, new = f"{table}_{old_column}_not_null", f"{table}_{new_column}_not_null"
    op.execute(
        f"DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_constraint WHERE conname = '{old}'"
        f" AND conrelid = '{table}'::regclass) THEN"
        f" ALTER TABLE {table} RENAME CONSTRAINT {old} TO {new}; END IF; END $$"
    )


def upgrade() -> None:
    # On PostgreSQL with a short lock timeout, retried (runtime/batched.catalog_only)
    catalog_only(_upgrade)


def _upgrade() -> None:
    _keep_credentials()
    op.drop_constraint(op.f("uq_account_email"), "account", type_="unique")
    op.drop_column("account", "email")
    op.drop_column("account", "password")
    op.drop_column("account", "organization_name")
    op.alter_column("account_token", "token_info", new_column_name="token",
                    existing_type=sa.String(128), existing_nullable=False)
    _rename_not_null("account_token", "token_info", "token")
    _rename_unique("uq_account_token_token_info", "uq_account_token_token")


def _restore_credentials() -> None:
    """The kept values back into account; placeholders (said so) where there are none."""
    offline = op.get_context().as_sql
    if not offline and not _kept_table_exists():
        accounts = _count("SELECT count(*) FROM account")
        if accounts:
            _say(f"no {KEPT} (removed, or kept by no b0002 run): {accounts} account(s) get the placeholder "
                 f"password '{PLACEHOLDER_PASSWORD}' and no email or organization name")
        return
    matched = f"SELECT 1 FROM {KEPT} k WHERE k.account_id = account.account_id"
    assignments = ", ".join(
        f"{column} = (SELECT k.{column} FROM {KEPT} k WHERE k.account_id = account.account_id)"
        for column in CREDENTIALS
    )
    op.execute(f"UPDATE account SET {assignments} WHERE EXISTS ({matched})")
    if not offline:
        restored = _count(f"SELECT count(*) FROM account WHERE EXISTS ({matched})")
        missing = _count(f"SELECT count(*) FROM account WHERE NOT EXISTS ({matched})")
        _say(f"credentials of {restored} account(s) restored from {KEPT}")
        if missing:
            _say(f"{missing} account(s) without kept credentials (created after the upgrade) get the "
                 f"placeholder password '{PLACEHOLDER_PASSWORD}' and no email or organization name")
    op.drop_table(KEPT)


def downgrade() -> None:
    # On PostgreSQL with a short lock timeout, retried (runtime/batched.catalog_only)
    catalog_only(_downgrade)


def _downgrade() -> None:
    _rename_unique("uq_account_token_token", "uq_account_token_token_info")
    op.alter_column("account_token", "token", new_column_name="token_info",
                    existing_type=sa.String(128), existing_nullable=False)
    _rename_not_null("account_token", "token", "token_info")
    # NOT NULL needs a value for existing rows: '*' for a while, then the old
    # shape (no default) again. Not '': that is NULL on Oracle.
    op.add_column("account", sa.Column("password", sa.String(128), nullable=False,
                                       server_default=PLACEHOLDER_PASSWORD, comment="password hash"))
    op.alter_column("account", "password", server_default=None, existing_type=sa.String(128), existing_nullable=False)
    op.add_column("account", sa.Column("email", sa.String(64), comment="account email, unique"))
    op.add_column("account", sa.Column("organization_name", sa.String(128), comment="organization name"))
    _restore_credentials()
    # After the values are back: they were unique when they were kept.
    op.create_unique_constraint(None, "account", ["email"])
