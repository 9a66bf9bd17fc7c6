"""The fingerprints shipped with the package are what the migrations build, today.

Rebuilt from scratch here, revision by revision, on an empty database; a
stale file fails with the command that refreshes it.
"""

from __future__ import annotations

import pytest

from luna_db_tools.analysis.schema.fingerprint import path, revisions
from luna_db_tools.script.history import history
from scripts.fingerprints import fingerprints_of


@pytest.mark.pgversions
@pytest.mark.parametrize("schema", ["streams", "backport3"])
def test_every_revision_has_a_current_fingerprint(fresh_db, schema):
    built = fingerprints_of(schema, fresh_db.dsn, fresh_db.url)
    assert list(built) == [step["id"] for step in history(schema)]
    assert revisions(schema) == sorted(built), "run `python scripts/fingerprints.py`"
    for revision, text in built.items():
        assert path(schema, revision).read_text(encoding="utf-8") == text, (
            f"the fingerprint of {revision} is stale: run `python scripts/fingerprints.py`")
