"""The README says what the code does: its examples of output and of command lines."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

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


# --- every shell example, run as the README says ----------------------------------------------------------

SH_BLOCK = re.compile(r"```sh\n(.*?)```", re.DOTALL)

#: Blocks no test here runs, by their first line, and why (a new block must be run or listed here).
NOT_RUN = {
    "make demo": "`make demo` and `make test` are the demo and this suite themselves",
    "pip install .": "installs: test_packaging.py checks what each extra brings",
    "luna-db adopt --dry-run": "needs a database LUNA's own tooling made; test_adopt_cli.py runs adopt",
    "LUNA_DB_TEST_PG=": "runs the suite on other PostgreSQL majors (make test-versions)",
    "luna-db status --schema streams --luna-config": (
        "needs a LUNA Configurator: tests/test_configurator.py runs these commands against one that answers as its API does"),
    "alembic -n streams -x luna-config=": (
        "needs a LUNA Configurator: tests/test_configurator.py runs `alembic -x luna-config=...` against one"),
}


def sh_blocks() -> list[str]:
    return [match[1] for match in SH_BLOCK.finditer(README)]


def block(first_line: str) -> str:
    [found] = [text for text in sh_blocks() if text.startswith(first_line)]
    return found


def test_every_shell_block_is_run_or_listed_as_not_run():
    run_here = {"luna-db create --db-name luna_streams", "eval \"$(_LUNA_DB_COMPLETE", "export LUNA_DB_DSN=",
                "luna-db lint migrations/", "alembic -n streams heads"}
    for text in sh_blocks():
        assert any(text.startswith(first) for first in run_here | set(NOT_RUN)), text


def expected_exit(line: str) -> int:
    """The exit code a README line's comment promises ("# exit 1: ..."), else 0."""
    found = re.search(r"#.*\bexit (\d)", line)
    return int(found[1]) if found else 0


