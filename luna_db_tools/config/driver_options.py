"""DSN query options checked before connecting: a typo is bad input (exit 2), not an outage.

libpq rejects an unknown keyword or an invalid value only when it connects,
and its message then looks like any other connection failure, which luna-db
used to retry for several rounds. Here the keywords are libpq's own (its
conninfo options, as listed in the PostgreSQL 17 documentation, "Parameter
Key Words"), and the options with a fixed set of values or a number are
checked locally. Oracle's options are checked by python-oracledb's
ConnectParams in db/connect.py. Standard library only.
"""

from __future__ import annotations

from typing import Mapping

from ..errors import DsnError

# The keywords a DSN's query may set. host, hostaddr, port, dbname and user
# are left out: the DSN has parts of its own for them, and a query item would
# silently overrule the parts (or be overruled by them).
LIBPQ_KEYWORDS = frozenset({
    "password", "passfile", "require_auth", "channel_binding", "connect_timeout", "client_encoding",
    "options", "application_name", "fallback_application_name", "keepalives", "keepalives_idle",
    "keepalives_interval", "keepalives_count", "tcp_user_timeout", "replication", "gssencmode",
    "sslmode", "sslnegotiation", "sslcompression", "sslcert", "sslkey", "sslpassword", "sslcertmode",
    "sslrootcert", "sslcrl", "sslcrldir", "sslsni", "requirepeer", "ssl_min_protocol_version",
    "ssl_max_protocol_version", "krbsrvname", "gsslib", "gssdelegation", "service",
    "target_session_attrs", "load_balance_hosts",
})

DSN_PARTS = {"host": "host", "hostaddr": "host", "port": "port", "dbname": "database", "user": "user"}

_TLS = ("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")
_BOOLEAN_01 = ("0", "1")
CHOICES: dict[str, tuple[str, ...]] = {
    "sslmode": ("disable", "allow", "prefer", "require", "verify-ca", "verify-full"),
    "target_session_attrs": ("any", "read-write", "read-only", "primary", "standby", "prefer-standby"),
    "gssencmode": ("disable", "prefer", "require"),
    "channel_binding": ("disable", "prefer", "require"),
    "sslcertmode": ("disable", "allow", "require"),
    "sslnegotiation": ("postgres", "direct"),
    "load_balance_hosts": ("disable", "random"),
    "replication": ("true", "on", "yes", "1", "false", "off", "no", "0", "database"),
    "keepalives": _BOOLEAN_01,
    "sslcompression": _BOOLEAN_01,
    "sslsni": _BOOLEAN_01,
    "gssdelegation": _BOOLEAN_01,
    "ssl_min_protocol_version": _TLS,
    "ssl_max_protocol_version": _TLS,
}
NUMBERS = frozenset({"connect_timeout", "keepalives_idle", "keepalives_interval", "keepalives_count", "tcp_user_timeout"})


def check_driver_options(db_type: str, options: Mapping[str, str]) -> None:
    """DsnError (exit 2) naming the first option libpq would refuse; Oracle's are checked at connect."""
    if db_type != "postgres":
        return
    for key, value in options.items():
        if key in DSN_PARTS:
            raise DsnError(
                f"DSN option {key!r} is not taken: give the {DSN_PARTS[key]} in the DSN itself "
                f"([user[:password]@]host[:port][,host...][/database])"
            )
        if key not in LIBPQ_KEYWORDS:
            raise DsnError(f"unknown DSN option {key!r}: not a libpq connection parameter")
        _check_value(key, value)


def _check_value(key: str, value: str) -> None:
    if key == "password":
        return  # anything goes, and it is never shown
    shown = value if len(value) <= 40 else value[:40] + "..."
    if key in CHOICES and value not in CHOICES[key]:
        raise DsnError(f"bad DSN option {key}={shown!r}: choose one of {', '.join(CHOICES[key])}")
    if key in NUMBERS and not (value.isascii() and value.strip().lstrip("-").isdigit()):
        raise DsnError(f"bad DSN option {key}={shown!r}: a whole number of seconds (or a count) is expected")
