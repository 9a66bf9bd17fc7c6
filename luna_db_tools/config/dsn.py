"""LUNA's DSN grammar, parsed without SQLAlchemy.

    [scheme://][user[:password]@]host[:port][,host[:port]...][/database][?key=value[&...]]

SQLAlchemy's URL parser cannot read a host list (`pg01:5432,pg02:5432`), so
the DSN is parsed here and the connection is built from the parts. Imported
at CLI start-up: standard library only.

A scheme is a leading `name://` only, so `://` in a password or a query
value (`?application_name=http://x`) is not one.

The credentials end at the last `@` before the first `?`: an unencoded `@`,
`/` or `:` in a password works (`luna:p@ss@pg01/db`), and so does an `@` in
a query value (`?application_name=ops@site`). A `?` in a password should be
encoded (`%3F`); if not, that reading fails and the last `@` before each
later `?`, then the last `@` of all, is tried: the first reading that parses
wins. An `@` in a database name must be encoded (`%40`). The first `:` of
the credentials ends the user.

User, password, database and query items are percent-decoded as UTF-8 (an
invalid `%xx` stays as written, so `100%` works). A repeated query key keeps
its last value, as libpq does. Errors are one line and name the bad part;
since a misread DSN can put the password where a host or port belongs, every
message is scrubbed of whatever could be credentials (`_scrub`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import quote, unquote

from ..errors import DsnError
from ..redact import is_password_key

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


_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9_+.\-]*)://")  # `_`: oracle+cx_oracle
_BRACKETED = re.compile(r"\[([^\[\]]*)\](.*)", re.DOTALL)


def parse_dsn(text: str) -> ParsedDsn:
    """Split a LUNA DSN into its parts; raise DsnError naming the bad part."""
    text = text.strip()
    db_type, rest = None, text
    scheme = _SCHEME.match(text)
    if scheme:
        db_type = SCHEMES.get(scheme[1].lower())
        if db_type is None:
            raise DsnError(
                f"bad DSN: unknown scheme {_q(scheme[1] + '://')} (use postgres://, postgresql://, "
                "postgresql+psycopg2://, oracle:// or oracle+oracledb://)"
            )
        rest = text[scheme.end() :]
    first_error = None
    for at in _credential_ends(rest):
        try:
            return _parse(db_type, rest, at)
        except DsnError as error:
            first_error = first_error or error
    raise DsnError(_one_line(_scrub(str(first_error), text))) from None


def _credential_ends(rest: str):
    """Where the credentials may end, most likely first (-1: no credentials)."""
    seen = set()
    for boundary in [m.start() for m in re.finditer(r"\?", rest)] + [len(rest)]:
        at = rest.rfind("@", 0, boundary)
        if at not in seen:
            seen.add(at)
            yield at


def _parse(db_type: str | None, rest: str, at: int) -> ParsedDsn:
    user = password = None
    if at >= 0:
        name, colon, secret = rest[:at].partition(":")
        user = _decode(name, "user") if name else None
        password = _decode(secret, "password") if colon else None
        rest = rest[at + 1 :]
    rest, _, query = rest.partition("?")
    hosts_text, _, database = rest.partition("/")
    return ParsedDsn(
        db_type=db_type,
        user=user,
        password=password,
        hosts=_parse_hosts(hosts_text) if hosts_text else (),
        database=_decode(database, "database") if database else None,
        options=_parse_query(query) if query else {},
    )


def _decode(text: str, what: str) -> str:
    try:
        return unquote(text, errors="strict")
    except UnicodeDecodeError:
        # Never echo it: this could be the password.
        raise DsnError(f"bad DSN: the {what} holds a %-escape that is not UTF-8") from None


def parse_host_list(text: str) -> tuple[HostPort, ...]:
    """`pg01:5432,[::1],pg03` into HostPorts, in order (also for --db-host)."""
    try:
        return _parse_hosts(text)
    except DsnError as error:
        raise DsnError(_one_line(str(error))) from None


def _parse_hosts(text: str) -> tuple[HostPort, ...]:
    return tuple(_parse_host(item.strip()) for item in text.split(","))


def _parse_host(item: str) -> HostPort:
    if not item:
        raise DsnError("bad DSN: empty host in the host list (two commas, or a comma at an end)")
    if item.startswith("["):
        match = _BRACKETED.fullmatch(item)
        if not match:
            raise DsnError(f"bad DSN: host {_q(item)} has an unclosed bracket")
        host, after = match[1], match[2]
        if not host:
            raise DsnError(f"bad DSN: host {_q(item)} has an empty bracket")
        if after and not after.startswith(":"):
            raise DsnError(f"bad DSN: host {_q(item)} has {_q(after)} after the closing bracket (expected :port)")
        port = after[1:] if after else None
    elif item.count(":") > 1:
        raise DsnError(f"bad DSN: IPv6 host {_q(item)} must be written in brackets: [{item}]")
    else:
        host, colon, port = item.partition(":")
        if not host:
            raise DsnError(f"bad DSN: host missing before port in {_q(item)}")
        if not colon:
            port = None
    if not host.isprintable() or re.search(r"[\s\[\]]", host):
        raise DsnError(f"bad DSN: host {_q(host)} holds a space, a control character or a stray bracket")
    return HostPort(host, _parse_port(port, host) if port is not None else None)


def _parse_port(text: str, host: str) -> int:
    port = port_number(text)
    if port is None:
        raise DsnError(f"bad DSN: port {_q(text)} of host {_q(host)} is not a number in 1..65535")
    return port


def port_number(text: str) -> int | None:
    """A TCP port from text, or None: the one rule for the DSN, --db-port and config files.

    ASCII digits only (str.isdigit takes '²', which int() refuses), and at
    most 5 significant ones (int() refuses thousands of digits).
    """
    digits = text.lstrip("0")
    if re.fullmatch(r"[0-9]+", text) and 0 < len(digits) <= 5 and int(digits) <= 65535:
        return int(digits)
    return None


def _parse_query(query: str) -> dict[str, str]:
    """Query items in order; a repeated key keeps its last value, as libpq does."""
    options: dict[str, str] = {}
    for item in query.split("&"):
        if not item:
            continue  # `a=1&&b=2`, a trailing `&`
        key, equals, value = item.partition("=")
        if not equals:
            raise DsnError(f"bad DSN: query item {_q(item)} has no '=' (expected key=value)")
        if not key:
            raise DsnError(f"bad DSN: query item {_q(item)} has an empty key")
        options[_decode(key, "query key")] = _decode(value, "query value")
    return options


def _q(part: str) -> str:
    """A bad part, quoted for a message (and for `_scrub` to find); long ones cut."""
    return f"'{part[:40]}...'" if len(part) > 40 else f"'{part}'"


def _one_line(message: str) -> str:
    """A message is one line: control characters shown escaped (after scrubbing)."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)


