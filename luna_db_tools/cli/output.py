"""How the CLI speaks: results on stdout, progress on stderr, errors as one line and an exit code.

Every line and document the CLI prints passes through `redact` (redact.py):
`Output.say`/`progress`, `emit_json`, `complain`; logging has RedactingFilter.
"""

from __future__ import annotations

import functools
import os
import sys
import traceback

import click

from ..errors import EXIT_FAILED, EXIT_OK, LunaDbError, first_line
from ..redact import redact
from .json_output import emit_json, error_document


class Output:
    """Where a command's lines go.

    Results on stdout; with --json, stdout carries only the JSON document, so
    the human lines move to stderr. Progress (waiting, retries, steps under
    --json) always on stderr. --quiet drops all but results and errors.
    """

    def __init__(self, quiet: bool, json_mode: bool = False):
        self.quiet = quiet
        self.json = json_mode

    def say(self, line: str) -> None:
        if not self.quiet:
            click.echo(redact(line), err=self.json)

    def progress(self, line: str) -> None:
        if not self.quiet:
            click.echo(redact(line), err=True)

    def result(self, line: str) -> None:
        """A result line (not dropped by --quiet); stderr under --json."""
        click.echo(redact(line), err=self.json)

    def __call__(self, line: str) -> None:
        self.say(line)


def reported(function):
    """Turn LunaDbError into one line on stderr and its exit code; tracebacks only on request.

    Under --json the error is also stdout's one document: {"error": ..., "exit_code": ...}.
    """

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        context = click.get_current_context()
        out = context.find_object(Output)
        if out is not None and context.params.get("json_output"):
            out.json = True
        try:
            result = function(*args, **kwargs)
        except LunaDbError as error:
            print_error(context, error)
            context.exit(error.exit_code)
        except BrokenPipeError:
            closed_pipe()
            context.exit(EXIT_OK)
        except (click.exceptions.Exit, click.ClickException, KeyboardInterrupt):
            raise
        except Exception as error:  # a bug or an unexpected driver error: still one line
            print_error(context, error, prefix=f"unexpected {type(error).__name__}: ")
            context.exit(EXIT_FAILED)
        context.exit(result if isinstance(result, int) else EXIT_OK)

    return wrapper


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
