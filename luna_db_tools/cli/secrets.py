"""Register every password the command line, environment or a password file gives,
before anything is parsed: whatever fails afterwards (a usage error that echoes
an argument, a DSN the parser rejects) cannot print it. Standard library only.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping
from urllib.parse import unquote

from ..redact import is_password_key, register_secret

_PASSWORD_OPTIONS = ("--db-password",)
_DSN_OPTIONS = ("--dsn",)


def register_given_passwords(args: list[str], environ: Mapping[str, str] | None = None) -> None:
    environ = os.environ if environ is None else environ
    for name, value in _option_values(args):
        if name in _PASSWORD_OPTIONS:
            register_secret(value)
        elif name in _DSN_OPTIONS:
            register_dsn_passwords(value)
        elif name == "--password-file":
            _register_file(value)
    register_secret(environ.get("LUNA_DB_PASSWORD"))
    register_dsn_passwords(environ.get("LUNA_DB_DSN"))


def register_dsn_passwords(text: str | None) -> None:
    """The password of a DSN's user part and of a `password=` query option, however malformed the DSN."""
    if not text:
        return
    rest = text.split("://", 1)[-1]
    head, _, query = rest.partition("?")
    if "@" in head:
        credentials = head.rsplit("@", 1)[0]
        if ":" in credentials:
            secret = credentials.split(":", 1)[1]
            register_secret(secret)
            register_secret(unquote(secret))
    # The password may hold '?' or '@': also take everything up to the last '@'.
    if "@" in rest:
        credentials = rest.rsplit("@", 1)[0]
        if ":" in credentials:
            register_secret(credentials.split(":", 1)[1])
    for item in query.split("&"):
        key, _, value = item.partition("=")
        if is_password_key(key.strip()):
            register_secret(value)
            register_secret(unquote(value))


def _option_values(args: list[str]):
    for index, arg in enumerate(args):
        if arg == "--":
            return
        if arg.startswith("--") and "=" in arg:
            name, _, value = arg.partition("=")
            yield name, value
        elif index + 1 < len(args):
            yield arg, args[index + 1]


def _register_file(path: str) -> None:
    try:
        register_secret(Path(path).read_text(encoding="utf-8").rstrip("\r\n"))
    except (OSError, UnicodeDecodeError, ValueError):
        pass  # the command itself says why it cannot read it
