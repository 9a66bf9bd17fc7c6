"""The one redaction path, held to its promise over every printer (hypothesis):
a password, however it was given, never leaves through Output (say, progress,
result), the JSON documents, error lines, logging, masked DSNs, or `dsn`."""

from __future__ import annotations

import io
import json
import logging
import string
from urllib.parse import quote

import click
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from luna_db_tools.cli.json_output import emit_json
from luna_db_tools.cli.output import Output, complain, print_error
from luna_db_tools.cli.secrets import register_dsn_passwords, register_given_passwords
from luna_db_tools.config.dsn import masked, parse_dsn
from luna_db_tools.config.settings import ConnectionOptions, resolve_settings
from luna_db_tools.errors import BadInput
from luna_db_tools.redact import RedactingFilter, redact, redact_document, register_secret
from tests.clirunner import invoke

secrets = st.text(alphabet=string.ascii_letters + string.digits + "-_!%@:/?&=#.+$ ", min_size=4, max_size=24).map(
    lambda text: "Sx" + text
)


def _forms(secret: str) -> list[str]:
    return [secret, quote(secret, safe="")]


def _printed(secret: str, capsys) -> str:
    """Every printer, fed text that holds the secret; what reached stdout, stderr and a log."""
    line = f"connecting as luna with {secret} and {quote(secret, safe='')}"
    out = Output(quiet=False)
    out.say(line)
    out.progress(line)
    out.result(line)
    out.json = True
    out.say(line)
    emit_json({"message": line, "nested": [{"password": secret}, line], "options": {"sslpassword": "x" + secret}})
    complain("warning", line)
    with click.Context(click.Command("probe"), obj=out) as context:
        print_error(context, BadInput(line))
        print_error(context, RuntimeError(line + "\n[SQL: ...]"), prefix="unexpected RuntimeError: ")
    stream = io.StringIO()
    logger = logging.getLogger("tests.redaction")
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    logger.addHandler(handler)
    try:
        logger.warning("retrying %s (%s)", line, {"password": secret})
    finally:
        logger.removeHandler(handler)
    captured = capsys.readouterr()
    return captured.out + captured.err + stream.getvalue()


# capsys is read out (and so emptied) by every example.
@settings(max_examples=150, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(secret=secrets)
def test_no_printer_shows_a_registered_password(secret, capsys):
    register_secret(secret)
    text = _printed(secret, capsys)
    for form in _forms(secret):
        assert form not in text


@settings(max_examples=150, derandomize=True, deadline=None, database=None)
@given(secret=secrets)
def test_a_dsn_password_query_option_is_masked_even_unregistered(secret):
    dsn = f"pg01/luna_streams?sslmode=require&password={quote(secret, safe='')}"
    shown = masked(parse_dsn(dsn))
    assert "password=***" in shown and quote(secret, safe="") not in shown
    assert redact(f"libpq said: password={quote(secret, safe='')} host=x").count("***") == 1
    assert redact_document({"options": {"password": secret}})["options"]["password"] == "***"


@settings(max_examples=100, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(secret=secrets)
def test_passwords_of_the_command_line_are_registered_before_parsing(secret, tmp_path_factory):
    path = tmp_path_factory.mktemp("pw") / "pw"
    path.write_text(secret + "\n")
    register_given_passwords(
        ["status", "--db-password", "A" + secret, "--password-file", str(path),
         "--dsn", f"luna:{quote('B' + secret, safe='')}@h/db?password={quote('C' + secret, safe='')}"],
        {"LUNA_DB_PASSWORD": "D" + secret},
    )
    for given_secret in ("A" + secret, secret, "B" + secret, "C" + secret, "D" + secret):
        assert given_secret not in redact(f"x {given_secret} y")


@pytest.mark.parametrize("way", ["dsn-user", "dsn-query", "option", "environment", "password-file", "config"])
@pytest.mark.parametrize("command", [["dsn"], ["dsn", "--json"], ["status", "--connect-retries", "1"],
                                     ["status", "--json", "--connect-retries", "1"]])
def test_dsn_and_status_never_show_the_password(way, command, tmp_path):
    secret = "S3cr3tPw-" + way
    dsn = "127.0.0.1:1/luna_streams"
    args, env = [], {}
    if way == "dsn-user":
        dsn = f"luna:{secret}@{dsn}"
    elif way == "dsn-query":
        dsn += f"?password={secret}"
    elif way == "option":
        args = ["--db-password", secret]
    elif way == "environment":
        env = {"LUNA_DB_PASSWORD": secret}
    elif way == "password-file":
        (tmp_path / "pw").write_text(secret)
        args = ["--password-file", str(tmp_path / "pw")]
    else:
        (tmp_path / "c.json").write_text(json.dumps({"LUNA_STREAMS_DB": {"db_password": secret}}))
        args = ["--config", str(tmp_path / "c.json")]
    result = invoke(*command, "--dsn", dsn, *args, env=env)
    assert secret not in result.output
    if command[0] == "dsn":
        assert result.exit_code == 0, result.stderr
        if way == "dsn-query":
            assert "password=***" in result.output or '"password": "***"' in result.output
    else:
        assert result.exit_code == 3, result.output


def test_short_query_passwords_are_masked_too():
    register_dsn_passwords("h/db?password=pw")
    result = invoke("dsn", "--json", "--dsn", "pg01/luna_streams?password=pw")
    described = json.loads(result.stdout)
    assert described["options"]["password"] == "***"
    assert "password=***" in described["dsn"]


def test_settings_resolve_without_showing_the_password():
    settings = resolve_settings(ConnectionOptions(dsn="luna:Resolve-Secret-1@pg01/luna_streams"), environ={})
    assert "Resolve-Secret-1" not in repr(settings) + settings.masked_dsn() + json.dumps(settings.describe())
