"""What this process learnt about the DSN's hosts: which one answered, which timed out.

A host that accepts TCP but never answers (a hung server, a black-holed
address) costs libpq the whole connect_timeout on every connection, and a
run opens several (the lock and work session, the pooler probe, progress
probes, the failure report). Remembered per process, i.e. per run: later
connections go first to the host that answered, and hosts that timed out go
last, so a silent host costs one connect timeout per run. Nothing is
dropped: after a failover every host is still tried, in the new order.
"""

from __future__ import annotations

import dataclasses
import threading

from ..config.dsn import HostPort, format_host

_lock = threading.Lock()
_answered: dict[tuple, HostPort] = {}
_timed_out: dict[tuple, set[HostPort]] = {}


def _key(settings) -> tuple:
    return (settings.db_type, settings.hosts, settings.database, settings.user)


def ordered(settings):
    """`settings` with its hosts in the order this process has learnt is best."""
    if len(settings.hosts) < 2:
        return settings
    key = _key(settings)
    with _lock:
        first = _answered.get(key)
        slow = _timed_out.get(key, set())
    hosts = list(settings.hosts)
    best = [h for h in hosts if h == first]
    rest = [h for h in hosts if h != first and h not in slow]
    late = [h for h in hosts if h != first and h in slow]
    new_order = tuple(best + rest + late)
    if new_order == settings.hosts:
        return settings
    return dataclasses.replace(settings, hosts=new_order)


def remember_answer(settings, host: str | None, port: int | None) -> None:
    """The connection landed on host:port; hosts before it in the order tried did not serve it."""
    if len(settings.hosts) < 2 or host is None:
        return
    for candidate in settings.hosts:
        if candidate.host == host and (port is None or candidate.port == int(port)):
            with _lock:
                _answered[_key(settings)] = candidate
            return


def remember_timeouts(settings, reasons: dict[str, str]) -> None:
    """Hosts whose reason (db.connect.host_failures) was a timeout."""
    if len(settings.hosts) < 2:
        return
    slow = {h for h in settings.hosts if reasons.get(format_host(h)) == "timed out"}
    if slow:
        with _lock:
            _timed_out.setdefault(_key(settings), set()).update(slow)


def forget() -> None:
    """Forget everything (tests)."""
    with _lock:
        _answered.clear()
        _timed_out.clear()
