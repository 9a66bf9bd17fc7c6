"""Defence in depth for "never print a password": every password luna-db
learns is registered here, and every line that leaves the process through
the CLI or logging passes through `redact`."""

from __future__ import annotations

import logging
from urllib.parse import quote

_secrets: set[str] = set()


def register_secret(secret: str | None) -> None:
    """Remember a password so that no output can show it (nor its %-encoding)."""
    # Very short strings would blank out ordinary words; the DSN masking
    # covers them where they can appear.
    if secret and len(secret) >= 4:
        _secrets.add(secret)
        _secrets.add(quote(secret, safe=""))


def redact(text: str) -> str:
    for secret in sorted(_secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


class RedactingFilter(logging.Filter):
    """A logging filter that replaces registered passwords in every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _secrets:
            record.msg = redact(record.getMessage())
            record.args = None
        return True
