"""How a running command speaks: the Reporter every layer is handed.

`say(line)` (also `reporter(line)`) tells what was done: a step applied, a
view recreated. `result(line)` tells what the command came to ("streams is
at revision s0005"): kept when the rest is silenced (-q). `progress(line)` tells of waiting and retrying, which never
mixes into a command's results. `step_started(label, probe)` and
`step_finished()` bracket each migration step, for a terminal's ticker;
`probe` answers how far the step has got, or None.

This base class drops everything: it is what a library caller gets by
default. The CLI's Output prints the lines and runs the ticker. Standard
library only: every layer imports it.
"""

from __future__ import annotations

from typing import Callable, Optional

#: Asked while a step runs: how far it has got ("index: building, 1,000 of 9,000 rows"), or None.
Probe = Callable[[], Optional[str]]


class Reporter:
    """Where a command's lines go; this one drops them."""

    def say(self, line: str) -> None:
        """A line on what the command did."""

    def progress(self, line: str) -> None:
        """A line on waiting or retrying."""

    def result(self, line: str) -> None:
        """The line a command came to; a reporter that tells results apart keeps it when it drops the rest."""
        self.say(line)

    def step_started(self, label: str, probe: Probe | None = None) -> None:
        """A migration step begins ("applying s0003")."""

    def step_finished(self) -> None:
        """The step begun last has ended, well or not."""

    def __call__(self, line: str) -> None:
        self.say(line)


class AsProgress(Reporter):
    """Another reporter, with every line sent as progress: for steps that only prepare a command's result."""

    def __init__(self, reporter: Reporter):
        self.reporter = reporter

    def say(self, line: str) -> None:
        self.reporter.progress(line)

    def progress(self, line: str) -> None:
        self.reporter.progress(line)

    def result(self, line: str) -> None:
        self.reporter.progress(line)


#: The reporter of a command nobody listens to.
SILENT = Reporter()
