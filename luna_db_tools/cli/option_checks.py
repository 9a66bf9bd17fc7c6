"""Options that contradict each other, or do nothing, are bad input (exit 2), said in one line.

Checked before anything connects; standard library only (CLI start-up).
"""

from __future__ import annotations

from pathlib import Path

from ..config.settings import ConnectionOptions
from ..errors import BadInput


def refuse_contradictions(options: ConnectionOptions) -> None:
    """--dsn '' and an empty password file. (--db-host/--db-port that a DSN's hosts would overrule:
    config.settings.SettingsPass, where the DSN is parsed.)"""
    if options.dsn is not None and not options.dsn.strip():
        raise BadInput("--dsn is empty: give a DSN, or leave the option out")
    if options.password_file:
        _refuse_empty_password_file(options.password_file)


def refuse_sql_with(flag: str, other: str, why: str) -> None:
    raise BadInput(f"{flag} and {other} contradict each other: {why}")


def _refuse_empty_password_file(path: str) -> None:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise BadInput(f"cannot read the password file {path}: {error.strerror}") from None
    except (UnicodeDecodeError, ValueError):
        raise BadInput(f"the password file {path} is not UTF-8 text") from None
    if not text.rstrip("\r\n"):
        raise BadInput(f"the password file {path} is empty")
