"""Rewritten revisions: an earlier form recorded in the audit trail is explained, anything else is still reported."""

from __future__ import annotations

import json

import sqlalchemy as sa

from luna_db_tools.db.audit import file_checksum
from luna_db_tools.script import history
from luna_db_tools.script.known_checksums import EARLIER_FORMS, earlier_form
from tests.clirunner import invoke


def test_no_earlier_form_is_a_current_file_and_every_one_names_a_revision_and_reason():
    current = {}
    for schema in ("streams", "backport3"):
        script = history.script_directory(schema)
        current.update({s.revision: file_checksum(s.path) for s in script.walk_revisions()})
    for form in EARLIER_FORMS:
        assert form.revision in current
        assert form.checksum != current[form.revision]
        assert len(form.checksum) == 64 and form.reason and form.commit
    # The rewrites for writers that never wait (d5f166e) and those found before them (b0002, s0004, s0005, b0003 at 0b1d74c).
    assert {f.revision for f in EARLIER_FORMS if f.commit in ("0b1d74c", "d5f166e")} >= {"s0003", "s0004", "s0005", "b0002", "b0003"}


def test_a_database_that_ran_the_old_s0003_is_told_why_not_warned_of_tampering(fresh_db):
    assert invoke("upgrade", "--schema", "streams", "--dsn", fresh_db.dsn).exit_code == 0
    old = next(f for f in EARLIER_FORMS if f.revision == "s0003" and f.commit == "d5f166e")
    engine = sa.create_engine(fresh_db.url, poolclass=sa.pool.NullPool)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE luna_db_audit SET checksum = :c WHERE revision = 's0003'"), {"c": old.checksum})
        connection.execute(sa.text("UPDATE luna_db_audit SET checksum = repeat('0', 64) WHERE revision = 's0002'"))
    result = invoke("status", "--schema", "streams", "--dsn", fresh_db.dsn)
    assert result.exit_code == 0, result.stderr
    assert "revision s0003 ran in an earlier form of its file (as of d5f166e)" in result.stderr
    assert "s0003's file changed" not in result.stderr
    assert "warning: revision s0002's file changed after it was applied" in result.stderr  # still caught
    report = json.loads(invoke("status", "--schema", "streams", "--dsn", fresh_db.dsn, "--json").stdout)
    assert [m["revision"] for m in report["checksum_mismatches"]] == ["s0002"]
    assert [(r["revision"], r["commit"]) for r in report["rewritten"]] == [("s0003", "d5f166e")]
    assert earlier_form("s0003", "0" * 64) is None
