"""The account credentials that backport3's b0002 keeps, and the operator's two steps after it.

LUNA 0.4.0 moved account credentials to the Accounts service in steps: the
database migration, then moving the credentials into the Accounts database,
then, on request, removing the temporary tables. b0002 keeps every account's
password hash, email and organization name in `account_credentials_tmp`;
this module

- reports what is kept (`kept_credentials`, for `status`),
- exports it in a form the Accounts side loads (`export_credentials`: JSON
  lines or CSV of account_id, email, organization_name and the password hash
  as stored), marking each exported row, and
- removes the table on request (`remove_credentials`), refusing while a row
  was never exported unless forced.

An export holds password hashes: the file is created new (never
overwritten), readable by its owner only, and nothing of it is printed or
logged. Each export and removal leaves an audit row (its checksum is the
file's sha256, so the Accounts side can tell it loaded that file).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import sqlalchemy as sa

from ..db.audit import ensure_audit_table, record, utc_now
from ..db.catalog_queries import has_table
from ..db.connect import connect
from ..db.lock import DEFAULT_LOCK_TIMEOUT
from ..db.session import migration_session
from ..errors import BadInput, OperationFailed

CREDENTIALS_TABLE = "account_credentials_tmp"
#: The columns of an export, in order (the Accounts side's names).
EXPORT_COLUMNS = ("account_id", "email", "organization_name", "password")
EXPORT_FORMATS = ("jsonl", "csv")


@dataclass(frozen=True)
class KeptCredentials:
    """What `account_credentials_tmp` holds: its rows, and how many were exported."""

    table: str
    accounts: int
    exported: int

    @property
    def not_exported(self) -> int:
        return self.accounts - self.exported

    def as_dict(self) -> dict:
        return {**asdict(self), "not_exported": self.not_exported}

    def __str__(self) -> str:
        return (f"{self.table}: credentials of {self.accounts} account(s) kept by b0002, "
                f"{self.exported} exported; remove it once the Accounts service has them")


@dataclass(frozen=True)
class Export:
    path: str
    format: str
    accounts: int
    sha256: str


@dataclass(frozen=True)
class Removal:
    table: str
    accounts: int
    not_exported: int  # > 0 only when forced


def kept_credentials(connection) -> KeptCredentials | None:
    """What the database keeps; None when it has no `account_credentials_tmp`."""

    if not has_table(connection, CREDENTIALS_TABLE):
        return None
    table = _kept_table()
    accounts, exported = connection.execute(
        sa.select(sa.func.count(), sa.func.count(table.c.exported_at))
    ).one()
    return KeptCredentials(CREDENTIALS_TABLE, accounts, exported)


def export_to_file(connection, path: str | Path, fmt: str = "jsonl") -> Export:
    """Write every kept row to a new file at `path` and mark the rows exported (committed).

    The file is written and flushed to disk before any row is marked, so a
    row marked exported is in a file.
    """

    if fmt not in EXPORT_FORMATS:
        raise BadInput(f"unknown export format {fmt!r}: choose jsonl or csv")
    started = utc_now()
    rows = _kept_rows(connection)
    data = _render(rows, fmt).encode("utf-8")
    _write_new_private_file(Path(path), data)
    table = _kept_table()
    ensure_audit_table(connection)
    connection.execute(table.update().values(exported_at=utc_now()))
    digest = hashlib.sha256(data).hexdigest()
    record(connection, CREDENTIALS_TABLE, "export", started, digest)
    connection.commit()
    return Export(str(path), fmt, len(rows), digest)


def remove_table(connection, *, force: bool = False) -> Removal:
    """Drop `account_credentials_tmp`; refused while a row was never exported, unless `force`."""

    kept = _require_kept(connection)
    if kept.not_exported and not force:
        raise OperationFailed(
            f"{kept.not_exported} of {kept.accounts} account(s) in {CREDENTIALS_TABLE} were never exported: "
            "export them first (or force the removal, losing them)"
        )
    started = utc_now()
    _kept_table().drop(connection)
    ensure_audit_table(connection)
    record(connection, CREDENTIALS_TABLE, "remove", started, None)
    connection.commit()
    return Removal(CREDENTIALS_TABLE, kept.accounts, kept.not_exported)


def export_credentials(settings, path: str | Path, fmt: str = "jsonl", *, policy=None) -> Export:
    """Export the kept credentials of the database of `settings` (backport3) to a new file."""

    _require_backport3(settings)
    with connect(settings, policy) as connection:
        return export_to_file(connection, path, fmt)


def remove_credentials(settings, *, force: bool = False, policy=None, lock_timeout: float | None = None) -> Removal:
    """Remove the kept credentials table, under the migration lock (a b0002 step must not run meanwhile)."""

    _require_backport3(settings)
    timeout = DEFAULT_LOCK_TIMEOUT if lock_timeout is None else lock_timeout
    with migration_session(settings, policy, lock_timeout=timeout) as connection:
        return remove_table(connection, force=force)


def _require_backport3(settings) -> None:
    if settings.schema != "backport3":
        raise BadInput("the kept account credentials belong to the backport3 schema: say --schema backport3")


def _require_kept(connection) -> KeptCredentials:
    kept = kept_credentials(connection)
    if kept is None:
        raise OperationFailed(
            f"this database has no {CREDENTIALS_TABLE}: it was removed, or the database had no accounts when "
            "b0002 ran, or b0002 ran before luna-db kept credentials (then they are gone from this database)"
        )
    return kept


def _kept_table():

    return sa.Table(
        CREDENTIALS_TABLE, sa.MetaData(),
        sa.Column("account_id", sa.String(36), primary_key=True),
        sa.Column("password", sa.String(128)),
        sa.Column("email", sa.String(64)),
        sa.Column("organization_name", sa.String(128)),
        sa.Column("exported_at", sa.TIMESTAMP),
    )


def _kept_rows(connection) -> list[dict]:

    _require_kept(connection)
    table = _kept_table()
    query = sa.select(*(table.c[name] for name in EXPORT_COLUMNS)).order_by(table.c.account_id)
    return [dict(row) for row in connection.execute(query).mappings()]


def _render(rows: list[dict], fmt: str) -> str:
    if fmt == "jsonl":
        return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _write_new_private_file(path: Path, data: bytes) -> None:
    """Create `path` (never over another file), owner-only, with `data` flushed to disk."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise BadInput(f"{path} exists: an export never overwrites a file, name a new one") from None
    except OSError as error:
        raise BadInput(f"cannot create {path}: {error.strerror}") from None
    with os.fdopen(descriptor, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
