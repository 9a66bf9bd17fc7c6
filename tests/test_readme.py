"""The README says what the code does: its examples of output and of command lines."""

from __future__ import annotations

import json
import re

from tests.clirunner import ROOT, invoke

README = (ROOT / "README.md").read_text(encoding="utf-8")


def json_example(command: str) -> str:
    """The example of `command`'s document in the README's "JSON output" table."""
    table = README.split("## JSON output", 1)[1].split("\n## ", 1)[0]
    [row] = [line for line in table.splitlines() if line.startswith(f"| `{command}` |")]
    return row


def test_the_create_example_names_the_steps_create_takes(fresh_db):
    result = invoke("create", "--schema", "streams", "--dsn", fresh_db.dsn, "--json")
    assert result.exit_code == 0, result.stderr
    steps = [step["step"] for step in json.loads(result.stdout)["steps"]]
    example = json_example("create")
    assert re.findall(r'"step": "([^"]+)"', example) == [re.sub(r"stamped \w+", "stamped s0005", s) for s in steps]


def test_the_check_example_names_the_keys_check_prints(fresh_db):
    document = json.loads(invoke("check", "--schema", "streams", "--dsn", fresh_db.dsn, "--json").stdout)
    named = set(re.findall(r'"(\w+)"', json_example("check")))
    assert set(document) <= named
    assert "checks_run" not in named


def test_db_name_help_says_sid_for_oracle():
    text = " ".join(invoke("status", "--help").stdout.split())
    assert "Oracle: SID" in text and "service name" not in text
    assert "Oracle: service name" not in README
