"""`luna-db lint` as users run it: files and stdin, exit codes, formats."""

from __future__ import annotations

import json

from tests.clirunner import invoke, run_process


def test_a_hazard_exits_1_naming_file_line_and_rule(tmp_path):
    path = tmp_path / "m.sql"
    path.write_text("SELECT 1;\nalter table only log alter column stream_id set not null;\n")
    result = invoke("lint", str(path))
    assert result.exit_code == 1
    assert result.stdout.startswith(f"{path}:2: adding-not-nullable-field: ")


def test_stdin_and_a_clean_file_exit_0():
    result = run_process("lint", "-", input="CREATE INDEX CONCURRENTLY ix ON log (time);\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""


def test_json_and_sarif_documents(tmp_path):
    path = tmp_path / "m.sql"
    path.write_text("CREATE INDEX ix ON stream (name);\n")
    document = json.loads(invoke("lint", "--json", str(path)).stdout)
    assert [f["rule"] for f in document["findings"]] == ["require-concurrent-index-creation"]
    sarif = json.loads(invoke("lint", "--format", "sarif", str(path)).stdout)
    assert sarif["version"] == "2.1.0"
    assert sarif["runs"][0]["results"][0]["ruleId"] == "require-concurrent-index-creation"


def test_oracle_dialect_flags_an_index_build_without_online(tmp_path):
    path = tmp_path / "m.sql"
    path.write_text("CREATE INDEX ix_log ON log (stream_id)\n/\n")
    result = invoke("lint", "--dialect", "oracle", str(path))
    assert result.exit_code == 1
    assert "ONLINE" in result.stdout


def test_a_missing_file_is_bad_input_in_one_line(tmp_path):
    result = invoke("lint", str(tmp_path / "nope.sql"))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "cannot read" in result.stderr
