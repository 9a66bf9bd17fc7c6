"""--schema, --dsn, --config and --luna-config before a command's name, at any depth.

Given to a group (`luna-db --dsn X status`, `luna-db --dsn X credentials
export F`, `luna-db credentials --dsn X export F`) they are the command's
own; after the name wins; a command that takes no such option refuses it in
one line, exit 2, the same way for every command and sub-group command.
"""

from __future__ import annotations

import json

import click
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from luna_db_tools.cli import main
from luna_db_tools.cli.group import DATABASE_GLOBALS, LunaGroup
from tests.clirunner import invoke
from tests.pghelpers import engine

VALUES = {"--schema": "streams", "--dsn": "pg01/luna_streams", "--config": "config.conf",
          "--luna-config": "http://127.0.0.1:5070/1"}


def every_command(group: click.Group = main, path: tuple[str, ...] = ()):
    """(path, command) for every command below the group, sub-group commands included
    (through click's list_commands/get_command: the commands load lazily)."""
    context = click.Context(group)
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        if isinstance(command, click.Group):
            yield from every_command(command, (*path, name))
        else:
            yield (*path, name), command


CASES = [(path, option, parameter) for path, _ in every_command() for parameter, option in DATABASE_GLOBALS.items()]
assert len(CASES) >= 4 * 15, "every command is walked"


def takes(path: tuple[str, ...], parameter: str) -> bool:
    command = dict(every_command())[path]
    return parameter in {param.name for param in command.params}


@pytest.mark.parametrize("path,option,parameter", CASES, ids=[f"{' '.join(p)} {o}" for p, o, _ in CASES])
def test_every_command_takes_or_refuses_each_option_given_before_its_name(path, option, parameter):
    # --help after the name: a command that takes the option shows its help, having run nothing.
    result = invoke(option, VALUES[option], *path, "--help")
    if takes(path, parameter):
        assert result.exit_code == 0, result.stderr
        return
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"luna-db: error: {' '.join(path)} takes no {option} "), lines
    # In a sub-group's place as well, for its commands.
    if len(path) > 1:
        nested = invoke(*path[:-1], option, VALUES[option], path[-1], "--help")
        assert nested.exit_code == 2 and nested.stderr == result.stderr


def test_a_sub_group_command_that_takes_no_such_option_refuses_it_in_one_line():
    """credentials' commands all take the database options; the rule is the group's, for any that will not."""

    @click.group(cls=LunaGroup)
    def root():
        pass

    @root.group(cls=LunaGroup)
    def tools():
        pass

    @tools.command()
    def bare():
        click.echo("ran")

    for args, line in [
        (["--dsn", "pg01/luna_streams", "tools", "bare"], "tools bare takes no --dsn (see 'root tools --help')"),
        (["tools", "--schema", "streams", "bare"], "tools bare takes no --schema (see 'root tools --help')"),
    ]:
        result = CliRunner().invoke(root, args)
        assert result.exit_code == 2, result.output
        assert result.stderr.strip().splitlines() == [f"luna-db: error: {line}"]
    assert CliRunner().invoke(root, ["tools", "bare"]).output == "ran\n"


def test_the_options_before_a_sub_group_command_are_its_own(fresh_db, tmp_path):
    invoke("upgrade", "b0001", "--schema", "backport3", "--dsn", fresh_db.dsn, "-q")
    with engine(fresh_db).begin() as connection:
        connection.execute(sa.text("INSERT INTO account (account_id, password, email, organization_name)"
                                   " VALUES ('a-1', 'hash-one', 'ops@example.org', 'Org')"))
    assert invoke("upgrade", "--schema", "backport3", "--dsn", fresh_db.dsn, "-q").exit_code == 0

    exported = []
    for n, args in enumerate([
        ("--schema", "backport3", "--dsn", fresh_db.dsn, "credentials", "export", "{file}", "--json"),
        ("credentials", "--schema", "backport3", "--dsn", fresh_db.dsn, "export", "{file}", "--json"),
        ("--dsn", "192.0.2.1/nowhere", "credentials", "--schema", "backport3", "--dsn", fresh_db.dsn,
         "export", "{file}", "--json"),  # the nearer group wins
        ("--dsn", "192.0.2.1/nowhere", "credentials", "export", "{file}", "--schema", "backport3",
         "--dsn", fresh_db.dsn, "--json"),  # after the name wins
    ]):
        file = tmp_path / f"credentials-{n}.jsonl"
        result = invoke(*[str(file) if a == "{file}" else a for a in args])
        assert result.exit_code == 0, result.stderr
        document = json.loads(result.stdout)
        assert document["accounts"] == 1 and document["path"] == str(file)
        exported.append(file.read_text())
    assert len(set(exported)) == 1 and "ops@example.org" in exported[0]
