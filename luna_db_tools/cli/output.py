"""How the CLI speaks: results on stdout, progress on stderr, errors as one line and an exit code.

Every line and document the CLI prints passes through `redact` (redact.py):
`Output.say`/`progress`/`result`, `emit_json`, `complain`; logging has
RedactingFilter. `report_error` (and `report_usage_error` for a command line
click could not parse) is where an error becomes its line, its JSON
document under --json, and its exit code.
"""

from __future__ import annotations

import os
import sys
import traceback
from typing import TYPE_CHECKING

import click

from ..errors import EXIT_FAILED, EXIT_OK, LunaDbError, first_line
from ..redact import redact
from .json_output import emit_json, error_document

if TYPE_CHECKING:
    from ..reporter import Probe, Reporter


class Output:
    """Where a command's lines go: the Reporter (reporter.py) the CLI hands every command.

    It has the Reporter's methods without importing it, so that `--help`
    loads one module less.

    Results on stdout; with --json, stdout carries only the JSON document, so
    the human lines move to stderr. Progress (waiting, retries, steps under
    --json) always on stderr. --quiet drops all but results and errors, and
    the ticker of a long step (on a terminal only). `verbose` (-v) asks for
    the details a command leaves out otherwise (check: its accepted findings).
    """

    def __init__(self, quiet: bool, json_mode: bool = False, verbose: bool = False):
        self.quiet = quiet
        self.json = json_mode
        self.verbose = verbose
        self._ticker = None

    def say(self, line: str) -> None:
        self.step_finished()  # a ticker's line goes before the step's own
        if not self.quiet:
            click.echo(redact(line), err=self.json)

    def progress(self, line: str) -> None:
        if not self.quiet:
            click.echo(redact(line), err=True)

    def result(self, line: str) -> None:
        """A result line (not dropped by --quiet); stderr under --json."""
        self.step_finished()  # a ticker's line goes before the result
        click.echo(redact(line), err=self.json)

    def step_started(self, label: str, probe: Probe | None = None) -> None:
        if self.quiet:
            return
        if self._ticker is None:
            from .progress import StepTicker

            self._ticker = StepTicker(sys.stderr)
        self._ticker.started(label, probe)

    def step_finished(self) -> None:
        if self._ticker is not None:
            self._ticker.finished()

    def __call__(self, line: str) -> None:
        self.say(line)

    def as_progress(self) -> Reporter:
        """This output with every line sent as progress (stderr): for steps that only prepare a result."""
        from ..reporter import AsProgress

        return AsProgress(self)


def report_error(context: click.Context, error: BaseException) -> int:
    """An error out of a command: one line on stderr (and the JSON document under --json); its exit code.

    LunaDbError says its own message; anything else (a bug, an unexpected
    driver error) is still one line, its first. Tracebacks only with --traceback.
    """
    if isinstance(error, BrokenPipeError):
        return closed_pipe()
    if isinstance(error, LunaDbError):
        print_error(context, error)
        return error.exit_code
    print_error(context, error, prefix=f"unexpected {type(error).__name__}: ")
    return EXIT_FAILED


def report_usage_error(error: click.ClickException, as_json: bool) -> int:
    """A command line click could not parse: one line naming the --help to read (and the JSON document); its exit code.

    `as_json` comes from the raw arguments (json_output.wants_json): no option was parsed.
    """
    line = error.format_message()
    if isinstance(error, click.UsageError) and error.ctx is not None:
        line += f" (see '{error.ctx.command_path} --help')"
    if as_json:
        print_json_error(line, error.exit_code)
    complain("error", line)
    return error.exit_code


def closed_pipe() -> int:
    """`luna-db history | head -1`: the reader has what it wanted; exit 0 without a word.

    stdout is pointed at /dev/null so that the flush at exit does not meet
    the closed pipe again.
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # not a real file (click's test runner)
        pass
    return EXIT_OK


def print_error(context, error: BaseException, prefix: str = "") -> None:
    if context.find_root().params.get("traceback"):
        click.echo(redact("".join(traceback.format_exception(error))), err=True)
    if isinstance(error, LunaDbError):
        text = str(error).strip() or type(error).__name__
    else:
        # A driver's error carries the SQL and a link on later lines: the first
        # line is the reason (--traceback has the rest).
        text = first_line(error)
    line = redact(f"{prefix}{text}")
    out = context.find_object(Output)
    if out is not None and out.json:
        print_json_error(line, getattr(error, "exit_code", EXIT_FAILED))
    complain("error", line)


def print_json_error(line: str, exit_code: int) -> None:
    emit_json(error_document(line, exit_code))


def complain(level: str, line: str) -> None:
    """`luna-db: error: ...` on stderr; red (yellow for a warning) on a terminal only.

    click drops the colour when stderr is not a terminal; NO_COLOR (no-color.org)
    drops it everywhere.
    """
    label = click.style(f"luna-db: {level}:", fg="red" if level == "error" else "yellow", bold=True)
    click.echo(f"{label} {redact(line)}", err=True, color=False if os.environ.get("NO_COLOR") else None)
