"""`luna-db lint FILE...`: SQL files (or `-`, standard input) through the lint engine of analysis/sql/lint.py."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterable

from ..analysis.sql.lint import LintReport, accepted_in, lint_sql
from ..analysis.sql.sqltext import DIALECTS
from ..errors import BadInput


def lint_files(paths: Iterable[str], dialect: str = "postgresql", *, squawk: bool = True) -> LintReport:
    """`luna-db lint FILE...`: each file (or `-`, standard input) with its own accept comments."""
    if dialect not in DIALECTS:
        raise BadInput(f"unknown dialect {dialect!r}: choose {' or '.join(DIALECTS)}")
    report = LintReport(dialect)
    for path in paths:
        if path == "-":
            text, source = sys.stdin.read(), "<stdin>"
        else:
            try:
                text, source = Path(path).read_text(encoding="utf-8"), path
            except (OSError, UnicodeDecodeError) as error:
                raise BadInput(f"cannot read {path}: {getattr(error, 'strerror', None) or error}") from None
        report.files.append(source)
        report.findings += lint_sql(text, dialect, source, accepted_in(text), squawk=squawk)
    return report