def _scrub(message: str, text: str) -> str:
    """Hide, in a message about a failed parse, whatever could be the password.

    A misread DSN can put a password anywhere: in a "host", a "port", a
    query item. Everything between the first `:` and the last `@` may be
    credentials; every quoted part of the message that overlaps that span
    is hidden, and so is any piece of it (4 characters or more) left over.
    """
    colon, at = text.find(":"), text.rfind("@")
    if colon == -1 or at <= colon:
        return message
    secret = text[colon + 1 : at]

    def hide(quoted: re.Match) -> str:
        part = quoted[1].removesuffix("...")  # see _q
        position = text.find(part) if part else -1
        while position != -1:
            if position < at and position + len(part) > colon + 1:
                return "'***'"
            position = text.find(part, position + 1)
        return quoted[0]

    message = re.sub(r"'([^']*)'", hide, message, flags=re.DOTALL)
    for length in range(len(secret), 3, -1):
        for begin in range(len(secret) - length + 1):
            piece = secret[begin : begin + length]
            if piece in message:
                message = message.replace(piece, "***")
    return message


def format_host(host: HostPort) -> str:
    """`pg01:5432`, `[::1]:5432`, or `pg01` when no port is known."""
    name = f"[{host.host}]" if ":" in host.host else host.host
    return f"{name}:{host.port}" if host.port is not None else name


def masked(parsed: ParsedDsn) -> str:
    """The DSN as it may be shown: the password, if any, as `***`.

    Parts are percent-encoded, so parse_dsn(masked(p)) gives p back with
    the password "***". No scheme: the type is shown on its own.
    """
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
            f"{quote(k, safe='')}={'***' if is_password_key(k) else quote(v, safe='')}"
            for k, v in parsed.options.items()
        )
    return text
