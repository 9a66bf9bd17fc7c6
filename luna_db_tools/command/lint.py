"""`luna-db lint FILE...`: SQL files (or `-`, standard input) through the lint engine of analysis/sql/lint.py.

A type change is judged against the schema the file runs on: `--schema`, or
else the one schema whose head revision has every table the file names
(tables the file creates left out). Its column types are the head revision's
fingerprint, what the models build; a file whose tables belong to neither
schema, or to both, is linted without them (a type change is then a hazard,
its finding saying the type is unknown).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterable

from ..analysis.findings import Finding
from ..analysis.schema import fingerprint
from ..analysis.schema.catalog import Snapshot, column_types
from ..analysis.sql import shapes as sh
from ..analysis.sql.classify import classified
from ..analysis.sql.lint import LintReport, accepted_in, lint_sql
from ..analysis.sql.sqltext import DIALECTS
from ..config.settings import SCHEMA_NAMES
from ..errors import BadInput
from ..script.revisions import head_revision


def lint_files(paths: Iterable[str], dialect: str = "postgresql", *, squawk: bool = True,
               schema: str | None = None) -> LintReport:
    """`luna-db lint FILE...`: each file (or `-`, standard input) with its own accept comments.

    `schema` ("streams", "backport3"): the schema whose head the files' type changes are
    judged against; None: each file's own, found from the tables it names.
    """
    if dialect not in DIALECTS:
        raise BadInput(f"unknown dialect {dialect!r}: choose {' or '.join(DIALECTS)}")
    if schema is not None and schema not in SCHEMA_NAMES:
        raise BadInput(f"unknown schema {schema!r}: choose {' or '.join(SCHEMA_NAMES)}")
    report = LintReport(dialect)
    for path in paths:
        text, source = _read(path)
        report.files.append(source)
        report.findings += _lint_text(text, source, dialect, squawk, schema)
    return report


def _read(path: str) -> tuple[str, str]:
    if path == "-":
        return sys.stdin.read(), "<stdin>"
    try:
        return Path(path).read_text(encoding="utf-8"), path
    except (OSError, UnicodeDecodeError) as error:
        raise BadInput(f"cannot read {path}: {getattr(error, 'strerror', None) or error}") from None


def _lint_text(text: str, source: str, dialect: str, squawk: bool, schema: str | None) -> list[Finding]:
    types = None
    if dialect == "postgresql":
        heads = _head_snapshots()
        judged_by = schema or schema_of_tables(named_tables(text), heads)
        types = column_types(heads[judged_by]) if judged_by in heads else None
    return lint_sql(text, dialect, source, accepted_in(text), squawk=squawk, column_types=types)


def _head_snapshots() -> dict[str, Snapshot]:
    """Each schema's head fingerprint (what its models build), where the package ships one."""
    heads = {schema: fingerprint.load(schema, head_revision(schema)) for schema in SCHEMA_NAMES}
    return {schema: snapshot for schema, snapshot in heads.items() if snapshot is not None}


def named_tables(sql: str) -> set[str]:
    """The tables a script acts on that it does not create itself."""
    statements = list(classified(sql))
    created = {c.table for c in statements if c.kind == sh.CREATE_TABLE}
    return {table for c in statements for table in c.tables} - created


def schema_of_tables(tables: set[str], heads: dict[str, Snapshot]) -> str | None:
    """The one schema whose head has every table of `tables`; None when none or both do."""
    holding = [schema for schema, snapshot in heads.items() if tables and tables <= {t.name for t in snapshot.tables}]
    return holding[0] if len(holding) == 1 else None
