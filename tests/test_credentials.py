"""The 0.4.0 credentials move on a real PostgreSQL: kept by b0002, exported, removed on
request, restored by the downgrade; and a database that ran b0002 before it kept them."""

from __future__ import annotations

import csv
import json
import stat

import pytest
import sqlalchemy as sa

from luna_db_tools.command import credentials
from luna_db_tools.config.settings import ConnectionOptions, resolve_settings
from luna_db_tools.db import audit
from luna_db_tools.errors import BadInput, OperationFailed
from luna_db_tools.script.known_checksums import earlier_form
from tests.clirunner import invoke
from tests.pghelpers import engine

# Values that a careless copy would bend: a NULL email, a quote, non-ASCII, a long hash.
ACCOUNTS = [
    ("a-1", "$pbkdf2-sha256$29000$N2bMGWPsfY/R2ptzbg2hdA$" + "x" * 60, "ops@example.org", "O'Brien & Co"),
    ("a-2", "hash-two", None, "Организация"),
    ("a-3", "hash-three", "third@example.org", None),
]
CREDENTIAL_COLUMNS = "account_id, password, email, organization_name"


def cli(db, *args):
    result = invoke(*args, "--schema", "backport3", "--dsn", db.dsn)
    assert result.exit_code == 0, result.stderr
    return result


def settings(db):
    return resolve_settings(ConnectionOptions(schema="backport3", dsn=db.dsn), environ={})


@pytest.fixture
def b0001_with_credentials(fresh_db):
    cli(fresh_db, "upgrade", "b0001")
    with engine(fresh_db).begin() as connection:
        for account_id, password, email, organization in ACCOUNTS:
            connection.execute(
                sa.text("INSERT INTO account (account_id, password, email, organization_name)"
                        " VALUES (:a, :p, :e, :o)"),
                {"a": account_id, "p": password, "e": email, "o": organization},
            )
        connection.execute(sa.text("INSERT INTO account_token (token_id, account_id, token_info) VALUES ('t-1', 'a-1', 'tok')"))
    return fresh_db


def rows(db, sql):
    with engine(db).connect() as connection:
        return [tuple(row) for row in connection.execute(sa.text(sql)).all()]


def status(db):
    return json.loads(invoke("status", "--schema", "backport3", "--dsn", db.dsn, "--json").stdout)


def test_credentials_go_to_head_and_back_intact(b0001_with_credentials):
    db = b0001_with_credentials
    upgraded = cli(db, "upgrade", "head")
    assert "credentials of 3 account(s) kept in account_credentials_tmp" in upgraded.stdout
    assert rows(db, f"SELECT {CREDENTIAL_COLUMNS} FROM account_credentials_tmp ORDER BY 1") == ACCOUNTS
    with engine(db).connect() as connection:
        account_columns = {c["name"] for c in sa.inspect(connection).get_columns("account")}
        assert account_columns == {"account_id", "active"}
        kept = credentials.kept_credentials(connection)
    assert (kept.accounts, kept.exported, kept.not_exported) == (3, 0, 3)
    # The kept table is not drift, and nothing else is.
    report = status(db)
    assert report["drift"] == [] and report["ok"] is True
    assert report["kept_credentials"] == {
        "table": "account_credentials_tmp", "accounts": 3, "exported": 0, "not_exported": 3,
    }
    shown = invoke("status", "--schema", "backport3", "--dsn", db.dsn).stdout
    assert "kept:     account_credentials_tmp: credentials of 3 account(s) kept by b0002, 0 exported" in shown

    # An account the 0.4.0 service creates has no credentials here.
    with engine(db).begin() as connection:
        connection.execute(sa.text("INSERT INTO account (account_id) VALUES ('a-new')"))
    downgraded = cli(db, "downgrade", "b0001")
    assert "credentials of 3 account(s) restored from account_credentials_tmp" in downgraded.stdout
    assert "1 account(s) without kept credentials" in downgraded.stdout
    assert rows(db, f"SELECT {CREDENTIAL_COLUMNS} FROM account WHERE account_id <> 'a-new' ORDER BY 1") == ACCOUNTS
    assert rows(db, f"SELECT {CREDENTIAL_COLUMNS} FROM account WHERE account_id = 'a-new'") == [("a-new", "*", None, None)]
    assert rows(db, "SELECT token_id, token_info FROM account_token") == [("t-1", "tok")]
    with engine(db).connect() as connection:
        assert not sa.inspect(connection).has_table("account_credentials_tmp")
        # email is unique again.
        with pytest.raises(sa.exc.IntegrityError):
            connection.execute(sa.text("UPDATE account SET email = 'ops@example.org' WHERE account_id = 'a-3'"))

    # And up again: kept again, from the restored values.
    cli(db, "upgrade", "head")
    assert rows(db, f"SELECT {CREDENTIAL_COLUMNS} FROM account_credentials_tmp WHERE account_id <> 'a-new' ORDER BY 1") == ACCOUNTS


