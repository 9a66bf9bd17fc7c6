"""LUNA's DSN grammar (CLI.md), parsed without SQLAlchemy.

    [scheme://][user[:password]@]host[:port][,host[:port]...][/database][?key=value[&...]]

SQLAlchemy's URL parser cannot read a host list (`pg01:5432,pg02:5432`), so
the DSN is parsed here and the connection is built from the parts. Imported
at CLI start-up: standard library only.

Where the credentials end: at the last `@` before the first `?`. So an
unencoded `@` in a password works (`luna:p@ss@pg01/db`), and so does one in a
query value (`?application_name=ops@site`). A password holding `?` or `/`
must be percent-encoded (`%3F`, `%2F`), as in any URL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import quote, unquote

from .errors import DsnError

SCHEMES = {
    "postgres": "postgres",
    "postgresql": "postgres",
    "postgresql+psycopg2": "postgres",
    "oracle": "oracle",
    "oracle+oracledb": "oracle",
}


@dataclass(frozen=True)
class HostPort:
    host: str  # IPv6 without brackets: "::1"
    port: int | None  # None: the DSN gives no port for this host


@dataclass(frozen=True)
class ParsedDsn:
    db_type: str | None = None
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    hosts: tuple[HostPort, ...] = ()
    database: str | None = None
    options: dict[str, str] = field(default_factory=dict, hash=False)


def parse_dsn(text: str) -> ParsedDsn:
    """Split a LUNA DSN into its parts; raise DsnError naming the bad part.

    A password with an unencoded `?` misleads the first reading (credentials
    end at the last `@` before the first `?`); when that reading fails, the
    credentials are taken up to the last `@` of all. A message never shows
    what either reading would take for the password.
    """
    try:
        return _parse(text, greedy=False)
    except DsnError as first:
        if "@" in text.partition("?")[2]:
            try:
                return _parse(text, greedy=True)
            except DsnError:
                pass
        raise DsnError(_scrub(str(first), text)) from None


def _scrub(message: str, text: str) -> str:
    """Hide, in a message about a failed parse, whatever could be the password.

    A misread DSN can put a password anywhere: in a "host", a "port", a
    query item. Everything between the first `:` and the last `@` may be
    credentials; every quoted part of the message that overlaps that span
    is hidden, and so is any piece of it (4 characters or more) left over.
    """
    # From the very first ':', scheme included: a scheme may itself be a
    # misread "user:password@" (`luna:pw@://...`); hiding a little more is safe.
    colon, at = text.find(":"), text.rfind("@")
    if colon == -1 or at <= colon:
        return message
    secret = text[colon + 1 : at]

    def hide(quoted: re.Match) -> str:
        part = quoted[1]
        position = text.find(part) if part else -1
        while position != -1:
            if position < at and position + len(part) > colon + 1:
                return "'***'"
            position = text.find(part, position + 1)
        return quoted[0]

    message = re.sub(r"'([^']*)'", hide, message)
    for length in range(len(secret), 3, -1):
        for begin in range(len(secret) - length + 1):
            piece = secret[begin : begin + length]
            if piece in message:
                message = message.replace(piece, "***")
    return message


def _parse(text: str, greedy: bool) -> ParsedDsn:
    rest = text.strip()
    db_type = None
    if "://" in rest:
        scheme, rest = rest.split("://", 1)
        db_type = SCHEMES.get(scheme.lower())
        if db_type is None:
            raise DsnError(
                f"bad DSN: unknown scheme '{scheme}://' (use postgres://, postgresql://, "
                "postgresql+psycopg2://, oracle:// or oracle+oracledb://)"
            )

    user = password = None
    before_query = rest if greedy else rest.split("?", 1)[0]
    if "@" in before_query:
        at = before_query.rindex("@")
        credentials, rest = rest[:at], rest[at + 1 :]
        name, colon, secret = credentials.partition(":")
        user = unquote(name) if name else None
        password = unquote(secret) if colon else None

    rest, _, query = rest.partition("?")
    hosts_text, slash, database = rest.partition("/")
    return ParsedDsn(
        db_type=db_type,
        user=user,
        password=password,
        hosts=parse_host_list(hosts_text) if hosts_text else (),
        database=unquote(database) if database else None,
        options=_parse_query(query) if query else {},
    )


_BRACKETED = re.compile(r"^\[(?P<host>[^\]]*)\](?::(?P<port>.*))?$")


def parse_host_list(text: str) -> tuple[HostPort, ...]:
    """`pg01:5432,[::1],pg03` into HostPorts, in order."""
    return tuple(_parse_host(item) for item in text.split(","))


def _parse_host(item: str) -> HostPort:
    if not item:
        raise DsnError("bad DSN: empty host in the host list (two commas, or a comma at an end)")
    if item.startswith("["):
        match = _BRACKETED.match(item)
        if not match or not match["host"]:
            raise DsnError(f"bad DSN: host '{item}' has an unclosed or empty bracket")
        host, port = match["host"], match["port"]
    elif item.count(":") > 1:
        raise DsnError(f"bad DSN: IPv6 host '{item}' must be written in brackets: [{item}]")
    else:
        host, colon, port = item.partition(":")
        if not host:
            raise DsnError(f"bad DSN: host missing before port in '{item}'")
        if not colon:
            port = None
    return HostPort(host, _parse_port(port, host) if port is not None else None)


def _parse_port(text: str, host: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise DsnError(f"bad DSN: port '{text}' of host '{host}' is not a number in 1..65535")
    return int(text)


def _parse_query(query: str) -> dict[str, str]:
    """Query items in order; a repeated key keeps its last value, as libpq does."""
    options: dict[str, str] = {}
    for item in query.split("&"):
        if not item:
            continue
        key, equals, value = item.partition("=")
        if not equals:
            raise DsnError(f"bad DSN: query item '{item}' has no '=' (expected key=value)")
        if not key:
            raise DsnError(f"bad DSN: query item '{item}' has an empty key")
        options[unquote(key)] = unquote(value)
    return options


def format_host(host: HostPort) -> str:
    """`pg01:5432`, `[::1]:5432`, or `pg01` when no port is known."""
    name = f"[{host.host}]" if ":" in host.host else host.host
    return f"{name}:{host.port}" if host.port is not None else name


def masked(parsed: ParsedDsn) -> str:
    """The DSN as it may be shown: the password, if any, as `***`."""
    text = ""
    if parsed.user is not None or parsed.password is not None:
        text = quote(parsed.user or "", safe="")
        if parsed.password is not None:
            text += ":***"
        text += "@"
    text += ",".join(format_host(h) for h in parsed.hosts)
    if parsed.database is not None:
        text += "/" + quote(parsed.database, safe="")
    if parsed.options:
        text += "?" + "&".join(
            f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in parsed.options.items()
        )
    return text
