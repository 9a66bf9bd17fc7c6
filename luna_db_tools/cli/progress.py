"""Progress for people: a ticker while a migration step runs long, on a terminal only.

A step that takes more than a few seconds (a data migration, an index built
over millions of rows) would otherwise look like a hang. The ticker rewrites
one line on stderr with the step's elapsed time and what the step's probe
says (on PostgreSQL while an index is built: the rows done so far, from
`pg_stat_progress_create_index`). A set-based INSERT ... SELECT reports no
rows until it commits, so for it the ticker shows elapsed time only.
Nothing is printed when stderr is not a terminal: logs and scripts get the
per-revision lines only. Standard library only (CLI start-up).
"""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

from ..reporter import Probe


class StepTicker:
    """`started(label, probe)` / `finished()` around each step; silent unless the stream is a terminal."""

    def __init__(self, stream: TextIO = sys.stderr, *, after: float = 3.0, every: float = 1.0):
        self.stream = stream
        self.after = after
        self.every = every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._shown = False

    @property
    def enabled(self) -> bool:
        return hasattr(self.stream, "isatty") and self.stream.isatty()

    def started(self, label: str, probe: Probe | None = None) -> None:
        if not self.enabled:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._tick, args=(label, time.monotonic(), probe), daemon=True)
        self._thread.start()

    def finished(self) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join()
        self._thread = None
        if self._shown:
            self.stream.write("\r\x1b[K")  # clear the ticker line for the step's own report
            self.stream.flush()
            self._shown = False

    def _tick(self, label: str, began: float, probe: Probe | None) -> None:
        if self._stop.wait(self.after):
            return
        while True:
            detail = _safely(probe)
            elapsed = time.monotonic() - began
            self.stream.write(f"\r\x1b[K  {label} running, {elapsed:.0f} s{', ' + detail if detail else ''}")
            self.stream.flush()
            self._shown = True
            if self._stop.wait(self.every):
                return


def _safely(probe: Probe | None) -> str | None:
    if probe is None:
        return None
    try:
        return probe()
    except Exception:  # a progress probe must never break a migration
        return None
