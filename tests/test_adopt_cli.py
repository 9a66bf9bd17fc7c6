"""`luna-db adopt` and the refusal of status/upgrade on a database without history, through the CLI."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from tests.clirunner import invoke
from tests.test_adopt_matching import build


@pytest.mark.pgversions
def test_status_and_upgrade_send_a_database_without_history_to_adopt(fresh_db):
    build(fresh_db, "streams", "s0003").dispose()
    for args in (["status"], ["upgrade", "--dry-run"], ["upgrade"]):
        result = invoke(*args, "--schema", "streams", "--dsn", fresh_db.dsn)
        assert result.exit_code == 1, (args, result.output)
        assert "not under migration control: run `luna-db adopt`" in result.stderr


@pytest.mark.pgversions
def test_adopt_dry_run_then_adopt_then_upgrade(fresh_db):
    build(fresh_db, "streams", "s0003").dispose()
    dry = invoke("adopt", "--dry-run", "--schema", "streams", "--dsn", fresh_db.dsn)
    assert dry.exit_code == 0, dry.output
    assert "matches s0003 exactly" in dry.stdout and "would rename constraint stream.stream_pkey to pk_stream" in dry.stdout
    done = invoke("adopt", "--json", "--schema", "streams", "--dsn", fresh_db.dsn)
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    assert (report["revision"], report["stamped"], report["differences"]) == ("s0003", True, [])
    assert {"from": "stream_pkey", "to": "pk_stream"}.items() <= next(
        r for r in report["renames"] if r["from"] == "stream_pkey").items()
    assert invoke("upgrade", "--schema", "streams", "--dsn", fresh_db.dsn).exit_code == 0
    assert invoke("status", "--schema", "streams", "--dsn", fresh_db.dsn).exit_code == 0
    again = invoke("adopt", "--schema", "streams", "--dsn", fresh_db.dsn)
    assert again.exit_code == 1 and "already under migration control" in again.stderr


@pytest.mark.pgversions
def test_adopt_names_the_difference_and_writes_nothing(fresh_db):
    engine = build(fresh_db, "streams", "s0005")
    with engine.connect() as connection:
        connection.execute(sa.text("ALTER TABLE log ALTER status TYPE varchar(32)"))
        connection.commit()
    engine.dispose()
    result = invoke("adopt", "--schema", "streams", "--dsn", fresh_db.dsn)
    assert result.exit_code == 1
    assert "nearest is s0005" in result.stdout
    assert "type: log.status (character varying(16) in the models, character varying(32) in the database)" in result.stdout
    wrong = invoke("adopt", "--revision", "s0004", "--json", "--schema", "streams", "--dsn", fresh_db.dsn)
    assert wrong.exit_code == 1 and json.loads(wrong.stdout)["stamped"] is False
    forced = invoke("adopt", "--force", "--schema", "streams", "--dsn", fresh_db.dsn)
    assert forced.exit_code == 0 and "adopted streams at s0005 (forced)" in forced.stdout
