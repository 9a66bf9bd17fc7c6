"""A wide fuzz of the CLI's options (hypothesis): whatever an operator types,
no traceback, no secret, at most two lines on stderr, one of luna-db's exit codes.

Fast by construction: derandomized, a bounded number of examples, and every
host a closed local port with --connect-retries 1 (a refusal is immediate).
Multi-host DSNs are left out: exit 3 then names each host on a line of its own.
"""

from __future__ import annotations

import json
import string
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.clirunner import invoke
from tests.pgcluster import free_port

REFUSED = free_port()
MARK = "Qz"  # every fuzzed password starts with it, so a leak is easy to spot

passwords = st.text(alphabet=string.ascii_letters + string.digits + "-_!%@:/?&=#,.+ ", min_size=6, max_size=16).map(
    lambda text: MARK + text
)
commands = st.sampled_from([
    ["status"], ["current"], ["upgrade"], ["upgrade", "--dry-run"], ["upgrade", "--sql"], ["downgrade", "-1"],
    ["downgrade", "base", "--sql"], ["stamp", "head"], ["views"], ["create"], ["create", "--sql"],
    ["dsn"], ["history"], ["history", "--audit"], ["check"], ["upgrade", "s0005:s0003", "--sql"],
    ["upgrade", "--sql", "--dry-run"], ["create", "--sql", "--create-database"], ["create", "--create-database"],
    ["upgrade", "--lock-timeout", "1"],
])
schemas = st.sampled_from([[], ["--schema", "streams"], ["--schema", "backport3"], ["--schema", "nosuch"]])
hosts = st.sampled_from([f"127.0.0.1:{REFUSED}", f"localhost:{REFUSED}", f"[::1]:{REFUSED}", "127.0.0.1", ""])
databases = st.sampled_from(["luna_streams", "luna_backport3", "other_db", ""])
queries = st.sampled_from(["", "?sslmode=require", "?sslmode=bogus", "?foo=bar", "?connect_timeout=2",
                           "?application_name=ops@site", "?target_session_attrs=any"])
extras = st.lists(st.sampled_from([
    ["--json"], ["-q"], ["-v"], ["--traceback"], ["--db-type", "oracle"], ["--db-type", "postgres"],
    ["--db-port", str(REFUSED)], ["--db-port", "0"], ["--db-host", "127.0.0.1"], ["--db-user", "luna"],
    ["--db-name", "luna_streams"], ["--nosuch"], ["--dsn", ""],
]), max_size=3)
ways = st.sampled_from(["dsn-user", "dsn-user-encoded", "dsn-query", "option", "environment", "password-file", "config"])


@st.composite
def command_lines(draw, tmp_dir):
    secret = draw(passwords)
    way = draw(ways)
    host, database, query = draw(hosts), draw(databases), draw(queries)
    user_part = ""
    if way == "dsn-user":
        user_part = f"luna:{secret}@"
    elif way == "dsn-user-encoded":
        user_part = f"luna:{quote(secret, safe='')}@"
    if way == "dsn-query":
        query = (query + "&" if query else "?") + "password=" + quote(secret, safe="")
    dsn = f"{user_part}{host}{'/' + database if database else ''}{query}"
    args = [*draw(commands), *draw(schemas), "--dsn", dsn, "--connect-retries", "1", "--retry-delay", "0"]
    env = {}
    if way == "option":
        args += ["--db-password", secret]
    elif way == "environment":
        env["LUNA_DB_PASSWORD"] = secret
    elif way == "password-file":
        path = tmp_dir / "password"
        path.write_text(secret + "\n")
        args += ["--password-file", str(path)]
    elif way == "config":
        path = tmp_dir / "luna.json"
        path.write_text(json.dumps({"LUNA_STREAMS_DB": {"db_password": secret}, "LUNA_BACKPORT3_DB": {"db_password": secret}}))
        args += ["--config", str(path)]
    for extra in draw(extras):
        args += extra
    return args, env, secret


def test_fuzzed_command_lines_answer_in_at_most_two_lines_without_a_secret(tmp_path_factory):
    tmp_dir = tmp_path_factory.mktemp("fuzz")

    @settings(max_examples=200, derandomize=True, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(command_lines(tmp_dir))
    def check(case):
        args, env, secret = case
        result = invoke(*args, env=env)
        output = result.stdout + result.stderr
        assert result.exit_code in (0, 1, 2, 3), (args, output)
        assert "Traceback" not in output or "--traceback" in args, (args, output)
        for shown in (secret, quote(secret, safe="")):
            if len(secret) >= 4:
                assert shown not in output, (args, output)
        if "--traceback" not in args and "-v" not in args:
            assert result.stderr.count("\n") <= 2, (args, result.stderr)
        if "--json" in args and result.stdout.strip():
            json.loads(result.stdout)  # one JSON document, errors included

    check()
