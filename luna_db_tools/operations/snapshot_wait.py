"""Name the sessions an online index build waits for, while it waits.

CREATE INDEX CONCURRENTLY waits, twice, for every transaction older than its
own phases to end: any pg_dump, report or idle-in-transaction client in the
database, on any table. That wait blocks no one, so luna-db lets it run
(under --index-wait-timeout, not the lock timeout) and says, on stderr, who
it is waiting for: server pid, application, transaction age, query start.
A person can then end the right session instead of guessing.

The watcher runs in a thread with a connection of its own, asking
`pg_blocking_pids()` of the build's backend every second or so (it names
virtualxid waits, which is what the snapshot wait is).
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator

from sqlalchemy import text

_BLOCKERS = """
SELECT a.pid, coalesce(a.application_name, '') AS application, a.state,
       extract(epoch FROM now() - coalesce(a.xact_start, a.query_start)) AS age, a.query_start
FROM pg_stat_activity a
WHERE a.pid = ANY(pg_blocking_pids(:pid))
ORDER BY a.xact_start
"""
POLL_INTERVAL = 1.0
REMIND_EVERY = 30.0


@dataclass(frozen=True)
class Blocker:
    pid: int
    application: str
    state: str | None
    age: float
    query_start: object

    def describe(self) -> str:
        started = f"{self.query_start:%Y-%m-%d %H:%M:%S %Z}".rstrip() if self.query_start else "?"
        return (f"pid {self.pid} (application '{self.application or 'unnamed'}', {self.state or '?'}, "
                f"transaction open {self.age:.0f} s, query started {started})")


def blockers(connection, pid: int) -> list[Blocker]:
    rows = connection.execute(text(_BLOCKERS), {"pid": pid}).all()
    return [Blocker(r.pid, r.application, r.state, float(r.age or 0), r.query_start) for r in rows]


@contextmanager
def naming_what_it_waits_for(
    open_connection: Callable[[], object] | None, pid: int, what: str, report: Callable[[str], None] | None,
) -> Iterator[None]:
    """While the block runs, report (once per session, and a reminder every 30 s) who `pid` waits for."""
    if open_connection is None or report is None:
        yield
        return
    stop = threading.Event()

    def watch() -> None:
        try:
            with open_connection() as connection:
                connection.execute(text("SET application_name = 'luna-db watcher'"))
                seen: set[int] = set()
                last_said = 0.0
                elapsed = 0.0
                while not stop.wait(POLL_INTERVAL):
                    elapsed += POLL_INTERVAL
                    found = blockers(connection, pid)
                    connection.rollback()
                    new = [b for b in found if b.pid not in seen]
                    if found and (new or elapsed - last_said >= REMIND_EVERY):
                        report(f"{what} waits for older transactions to end: "
                               + "; ".join(b.describe() for b in found))
                        seen.update(b.pid for b in found)
                        last_said = elapsed
        except Exception:  # naming blockers must never break a migration
            return

    thread = threading.Thread(target=watch, name="luna-db snapshot watcher", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)