@pytest.fixture(scope="module")
def sandbox():
    """`make sandbox`'s server and the environment it prints (this checkout's code on PYTHONPATH)."""
    from tests.test_sandbox import start_sandbox

    process, banner = start_sandbox()
    try:
        environment = dict(re.findall(r"(LUNA_DB_\w+)=(\S+)", banner))
        environment |= {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
        yield environment
    finally:
        process.terminate()
        process.wait(timeout=60)


def run_lines(text: str, environment: dict, cwd, home=None) -> None:
    """Each line in one bash session, as typed; its exit code must be the one its comment says."""
    env = environment | {"HOME": str(home or cwd)}
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        result = subprocess.run(["bash", "-c", line], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
        assert result.returncode == expected_exit(line), (line, result.stdout[-2000:], result.stderr[-2000:])
        assert "Traceback" not in result.stderr, (line, result.stderr)


def test_try_it_by_hand_works_the_first_time_and_the_second(sandbox, tmp_path):
    text = block("luna-db create --db-name luna_streams")
    run_lines(text, sandbox, tmp_path)
    run_lines(text, sandbox, tmp_path)
    assert (tmp_path / "streams.svg").read_text().lstrip().startswith(("<?xml", "<svg"))


def test_shell_completion_lines(sandbox, tmp_path):
    (tmp_path / ".config" / "fish" / "completions").mkdir(parents=True)
    bash_line, zsh_line, fish_line = block('eval "$(_LUNA_DB_COMPLETE').splitlines()
    run_lines(bash_line + "\n" + fish_line, sandbox, tmp_path)
    # zsh's line in zsh when installed; else at least the script it evaluates.
    zsh = shutil.which("zsh")
    command = [zsh, "-c", zsh_line] if zsh else ["bash", "-c", zsh_line.split('"$(', 1)[1].split(')"', 1)[0]]
    result = subprocess.run(command, cwd=tmp_path, env=sandbox | {"HOME": str(tmp_path)}, capture_output=True, text=True)
    assert result.returncode == 0 and (zsh or "compdef" in result.stdout), result.stderr
    assert "luna-db" in (tmp_path / ".config" / "fish" / "completions" / "luna-db.fish").read_text()


def test_the_release_upgrade_runbook(sandbox, tmp_path):
    """Its DSN names the sandbox instead of pg01/pg02; the rest as written (status may exit 1: pending)."""
    text = block("export LUNA_DB_DSN=")
    first, rest = text.split("\n", 1)
    port = sandbox["LUNA_DB_PORT"]
    setup = f"export LUNA_DB_DSN='luna@127.0.0.1:{port}/luna_runbook' LUNA_DB_PASSWORD=luna"
    assert first.startswith("export LUNA_DB_DSN='luna@pg01:5432,pg02:5432/luna_streams' LUNA_DB_PASSWORD=")
    env = sandbox | {"HOME": str(tmp_path)}
    prepare = f"luna-db create --schema streams --dsn luna:luna@127.0.0.1:{port}/luna_runbook --create-database -q" \
              f" && luna-db downgrade -q s0003 --schema streams --dsn luna:luna@127.0.0.1:{port}/luna_runbook"
    assert subprocess.run(["bash", "-c", prepare], env=env, capture_output=True, timeout=300).returncode == 0
    script = "\n".join([setup, "export LUNA_DB_SCHEMA=streams", "set -e", *[
        # the first status exits 1 while migrations are pending, as its comment says; the last one 0
        line.split(" #", 1)[0] + " || test $? = 1" if "exit 1" in line else line for line in rest.splitlines()]])
    result = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, (result.stdout[-2000:], result.stderr[-2000:])
    assert "s0004" in (tmp_path / "review.sql").read_text()
    assert json.loads((tmp_path / "upgrade.json").read_text())["reached"] == ["s0005"]


def test_the_lint_lines(sandbox, tmp_path):
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "0001.sql").write_text("CREATE INDEX ix ON stream (name);\n")
    (tmp_path / "upgrade.sql").write_text("CREATE INDEX ix_log ON log (stream_id) ONLINE\n/\n")
    (tmp_path / "change.sql").write_text("ALTER TABLE stream DROP COLUMN name;\n")
    (tmp_path / "widen.sql").write_text("ALTER TABLE stream ALTER COLUMN name TYPE varchar(256);\n")
    text = block("luna-db lint migrations/")
    lines = text.splitlines()
    # The first and the last find a hazard in the files above (exit 1, as the first's comment says); Oracle's is clean.
    run_lines(lines[0], sandbox, tmp_path)
    run_lines(lines[1], sandbox, tmp_path)
    result = subprocess.run(["bash", "-c", lines[2]], cwd=tmp_path, env=sandbox, capture_output=True, text=True)
    assert result.returncode == 1 and json.loads(result.stdout)["version"] == "2.1.0"
    run_lines(lines[3], sandbox, tmp_path)  # stream.name is varchar(128) at the head: widening it passes


def test_the_plain_alembic_lines(sandbox, tmp_path):
    """From the checkout's root, with the DSN's hosts pointed at the sandbox."""
    port = sandbox["LUNA_DB_PORT"]
    # Both databases the lines name, whichever worker's sandbox this is (a create at head is success).
    for schema in ("streams", "backport3"):
        create = f"luna-db create --schema {schema} --dsn luna:luna@127.0.0.1:{port}/luna_{schema} --create-database -q"
        assert subprocess.run(["bash", "-c", create], env=sandbox | {"HOME": str(tmp_path)}).returncode == 0
    text = block("alembic -n streams heads").replace("@pg01,pg02/", f"@127.0.0.1:{port}/") \
        .replace("@pg01/", f"@127.0.0.1:{port}/")
    run_lines(text, sandbox, ROOT, home=tmp_path)


def test_the_ci_job_script_as_written(sandbox, tmp_path):
    """The GitLab job's luna-db line, its service host `postgres` pointed at the sandbox, run twice."""
    job = README.split("```yaml\n", 1)[1].split("```", 1)[0]
    [line] = [line.strip()[2:] for line in job.splitlines() if line.strip().startswith("- luna-db ")]
    line = line.replace("@postgres/", f"@127.0.0.1:{sandbox['LUNA_DB_PORT']}/")
    run_lines(f"{line}\n{line}", sandbox, tmp_path)
    assert (tmp_path / "check.xml").read_text().count("<testsuite ") == 2


def help_examples() -> list[tuple[str, str]]:
    from luna_db_tools.cli import main

    found = []
    for name in main.list_commands(None):
        text = invoke(name, "--help").stdout
        if "Examples:" in text:
            for line in text.split("Examples:", 1)[1].splitlines():
                if line.strip().startswith("luna-db "):
                    found.append((name, line.strip()))
    return found


def test_every_help_example_runs_in_the_sandbox(sandbox, tmp_path):
    examples = help_examples()
    assert examples, "no command shows an example"
    for _, line in examples:
        run_lines(f"{line}\n{line}", sandbox, tmp_path)


def command_table_examples() -> list[tuple[str, str]]:
    """(example, the rest of the row) of each row of the "Commands" table."""
    table = README.split("## Commands", 1)[1].split("\n\n| command | example |", 1)[1].split("\n\n", 1)[0]
    rows = []
    for row in table.splitlines()[2:]:
        cells = row.split(" | ", 1)[1]
        example = re.match(r"`(luna-db [^`]+)`", cells)
        rows.append((example[1], cells[example.end():]))
    return rows


#: Exit codes other than 0 that a table example has here, and why.
TABLE_EXITS = {
    "luna-db lint --format sarif migrations/*.sql": 1,  # the file below has a hazard: a lint finding is exit 1
    # luna-db made this one: "already under migration control: use `luna-db upgrade`", exit 1
    "luna-db adopt --dry-run --dsn pg01/luna_streams": 1,
    # created at its head, the sandbox's backport3 never held 0.3's credentials: one line saying so, exit 1
    # (test_credentials.py exports real ones)
    "luna-db credentials export creds.jsonl --dsn pg01/luna_backport3": 1,
}


def test_every_example_of_the_commands_table(sandbox, tmp_path):
    """Their hosts (pg01, pg02, ci-pg) pointed at the sandbox and the password `pw` made the sandbox's; run in order."""
    port = sandbox["LUNA_DB_PORT"]
    env = sandbox | {"HOME": str(tmp_path)}
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "0001.sql").write_text("CREATE INDEX ix ON stream (name);\n")
    prepare = f"luna-db create --dsn luna:luna@127.0.0.1:{port}/luna_backport3 --create-database -q"
    assert subprocess.run(["bash", "-c", prepare], env=env).returncode == 0
    examples = command_table_examples()
    assert len(examples) >= 15
    for example, rest in examples:
        line = re.sub(r"(?<=[@ '])(pg01,pg02:5433|pg01,pg02|pg01|ci-pg)(?=/)", f"127.0.0.1:{port}", example)
        line = line.replace("luna:pw@", "luna:luna@")
        result = subprocess.run(["bash", "-c", line], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
        allowed = {TABLE_EXITS.get(example, 0)} | ({1} if "exit 1" in rest else set())
        assert result.returncode in allowed, (line, result.stdout[-1500:], result.stderr[-1500:])
        assert "Traceback" not in result.stderr
