"""How the CLI speaks to a person: results kept by -q, plain progress lines, findings with their fix, SARIF paths."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from luna_db_tools.analysis.findings import CHECK_FIXES
from luna_db_tools.analysis.sql import oracle_rules, pg_rules, txn_rules
from luna_db_tools.analysis.sql.squawk import FIXES, fix_for
from luna_db_tools.command.lint import lint_files
from tests.clirunner import ROOT, invoke
from tests.pgcluster import free_port

CORPUS = ROOT / "tests" / "lint_corpus"


def test_quiet_upgrade_still_prints_the_revision_reached(head_db):
    db = head_db("streams")
    assert invoke("downgrade", "-1", "--schema", "streams", "--dsn", db.dsn).exit_code == 0
    result = invoke("-q", "upgrade", "--schema", "streams", "--dsn", db.dsn)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "streams is at revision s0005\n"
    assert result.stderr == ""
    # Without -q the steps come first, the result line last.
    assert invoke("downgrade", "-1", "--schema", "streams", "--dsn", db.dsn).exit_code == 0
    loud = invoke("upgrade", "--schema", "streams", "--dsn", db.dsn).stdout.splitlines()
    assert len(loud) > 1 and loud[-1] == "streams is at revision s0005"


def test_a_retry_line_is_a_plain_sentence_on_stderr_and_quiet_drops_it():
    dsn = f"luna:secret-pw@127.0.0.1:{free_port()}/luna_streams"
    result = invoke("status", "--dsn", dsn, "--connect-retries", "2", "--retry-delay", "0")
    assert result.exit_code == 3
    [retry] = [line for line in result.stderr.splitlines() if "round 1 of 2" in line]
    assert retry.startswith("no usable host in round 1 of 2 (")
    assert "WARNING" not in result.stderr and "luna_db_tools" not in result.stderr
    assert "secret-pw" not in result.stderr
    quiet = invoke("-q", "status", "--dsn", dsn, "--connect-retries", "2", "--retry-delay", "0")
    assert quiet.exit_code == 3 and "round 1 of 2" not in quiet.stderr
    assert quiet.stderr.startswith("luna-db: error:")  # the error itself stays


def test_a_passing_check_prints_its_summary_first_and_accepted_findings_only_with_verbose(fresh_db):
    result = invoke("check", "--schema", "backport3", "--dsn", fresh_db.dsn)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("backport3: 0 finding(s), 24 accepted (-v lists them); checks: single-head")
    verbose = invoke("check", "--schema", "backport3", "--dsn", fresh_db.dsn, "-v")
    assert verbose.exit_code == 0, verbose.stderr
    lines = verbose.stdout.splitlines()
    assert lines[0].startswith("backport3: 0 finding(s), 24 accepted; checks:")
    # b0002's 4 breaks of the running release among them (its credentials move, its rename)
    assert len(lines) == 25 and all("(accepted: " in line for line in lines[1:])
    assert sum(line.startswith("breaks-running-release [b0002] ") for line in lines) == 4


def registered_rules():
    for module in (pg_rules, oracle_rules, txn_rules):
        for value in vars(module).values():
            if hasattr(value, "registered"):
                yield from value.registered


def test_every_lint_rule_of_luna_db_has_a_fix():
    missing = sorted({(rule.dialect, rule.name) for rule in registered_rules() if not rule.fix})
    assert missing == []


def test_every_squawk_finding_on_the_corpus_carries_luna_dbs_fix():
    report = lint_files([str(path) for path in CORPUS.glob("postgresql_*.sql")])
    from_squawk = [f for f in report.findings if f.engine == "squawk"]
    assert from_squawk
    for finding in from_squawk:
        # a fix of luna-db's own (FIXES, or its rule of that name), not squawk's help or a link
        assert finding.rule in FIXES or finding.rule in {rule.name for rule in pg_rules.PG.rules()}, finding.rule
        assert finding.message.endswith("; " + fix_for(finding.rule)), finding


def test_every_finding_in_lint_text_carries_a_fix(tmp_path):
    path = tmp_path / "m.sql"
    path.write_text("CREATE INDEX ix ON stream (name);\nALTER TABLE stream DROP COLUMN name;\nTRUNCATE log;\n"
                    "ALTER TABLE log RENAME COLUMN time TO at;\n")
    result = invoke("lint", str(path))
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) >= 4
    for line in lines:
        message = line.split(": ", 2)[2]
        assert "; " in message, line  # "problem; fix"


def test_a_check_finding_carries_its_fix():
    from luna_db_tools.analysis.findings import Finding

    text = str(Finding("model-mismatch", "s0005", "stream.priority", "missing column"))
    assert text == f"model-mismatch [s0005] stream.priority: missing column; {CHECK_FIXES['model-mismatch']}"
    assert Finding("model-mismatch", "s0005", "stream.priority", "missing column").as_dict()["message"] == "missing column"


def test_sarif_uris_are_relative_to_the_working_directory(tmp_path, monkeypatch):
    (tmp_path / "migrations").mkdir()
    path = tmp_path / "migrations" / "0001.sql"
    path.write_text("CREATE INDEX ix ON stream (name);\n")
    monkeypatch.chdir(tmp_path)
    for given in (str(path), "migrations/0001.sql", "./migrations/0001.sql"):
        sarif = json.loads(invoke("lint", "--format", "sarif", given).stdout)
        location = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] == "migrations/0001.sql", given


@pytest.mark.parametrize("elsewhere", ["/", "sub"])
def test_a_sarif_path_outside_the_working_directory_stays_as_given(tmp_path, monkeypatch, elsewhere):
    path = tmp_path / "0001.sql"
    path.write_text("CREATE INDEX ix ON stream (name);\n")
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / elsewhere if elsewhere != "/" else Path("/"))
    sarif = json.loads(invoke("lint", "--format", "sarif", str(path)).stdout)
    uri = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == (str(path).lstrip("/") if elsewhere == "/" else str(path))
