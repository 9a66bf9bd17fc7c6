"""squawk run once over many scripts (what `luna-db check` does for a whole history) finds
exactly what one run per script finds, and lint_revision gives the same findings either way."""

from __future__ import annotations

from luna_db_tools.analysis.sql.lint import lint_revision, squawk_revisions
from luna_db_tools.analysis.sql.squawk import run_squawk, run_squawk_many
from luna_db_tools.runtime.offline import render_migration
from luna_db_tools.script.history import script_directory
from tests.lint_corpus import HAZARDOUS, SAFE, read_cases


def test_one_run_over_the_corpus_finds_what_a_run_per_case_finds():
    cases = read_cases(HAZARDOUS) + read_cases(SAFE)
    batched = run_squawk_many({case.name: case.sql for case in cases}, "12.0")
    assert any(batched.values())
    for case in cases:
        assert batched[case.name] == run_squawk(case.sql, case.name, "12.0"), case.name


def test_no_scripts_run_no_squawk():
    assert run_squawk_many({}) == {}


def test_a_history_linted_with_one_squawk_run_is_linted_as_before():
    for schema in ("streams", "backport3"):
        order = [s.revision for s in reversed(list(script_directory(schema).walk_revisions()))]
        rendered = [
            (revision, render_migration(schema, "postgres", f"{below}:{revision}", "upgrade"),
             render_migration(schema, "postgres", f"{revision}:{below}", "downgrade"))
            for revision, below in zip(order, ["base", *order[:-1]])
        ]
        found = squawk_revisions(rendered)
        assert set(found) == {f"{revision} {direction}" for revision, *_ in rendered for direction in ("upgrade", "downgrade")}
        for revision, up, down in rendered:
            assert lint_revision(revision, up, down, squawk_found=found) == lint_revision(revision, up, down), revision
