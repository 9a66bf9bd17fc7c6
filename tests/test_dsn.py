"""LUNA's DSN grammar, case by case and by property; no database needed."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from luna_db_tools.config.dsn import SCHEMES, HostPort, ParsedDsn, format_host, masked, parse_dsn, parse_host_list
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
        (":pw@pg01", ParsedDsn(password="pw", hosts=(HostPort("pg01", None),))),  # an empty user is None
        ("@pg01", ParsedDsn(hosts=(HostPort("pg01", None),))),
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
        ("h?a=1&&b=&", ParsedDsn(hosts=(HostPort("h", None),), options={"a": "1", "b": ""})),
        ("h?k%3Dx=v%26w", ParsedDsn(hosts=(HostPort("h", None),), options={"k=x": "v&w"})),
        # `://` is a scheme only at the start
        ("luna:pw@h/db?application_name=http://x",
         ParsedDsn(user="luna", password="pw", hosts=(HostPort("h", None),), database="db", options={"application_name": "http://x"})),
        ("luna:a://b@h/db", ParsedDsn(user="luna", password="a://b", hosts=(HostPort("h", None),), database="db")),
        ("luna:pa/ss@h/db", ParsedDsn(user="luna", password="pa/ss", hosts=(HostPort("h", None),), database="db")),
        # an invalid %-escape stays as written
        ("luna:100%@h?a=%zz", ParsedDsn(user="luna", password="100%", hosts=(HostPort("h", None),), options={"a": "%zz"})),
        ("pg01 , pg02:0005432", ParsedDsn(hosts=(HostPort("pg01", None), HostPort("pg02", 5432)))),
        ("[fe80::1%eth0]:65535", ParsedDsn(hosts=(HostPort("fe80::1%eth0", 65535),))),
        ("  postgres://h/db\n", ParsedDsn("postgres", hosts=(HostPort("h", None),), database="db")),
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
        ("[::1]x", "'x' after the closing bracket"),
        ("[::1]]", "after the closing bracket"),
        ("[]:5432", "empty bracket"),
        ("[::1]:", "port ''"),
        ("pg01]", "stray bracket"),
        ("pg[01", "stray bracket"),
        ("pg 01", "'pg 01'"),
        ("h:\u00b2", "port '\u00b2'"),  # isdigit() but not int()
        ("h:\u0665", "port '\u0665'"),  # an Arabic-Indic 5
        ("h:" + "9" * 5000, "not a number in 1..65535"),
        ("h:-1", "port '-1'"),
        ("h/%E9", "database holds a %-escape that is not UTF-8"),
        ("h?a=%FF", "query value holds"),
        ("::1", "brackets"),
        ("mysql://h/db", "unknown scheme 'mysql://'"),
        ("h/db?sslmode", "'sslmode' has no '='"),
        ("h/db?=x", "empty key"),
        ("ORACLE+cx_oracle://h", "unknown scheme 'ORACLE+cx_oracle://'"),
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


def test_schemes():
    assert SCHEMES == {
        "postgres": "postgres", "postgresql": "postgres", "postgresql+psycopg2": "postgres",
        "oracle": "oracle", "oracle+oracledb": "oracle",
    }
    assert parse_dsn("Oracle+OracleDB://h").db_type == "oracle"


@pytest.mark.parametrize(
    "text, password, options",
    [
        # the last `@` before the first `?` ends the credentials
        ("luna:p@ss@pg01/db", "p@ss", {}),
        ("luna:p@ss@pg01/db?application_name=ops@site", "p@ss", {"application_name": "ops@site"}),
        ("luna:pw@pg01/db?application_name=ops@site&x=a@b@c", "pw", {"application_name": "ops@site", "x": "a@b@c"}),
        ("pg01/db?application_name=ops@site", None, {"application_name": "ops@site"}),
        # an unencoded `?` in the password: the next readings
        ("luna:pa?ss@pg01/db", "pa?ss", {}),
        ("luna:pa?ss@pg01/db?x=a@b", "pa?ss", {"x": "a@b"}),
        ("luna:a?b?c@pg01/db?x=@", "a?b?c", {"x": "@"}),
    ],
)
def test_where_the_credentials_end(text, password, options):
    parsed = parse_dsn(text)
    assert (parsed.password, parsed.hosts, parsed.options) == (password, (HostPort("pg01", None),), options)
    assert parsed.database == "db"


def test_a_password_that_is_not_utf8_is_not_echoed():
    with pytest.raises(DsnError, match="password holds a %-escape") as caught:
        parse_dsn("luna:Abcd%E9fgh@h/db")
    assert "Abcd" not in str(caught.value) and "fgh" not in str(caught.value)


@pytest.mark.parametrize("text", ["pg01:a\nb", "pg01:a\rb", "h/db?x\n", "pg\x0001"])
def test_messages_are_one_line(text):
    with pytest.raises(DsnError) as caught:
        parse_dsn(text)
    assert "\n" not in str(caught.value) and "\r" not in str(caught.value) and "\x00" not in str(caught.value)


@pytest.mark.parametrize(
    "text, hosts",
    [
        ("h1:5432,[::1],h3", (HostPort("h1", 5432), HostPort("::1", None), HostPort("h3", None))),
        ("[2001:db8::2]:6432", (HostPort("2001:db8::2", 6432),)),
        ("pg01", (HostPort("pg01", None),)),
    ],
)
def test_parse_host_list(text, hosts):
    assert parse_host_list(text) == hosts
    assert ",".join(format_host(h) for h in hosts) == text


@pytest.mark.parametrize("text", ["", "h1,", "h1:x", "::1", "[::1", "a\nb:1"])
def test_parse_host_list_rejects(text):
    with pytest.raises(DsnError) as caught:
        parse_host_list(text)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "host, shown",
    [(HostPort("::1", 5432), "[::1]:5432"), (HostPort("pg01", 5432), "pg01:5432"), (HostPort("pg01", None), "pg01")],
)
def test_format_host(host, shown):
    assert format_host(host) == shown


def test_parsed_dsns_hash_and_hide_the_password_in_repr():
    parsed = parse_dsn("luna:Hidden-1@h?a=b")
    assert hash(parsed) == hash(parse_dsn("luna:Hidden-1@h?a=b"))
    assert "Hidden-1" not in repr(parsed)


def test_masked_documented_example():
    parsed = parse_dsn("luna:s3cret@pg01:5432,pg02:5432/luna_streams?sslmode=require")
    assert masked(parsed) == "luna:***@pg01:5432,pg02:5432/luna_streams?sslmode=require"
    assert masked(parse_dsn("pg01/db")) == "pg01/db"
    assert masked(parse_dsn("")) == ""


# --- properties ------------------------------------------------------------------------
# Derandomized for reproducible CI; scripts/fuzz_dsn.py (`make fuzz`) explores fresh examples.

hostnames = st.from_regex(r"[a-z][a-z0-9\-]{0,20}(\.[a-z0-9]{1,10}){0,2}", fullmatch=True)
ipv6 = st.ip_addresses(v=6).map(str)
ports = st.none() | st.integers(1, 65535)
hosts = st.lists(st.tuples(hostnames | ipv6, ports), min_size=0, max_size=4)
texts = st.text(min_size=0, max_size=20)  # any unicode, `@:/?%&=` included
DSN_PUNCTUATION = st.text(alphabet="abc:@?/&=[],.%1x \n", max_size=30)


def _render_host(host, port):
    name = f"[{host}]" if ":" in host else host
    return name if port is None else f"{name}:{port}"


def _enc(text):
    return quote(text, safe="")


@given(
    scheme=st.none() | st.sampled_from(sorted(SCHEMES)), user=st.text(min_size=1, max_size=20),
    password=st.none() | texts, host_list=hosts, database=st.none() | st.text(min_size=1, max_size=20),
    options=st.dictionaries(st.text(min_size=1, max_size=10), texts, max_size=3),
)
@settings(max_examples=300, deadline=None, derandomize=True)
def test_percent_encoded_dsns_round_trip(scheme, user, password, host_list, database, options):
    text = f"{scheme}://" if scheme else ""
    text += _enc(user) + (f":{_enc(password)}" if password is not None else "") + "@"
    text += ",".join(_render_host(h, p) for h, p in host_list)
    if database is not None:
        text += f"/{_enc(database)}"
    if options:
        text += "?" + "&".join(f"{_enc(k)}={_enc(v)}" for k, v in options.items())
    parsed = parse_dsn(text)
    assert parsed == ParsedDsn(
        SCHEMES[scheme] if scheme else None, user, password,
        tuple(HostPort(h, p) for h, p in host_list), database, options,
    )
    assert list(parsed.options) == list(options)
    # masked() shows the same DSN, password aside, and never the password
    again = parse_dsn(masked(parsed))
    assert again == ParsedDsn(None, user, None if password is None else "***", parsed.hosts, database, options)


@given(st.text(max_size=80) | DSN_PUNCTUATION)
@settings(max_examples=1000, deadline=None, derandomize=True)
def test_any_text_parses_or_raises_dsn_error(text):
    try:
        parsed = parse_dsn(text)
    except DsnError as error:
        assert "\n" not in str(error)
    else:
        assert isinstance(parsed, ParsedDsn)


@given(
    password=st.from_regex(r"[A-Za-z0-9]{4,16}", fullmatch=True),
    before=st.text(max_size=20) | DSN_PUNCTUATION, after=st.text(max_size=30) | DSN_PUNCTUATION,
)
@settings(max_examples=1000, deadline=None, derandomize=True)
def test_a_failed_parse_never_shows_the_password(password, before, after):
    if password in before + after:
        return
    try:
        parse_dsn(f"{before}luna:{password}@{after}")
    except DsnError as error:
        assert password not in str(error)
