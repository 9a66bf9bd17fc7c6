"""`--json`: one JSON document on stdout, whatever happened.

Every document leaves through `emit_json`, which runs it through the one
redaction path (`redact.redact_document`) first.
"""

from __future__ import annotations

import json
from typing import Any

import click

from ..redact import redact_document


def wants_json(args: list[str]) -> bool:
    """Whether the command line asks for JSON, read from the raw arguments.

    Used where click could not parse them (a usage error), so the error can
    still be the one JSON document a script expects. `--` ends the options.
    """
    for arg in args:
        if arg == "--":
            return False
        if arg == "--json" or arg == "--format=json":
            return True
    return False


def emit_json(document: Any) -> None:
    """The command's one JSON document, passwords removed, on stdout."""
    click.echo(json.dumps(redact_document(document), indent=2, default=str))


def error_document(message: str, exit_code: int) -> dict:
    return {"error": message, "exit_code": exit_code}
