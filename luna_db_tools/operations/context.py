"""What luna-db hands a running revision: its Config attributes, read from Alembic's migration context."""

from __future__ import annotations

import sys


def luna_attributes(context) -> dict:
    """luna-db's Config attributes (settings, report, timeouts), or {} under plain Alembic."""
    config = getattr(context, "config", None)
    return dict(config.attributes) if config is not None else {}


def progress(context, line: str) -> None:
    """A progress line of a running revision: through luna-db's reporter, or to stderr under plain Alembic."""
    report = luna_attributes(context).get("report")
    if report is not None:
        report.progress(line)
    else:
        print(line, file=sys.stderr, flush=True)
