"""Connections that land on a usable host, in rounds, and fail with one line per host.

PostgreSQL: all hosts of the DSN go to libpq as one multi-host connection
(`host=h1,h2 port=p1,p2`), which tries them in order and, with
`target_session_attrs=read-write`, skips hot standbys. Oracle: the hosts
become one address list with FAILOVER, tried in order. Either way the driver
does the per-host work; luna-db adds rounds (the whole list again after a
growing pause) and turns the driver's message into one reason per host.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from typing import Callable

from sqlalchemy.exc import DBAPIError

from ..config.dsn import HostPort, format_host
from ..config.settings import DbSettings
from ..errors import DatabaseUnreachable
from . import host_memory, server_version
from .connect_errors import name_read_only_hosts, only_read_only_primaries, refusal
from .engine import engine_for

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """How many rounds over the host list, and the pause before the first retry.

    The pause doubles after each round (capped), so a primary that is being
    promoted gets time to come up without a runbook waiting for minutes.
    """

    rounds: int = 4
    delay: float = 1.0
    max_delay: float = 30.0

    def pauses(self) -> list[float]:
        """The pauses between rounds, in order (one fewer than the rounds)."""
        return [min(self.delay * 2**i, self.max_delay) for i in range(max(self.rounds - 1, 0))]


def connect(
    settings: DbSettings,
    policy: RetryPolicy | None = None,
    *,
    sleep: Callable[[float], None] = time.sleep,
    **engine_options,
):
    """Open a Connection on a usable host, retrying the whole host list in rounds.

    Raises DatabaseUnreachable (exit code 3) with one line per host when every
    round failed (at once when every host is a read-only primary), and
    BadInput (exit code 2) at once for what retrying cannot mend: rejected
    credentials, a missing database, a refused option (db/connect_errors.py).
    """
    policy = policy or RetryPolicy()
    given = settings
    settings = host_memory.ordered(given)  # the host that answered first, silent ones last
    engine = engine_for(settings, **engine_options)
    pauses = policy.pauses()
    for round_number in range(1, policy.rounds + 1):
        try:
            connection = engine.connect()
            host, port = _landed_on(connection)
            host_memory.remember_answer(given, host, port)
            refused = _old_server_refusal(connection, settings, host, port)
            if refused is not None:
                connection.close()
                engine.dispose()
                raise refused
            return connection
        except Exception as error:  # the driver's own error types vary

            if not isinstance(error, DBAPIError):
                raise
            reasons = host_failures(settings, error)
            refused = refusal(settings, reasons)
            if refused is not None:
                engine.dispose()
                raise refused from None
            if settings.db_type == "postgres":
                reasons = name_read_only_hosts(settings, reasons)
            host_memory.remember_timeouts(given, reasons)
            final = round_number == policy.rounds or only_read_only_primaries(reasons)
            if final:
                engine.dispose()
                raise DatabaseUnreachable(_unreachable_message(settings, reasons, round_number)) from None
            pause = pauses[round_number - 1]
            log.warning(
                "no usable host in round %d of %d (%s); trying again in %.1f s",
                round_number, policy.rounds, "; ".join(reasons.values()), pause,
            )
            sleep(pause)
    raise AssertionError("unreachable")  # the loop returns or raises


def _old_server_refusal(connection, settings: DbSettings, host: str | None, port: int | None):
    """BadInput (exit 2) for a server older than luna-db supports: asked before anything is read or written."""
    version = server_version.server_version(connection, settings.db_type)
    where = format_host(HostPort(host, port)) if host else format_host(settings.hosts[0])
    return server_version.refusal(settings.db_type, version, settings.schema, where)


def _landed_on(connection) -> tuple[str | None, int | None]:
    """The host and port a PostgreSQL connection reached (libpq's own answer)."""
    info = getattr(connection.connection.dbapi_connection, "info", None)
    host = getattr(info, "host", None)
    port = getattr(info, "port", None)
    return (host, port) if isinstance(host, str) else (None, None)


# libpq (14+) reports every host it tried, one "connection to server at" each.
_LIBPQ_HOST_LINE = re.compile(
    r'connection to server at "(?P<host>[^"]+)"(?: \([^)]*\))?, port (?P<port>\d+) failed: (?P<why>.*)'
)
_LIBPQ_UNRESOLVED = re.compile(r'could not translate host name "(?P<host>[^"]+)" to address')


def oracle_error_code(error: BaseException) -> int | None:
    """The ORA- number of a python-oracledb error, wrapped by SQLAlchemy or not."""
    original = getattr(error, "orig", error)
    args = getattr(original, "args", ())
    return getattr(args[0], "code", None) if args else None


def host_failures(settings: DbSettings, error: Exception) -> dict[str, str]:
    """Why each host could not be used, keyed by `host:port`, in DSN order."""
    text = str(getattr(error, "orig", error))
    found: dict[str, str] = {}
    for line in text.splitlines():
        match = _LIBPQ_HOST_LINE.search(line)
        if match:
            host = match["host"]
            found[format_host(HostPort(host, int(match["port"])))] = _reason(match["why"])
            continue
        match = _LIBPQ_UNRESOLVED.search(line)
        if match:
            for hp in settings.hosts:
                if hp.host == match["host"]:
                    found[format_host(hp)] = "unknown host name"
    reasons = {}
    for hp in settings.hosts:
        key = format_host(hp)
        # Oracle's errors name no host, and say why on a later line (DPY-6005
        # first, "Connection refused" after it): read the whole text.
        reasons[key] = found.get(key) or _reason(text)
    return reasons


def _reason(why: str) -> str:
    """A short, password-free reason from a driver message."""
    lowered = why.lower()
    if "read-only" in lowered or "is in hot standby" in lowered or "recovery" in lowered:
        return "read-only (hot standby)"
    if "authentication failed" in lowered or "ora-01017" in lowered:
        return "authentication failed"
    if "connection refused" in lowered or "ora-12541" in lowered or ("dpy-6005" in lowered and "refused" in lowered):
        return "connection refused"
    if "timeout" in lowered or "timed out" in lowered or "ora-12170" in lowered:
        return "timed out"
    # Anything else as the server said it, e.g. 'database "x" does not exist'.
    return _first_line(why).removeprefix("FATAL:").strip() or "failed"


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "failed"


def _unreachable_message(settings: DbSettings, reasons: dict[str, str], rounds: int) -> str:
    per_host = "\n".join(f"  {host}: {why}" for host, why in reasons.items())
    return (
        f"no usable database host for {settings.masked_dsn()} after {rounds} round(s):\n{per_host}"
    )
