"""How the CLI speaks: results on stdout, progress on stderr, errors as one line and an exit code."""

from __future__ import annotations

import functools
import os
import traceback

import click

from ..errors import EXIT_FAILED, EXIT_OK, LunaDbError
from ..redact import redact


class Output:
    """Where a command's human lines go: stderr when stdout carries JSON, nothing with --quiet."""

    def __init__(self, quiet: bool):
        self.quiet = quiet

    def say(self, line: str) -> None:
        if not self.quiet:
            click.echo(redact(line))

    def progress(self, line: str) -> None:
        if not self.quiet:
            click.echo(redact(line), err=True)


def reported(function):
    """Turn LunaDbError into one line on stderr and its exit code; tracebacks only on request."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        context = click.get_current_context()
        try:
            result = function(*args, **kwargs)
        except LunaDbError as error:
            print_error(context, error)
            context.exit(error.exit_code)
        except (click.exceptions.Exit, click.ClickException, KeyboardInterrupt):
            raise
        except Exception as error:  # a bug or an unexpected driver error: still one line
            print_error(context, error, prefix=f"unexpected {type(error).__name__}: ")
            context.exit(EXIT_FAILED)
        context.exit(result if isinstance(result, int) else EXIT_OK)

    return wrapper


def print_error(context, error: BaseException, prefix: str = "") -> None:
    if context.find_root().params.get("traceback"):
        click.echo(redact("".join(traceback.format_exception(error))), err=True)
    text = str(error).strip() or type(error).__name__
    complain("error", redact(f"{prefix}{text}"))


def complain(level: str, line: str) -> None:
    """`luna-db: error: ...` on stderr; red (yellow for a warning) on a terminal only.

    click drops the colour when stderr is not a terminal; NO_COLOR (no-color.org)
    drops it everywhere.
    """
    label = click.style(f"luna-db: {level}:", fg="red" if level == "error" else "yellow", bold=True)
    click.echo(f"{label} {line}", err=True, color=False if os.environ.get("NO_COLOR") else None)
