"""LUNA's DSN grammar, case by case and by property; no database needed."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from luna_db_tools.dsn import HostPort, ParsedDsn, masked, parse_dsn
from luna_db_tools.errors import DsnError


def test_documented_full_form():
    parsed = parse_dsn("luna:luna@postgres01:5432,postgres02:5432/luna_streams?some_option=some_value")
    assert parsed == ParsedDsn(
        None, "luna", "luna", (HostPort("postgres01", 5432), HostPort("postgres02", 5432)),
        "luna_streams", {"some_option": "some_value"},
    )


def test_documented_partial_form():
    parsed = parse_dsn("postgres01,postgres02/luna_streams")
    assert parsed.hosts == (HostPort("postgres01", None), HostPort("postgres02", None))
    assert (parsed.user, parsed.password, parsed.database) == (None, None, "luna_streams")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", ParsedDsn()),
        ("/luna_streams", ParsedDsn(database="luna_streams")),
        ("pg01", ParsedDsn(hosts=(HostPort("pg01", None),))),
        ("luna@pg01", ParsedDsn(user="luna", hosts=(HostPort("pg01", None),))),
        ("luna:@pg01", ParsedDsn(user="luna", password="", hosts=(HostPort("pg01", None),))),
        ("?sslmode=require", ParsedDsn(options={"sslmode": "require"})),
        ("u:pw@/db", ParsedDsn(user="u", password="pw", database="db")),
        ("[::1]:5433,[fe80::1]/db", ParsedDsn(hosts=(HostPort("::1", 5433), HostPort("fe80::1", None)), database="db")),
        ("oracle://scott:tiger@ora1:1521,ora2/FREEPDB1",
         ParsedDsn("oracle", "scott", "tiger", (HostPort("ora1", 1521), HostPort("ora2", None)), "FREEPDB1")),
        ("POSTGRESQL+PSYCOPG2://h", ParsedDsn("postgres", hosts=(HostPort("h", None),))),
        ("luna:p@ss@pg01/db", ParsedDsn(user="luna", password="p@ss", hosts=(HostPort("pg01", None),), database="db")),
        ("luna:a:b@pg01", ParsedDsn(user="luna", password="a:b", hosts=(HostPort("pg01", None),))),
        ("us%40er:p%40ss%2Fx@h/d%20b", ParsedDsn(user="us@er", password="p@ss/x", hosts=(HostPort("h", None),), database="d b")),
        ("h/db?application_name=ops@site", ParsedDsn(hosts=(HostPort("h", None),), database="db", options={"application_name": "ops@site"})),
        ("h?a=1&b=2&a=3", ParsedDsn(hosts=(HostPort("h", None),), options={"a": "3", "b": "2"})),
    ],
)
def test_forms(text, expected):
    assert parse_dsn(text) == expected
    assert parse_dsn(text).options == expected.options


def test_options_keep_their_order():
    assert list(parse_dsn("h?z=1&a=2&m=3").options) == ["z", "a", "m"]


@pytest.mark.parametrize(
    "text, named",
    [
        ("pg01,,pg02", "empty host"),
        ("pg01,", "empty host"),
        (",pg01", "empty host"),
        ("pg01:abc", "port 'abc'"),
        ("pg01:0", "port '0'"),
        ("pg01:70000", "port '70000'"),
        ("pg01:", "port ''"),
        ("[::1:5432", "bracket"),
        ("[::1]x", "bracket"),
        ("[]:5432", "bracket"),
        ("::1", "brackets"),
        ("mysql://h/db", "unknown scheme 'mysql://'"),
        ("h/db?sslmode", "'sslmode' has no '='"),
        ("h/db?=x", "empty key"),
        (":5432", "host missing"),
    ],
)
def test_malformed_dsns_name_the_bad_part(text, named):
    with pytest.raises(DsnError) as caught:
        parse_dsn(text)
    assert named in str(caught.value)
    assert caught.value.exit_code == 2


def test_an_unencoded_question_mark_in_a_password_still_parses():
    parsed = parse_dsn("luna:pa?ss@pg01/db")
    assert (parsed.user, parsed.password, parsed.hosts, parsed.database) == ("luna", "pa?ss", (HostPort("pg01", None),), "db")


def test_a_failed_parse_scrubs_every_possible_password():
    with pytest.raises(DsnError) as caught:
        parse_dsn("luna:secret?ish@pg01:notaport/db")
    assert "secret" not in str(caught.value) and "ish" not in str(caught.value)


def test_errors_never_echo_the_password():
    with pytest.raises(DsnError) as caught:
        parse_dsn("luna:Topsecret77@pg01:notaport/db")
    assert "Topsecret77" not in str(caught.value)


def test_masked_hides_the_password_and_parses_back():
    parsed = parse_dsn("us%40er:Hidden-1@pg01:5432,[::1]/my%20db?sslmode=require")
    shown = masked(parsed)
    assert "Hidden-1" not in shown
    assert shown == "us%40er:***@pg01:5432,[::1]/my%20db?sslmode=require"
    again = parse_dsn(shown)
    assert (again.user, again.password, again.hosts, again.database, again.options) == (
        parsed.user, "***", parsed.hosts, parsed.database, parsed.options,
    )


# --- properties ------------------------------------------------------------------------

hostnames = st.from_regex(r"[a-z][a-z0-9\-]{0,20}(\.[a-z0-9]{1,10}){0,2}", fullmatch=True)
ipv6 = st.ip_addresses(v=6).map(str)
ports = st.none() | st.integers(1, 65535)
hosts = st.lists(st.tuples(hostnames | ipv6, ports), min_size=1, max_size=4)
texts = st.text(min_size=0, max_size=20)
option_keys = st.from_regex(r"[a-z_]{1,12}", fullmatch=True)


def _render_host(host, port):
    name = f"[{host}]" if ":" in host else host
    return name if port is None else f"{name}:{port}"


@given(
    user=st.text(min_size=1, max_size=20), password=texts, host_list=hosts,
    database=st.text(min_size=1, max_size=20),
    options=st.dictionaries(option_keys, texts, max_size=3),
)
@settings(max_examples=300, deadline=None, derandomize=True)
def test_percent_encoded_dsns_round_trip(user, password, host_list, database, options):
    text = (
        f"{quote(user, safe='')}:{quote(password, safe='')}@"
        + ",".join(_render_host(h, p) for h, p in host_list)
        + f"/{quote(database, safe='')}"
    )
    if options:
        text += "?" + "&".join(f"{k}={quote(v, safe='')}" for k, v in options.items())
    parsed = parse_dsn(text)
    assert parsed.user == user
    assert parsed.password == password
    assert parsed.hosts == tuple(HostPort(h, p) for h, p in host_list)
    assert parsed.database == database
    assert parsed.options == options


@given(st.text(max_size=80))
@settings(max_examples=500, deadline=None, derandomize=True)
def test_any_text_parses_or_raises_dsn_error(text):
    try:
        parse_dsn(text)
    except DsnError:
        pass


@given(password=st.from_regex(r"[A-Za-z0-9]{6,16}", fullmatch=True), tail=st.text(max_size=30))
@settings(max_examples=300, deadline=None, derandomize=True)
def test_a_failed_parse_never_shows_the_password(password, tail):
    text = f"luna:{password}@{tail}"
    try:
        parse_dsn(text)
    except DsnError as error:
        message = str(error)
        if password not in tail:
            assert password not in message