@pytest.mark.parametrize("fmt", credentials.EXPORT_FORMATS)
def test_export_then_remove(b0001_with_credentials, tmp_path, fmt):
    db = b0001_with_credentials
    cli(db, "upgrade", "head")
    with pytest.raises(OperationFailed, match="3 of 3 account.*never exported"):
        credentials.remove_credentials(settings(db))

    target = tmp_path / f"credentials.{fmt}"
    export = credentials.export_credentials(settings(db), target, fmt)
    assert (export.accounts, export.format) == (3, fmt)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    text = target.read_text(encoding="utf-8")
    if fmt == "jsonl":
        exported = [json.loads(line) for line in text.splitlines()]
    else:
        exported = [{k: (v or None) for k, v in row.items()} for row in csv.DictReader(text.splitlines())]
    assert [tuple(r[c] for c in ("account_id", "password", "email", "organization_name")) for r in exported] == ACCOUNTS
    assert list(exported[0]) == list(credentials.EXPORT_COLUMNS)
    # Never over an existing file (it could be the last good export).
    with pytest.raises(BadInput, match="exists"):
        credentials.export_credentials(settings(db), target, fmt)

    removal = credentials.remove_credentials(settings(db))
    assert (removal.accounts, removal.not_exported) == (3, 0)
    with engine(db).connect() as connection:
        assert credentials.kept_credentials(connection) is None
        trail = audit.audit_rows(connection)
    done = [(r["revision"], r["direction"], r["checksum"]) for r in trail if r["revision"] == "account_credentials_tmp"]
    assert done == [("account_credentials_tmp", "export", export.sha256), ("account_credentials_tmp", "remove", None)]
    assert status(db)["ok"] is True and status(db)["kept_credentials"] is None
    with pytest.raises(OperationFailed, match="no account_credentials_tmp"):
        credentials.remove_credentials(settings(db))


def test_a_forced_removal_says_what_was_lost(b0001_with_credentials):
    db = b0001_with_credentials
    cli(db, "upgrade", "head")
    removal = credentials.remove_credentials(settings(db), force=True)
    assert (removal.accounts, removal.not_exported) == (3, 3)
    downgraded = cli(db, "downgrade", "b0001")
    assert "no account_credentials_tmp" in downgraded.stdout and "3 account(s) get the placeholder" in downgraded.stdout
    assert rows(db, "SELECT password, email, organization_name FROM account ORDER BY account_id") == [("*", None, None)] * 3


def test_a_database_that_ran_the_earlier_b0002(b0001_with_credentials):
    """Today's database: b0002 applied by its file of 503fa33, which kept no credentials (no kept table, its checksum
    in the trail). It is at head with no drift and no tampering, and downgrades with placeholders."""
    db = b0001_with_credentials
    cli(db, "upgrade", "head")
    earlier = "0d60d6e48c459c967da1dd39e10f41032f7a52f68be0e9991bcf79e3bbd60217"
    assert earlier_form("b0002", earlier)
    with engine(db).begin() as connection:
        connection.execute(sa.text("DROP TABLE account_credentials_tmp"))
        connection.execute(
            sa.text("UPDATE luna_db_audit SET checksum = :c WHERE revision = 'b0002' AND direction = 'up'"), {"c": earlier}
        )
    report = status(db)
    assert report["ok"] is True and report["drift"] == [] and report["checksum_mismatches"] == []

    # Any other checksum is still reported.
    with engine(db).begin() as connection:
        connection.execute(sa.text("UPDATE luna_db_audit SET checksum = 'f00' WHERE revision = 'b0002' AND direction = 'up'"))
    assert [m["revision"] for m in status(db)["checksum_mismatches"]] == ["b0002"]

    downgraded = cli(db, "downgrade", "b0001")
    assert "3 account(s) get the placeholder password '*'" in downgraded.stdout
    assert rows(db, "SELECT password, email, organization_name FROM account ORDER BY account_id") == [("*", None, None)] * 3


def test_an_empty_database_keeps_nothing_and_the_kept_table_is_drift_only_when_unknown(fresh_db):
    upgraded = cli(fresh_db, "upgrade", "head")
    assert "no accounts: no credentials to keep" in upgraded.stdout
    with engine(fresh_db).begin() as connection:
        assert not sa.inspect(connection).has_table("account_credentials_tmp")
        connection.execute(sa.text("CREATE TABLE account_credentials_tmq (x integer)"))
    kinds = {(d["kind"], d["object"]) for d in status(fresh_db)["drift"]}
    assert kinds == {("extra table", "account_credentials_tmq")}


def test_the_cli_exports_and_removes_as_an_operator_runs_it(b0001_with_credentials, tmp_path):
    db = b0001_with_credentials
    cli(db, "upgrade", "head")
    target = tmp_path / "creds.csv"
    refused = invoke("credentials", "remove", "--schema", "backport3", "--dsn", db.dsn)
    assert refused.exit_code == 1 and "never exported" in refused.stderr
    exported = invoke("credentials", "export", str(target), "--format", "csv", "--json",
                      "--schema", "backport3", "--dsn", db.dsn)
    assert exported.exit_code == 0, exported.stderr
    assert json.loads(exported.stdout)["accounts"] == 3
    assert "hash-two" not in exported.stdout + exported.stderr  # nothing of the file is printed
    assert len(list(csv.DictReader(target.read_text(encoding="utf-8").splitlines()))) == 3
    removed = cli(db, "credentials", "remove")
    assert "removed account_credentials_tmp (3 account(s), 0 never exported)" in removed.stdout
