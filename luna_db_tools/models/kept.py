"""Tables a migration leaves for an operator to remove, per schema: not drift while they exist.

Plain data, no SQLAlchemy: `status` on PostgreSQL compares the catalog with
the shipped head fingerprint and needs this list, not the models (and so not
the ORM). The models carry the same list in `metadata.info["kept_tables"]`.
"""

from __future__ import annotations

#: schema -> {table: why it is kept}. backport3's b0002 keeps the 0.4.0 credentials until they
#: are exported to the Accounts service and removed (luna_db_tools/command/credentials.py).
KEPT_TABLES: dict[str, dict[str, str]] = {
    "streams": {},
    "backport3": {"account_credentials_tmp": "credentials kept by b0002 until removed on request"},
}
