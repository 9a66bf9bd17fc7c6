"""The one redaction path: no password leaves luna-db, however it was given.

Every password luna-db learns is registered here (cli/secrets.py registers
those of the command line, the environment and the password file before
anything is parsed; cli/options.py the one the settings resolved to), and
every line and document that leaves the process passes through `redact`
(text) or `redact_document` (JSON): the CLI's Output, its error lines, its
JSON, logging (RedactingFilter), and audit rows (db/audit.py).

Besides the registered secrets, a `password=VALUE` item (a DSN query option,
a libpq conninfo) is masked wherever it appears, even for a password too
short to register.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import quote

MASK = "***"
PASSWORD_KEYS = frozenset({"password", "sslpassword"})

_secrets: set[str] = set()

# The documented default password (README) is no secret, and hiding it would
# blank out every "luna" in the output (luna_streams, the default user).
_NOT_SECRET = frozenset({"luna"})

# `password=...` in a query string or conninfo, up to the next separator;
# also `"password": "..."` in a rendered JSON or Python dict.
_PASSWORD_ITEM = re.compile(r"(?i)(\b(?:ssl)?password\s*=\s*)(?!\*\*\*)('[^']*'|[^&\s,;)'\"]+)")
_PASSWORD_PAIR = re.compile(r"""(?i)(['"](?:ssl)?password['"]\s*:\s*)(['"])(?!\*\*\*)(?:(?!\2).)*\2""")


def register_secret(secret: str | None) -> None:
    """Remember a password so that no output can show it (nor its %-encoding)."""
    # Very short strings would blank out ordinary words; the DSN masking
    # and the password= pattern cover them where they can appear.
    if secret and len(secret) >= 4 and secret not in _NOT_SECRET:
        _secrets.add(secret)
        _secrets.add(quote(secret, safe=""))
        _secrets.add(quote(secret, safe="/:"))


def redact(text: str) -> str:
    """`text` with every registered password, and every password=VALUE item, as ***."""
    for secret in sorted(_secrets, key=len, reverse=True):
        text = text.replace(secret, MASK)
    text = _PASSWORD_ITEM.sub(lambda m: m[1] + MASK, text)
    return _PASSWORD_PAIR.sub(lambda m: f"{m[1]}{m[2]}{MASK}{m[2]}", text)


def is_password_key(key) -> bool:
    """Whether a DSN option or JSON key holds a password (libpq: password, sslpassword)."""
    return isinstance(key, str) and key.lower() in PASSWORD_KEYS


def redact_document(document: Any) -> Any:
    """A JSON-able document with every string redacted and every `password` key's value masked."""
    if isinstance(document, dict):
        return {
            key: (MASK if is_password_key(key) and value else redact_document(value))
            for key, value in document.items()
        }
    if isinstance(document, (list, tuple)):
        return [redact_document(item) for item in document]
    if isinstance(document, str):
        return redact(document)
    return document


class RedactingFilter(logging.Filter):
    """A logging filter that masks passwords in every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        return True
