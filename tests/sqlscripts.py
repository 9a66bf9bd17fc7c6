"""The offline scripts of both schemas, rendered and read back statement by statement."""

from __future__ import annotations

import functools
import re

from luna_db_tools import __version__
from luna_db_tools.runtime import offline

SCHEMAS = ["streams", "backport3"]
DIALECTS = ["postgres", "oracle"]
KINDS = ["create", "upgrade", "downgrade"]


def render(schema: str, db_type: str, kind: str, oracle_version: tuple[int, int] | None = None) -> str:
    """The script `luna-db KIND --sql` prints: create, upgrade base->head, downgrade head->base
    (Oracle's for `oracle_version`, by default the oldest release the schema supports)."""
    if kind == "create":
        return offline.create_sql(schema, db_type, oracle_version=oracle_version)
    if kind == "upgrade":
        return offline.migration_sql(schema, db_type, "head", "upgrade", oracle_version=oracle_version)
    return offline.migration_sql(schema, db_type, "base", "downgrade", oracle_version=oracle_version)


def statements(script: str, db_type: str) -> list[str]:
    """Split a script into its statements, dropping comments and client commands."""
    lines = [
        line for line in script.splitlines()
        if not line.startswith("--") and not re.match(r"^(WHENEVER|SET DEFINE)\b", line)
    ]
    text = "\n".join(lines)
    parts = re.split(r"^/$", text, flags=re.M) if db_type == "oracle" else text.split(";\n")
    return [part.strip() for part in parts if part.strip()]


SQLPLUS_DIRECTIVE = re.compile(r"^\s*(?:WHENEVER|SET|PROMPT|SPOOL|REM|REMARK|EXIT|DEFINE)\b", re.I)


def as_plain_sql(script: str) -> str:
    """An Oracle SQL*Plus script as plain SQL for a grammar that knows no client commands:
    directives (WHENEVER, SET, PROMPT, ...) dropped, each `/` line turned into the `;`
    that ends a SQL statement (a PL/SQL block already ends with its own `END;`)."""
    lines: list[str] = []
    for line in script.splitlines():
        if SQLPLUS_DIRECTIVE.match(line):
            continue
        if line.strip() == "/":
            code = [kept for kept in lines if kept.strip() and not kept.lstrip().startswith("--")]
            if not (code and code[-1].rstrip().endswith(";")):
                lines.append(";")
            continue
        lines.append(line)
    return "\n".join(lines) + "\n"


def without_version(script: str) -> str:
    """The script with luna-db's version taken out of its header (snapshots outlive releases)."""
    return script.replace(f"-- luna-db {__version__}:", "-- luna-db VERSION:", 1)


@functools.cache
def _sqlfluff():
    from sqlfluff.core import FluffConfig, Linter

    return Linter(config=FluffConfig(overrides={"dialect": "oracle"}))


@functools.cache
def sqlfluff_parse(sql: str):
    """sqlfluff's Oracle parse tree and the parts it could not read (cached: one parse per script)."""
    parsed = _sqlfluff().parse_string(sql)
    unreadable = [segment.raw for segment in parsed.tree.recursive_crawl("unparsable")] if parsed.tree else [sql]
    return parsed, unreadable + [str(violation) for violation in parsed.violations]
