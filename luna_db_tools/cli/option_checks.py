"""Options that contradict each other, or do nothing, are bad input (exit 2), said in one line.

Checked before anything connects; standard library only (CLI start-up).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

from ..config.dsn import parse_dsn
from ..config.settings import ConnectionOptions
from ..errors import BadInput


def refuse_contradictions(options: ConnectionOptions, environ: Mapping[str, str] | None = None) -> None:
    """--dsn '', an empty password file, and --db-host/--db-port that a DSN's hosts would overrule."""
    environ = os.environ if environ is None else environ
    if options.dsn is not None and not options.dsn.strip():
        raise BadInput("--dsn is empty: give a DSN, or leave the option out")
    if options.password_file:
        _refuse_empty_password_file(options.password_file)
    if options.db_host is None and options.db_port is None:
        return
    if options.dsn is not None:
        source, text = "--dsn", options.dsn
    elif environ.get("LUNA_DB_DSN"):
        source, text = "LUNA_DB_DSN", environ["LUNA_DB_DSN"]
    else:
        return
    hosts = parse_dsn(text).hosts
    if not hosts:
        return
    # What the DSN states wins. An option that silently loses is a
    # runbook bug waiting to happen, so say so instead of ignoring it.
    if options.db_host is not None:
        raise BadInput(
            f"--db-host {options.db_host} contradicts the hosts of {source} (the DSN's hosts win): "
            f"give the hosts in one place"
        )
    if all(host.port is not None for host in hosts):
        raise BadInput(
            f"--db-port {options.db_port} does nothing: every host of {source} names its port "
            f"(the DSN's ports win)"
        )


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
