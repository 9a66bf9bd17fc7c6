"""Completing a revision that Oracle left part-applied.

Oracle commits every DDL statement by itself, so a revision that fails or is
killed half-way leaves its first statements done and the version table
unchanged. Rerunning it must then step over what is already there. While
luna-db reruns a revision the audit trail shows as unfinished (and only
then), each statement that fails with the error Oracle gives for "this is
already done" (ORA-00955 for a CREATE of a name that exists, ORA-00942 for a
DROP of a table that is gone, ...) is skipped and reported; any other error
still fails the revision.

Statements that are safe to repeat as they stand (COMMENT ON, UPDATE,
DELETE, CREATE OR REPLACE VIEW, an INSERT guarded by NOT EXISTS) need no
rule. `is_rerunnable` tells whether a statement is covered either way; a
test holds every statement of every Oracle revision to it.
"""

from __future__ import annotations

import re
from typing import Callable

from .connection import oracle_error_code

# Statement shape -> the ORA- codes that mean "already done". Order matters:
# the first pattern that matches decides (ADD CONSTRAINT before ADD).
ALREADY_DONE: list[tuple[re.Pattern, frozenset[int]]] = [
    (re.compile(r"CREATE (UNIQUE )?INDEX\b"), frozenset({955, 1408})),  # name used; columns indexed
    (re.compile(r"CREATE (TABLE|VIEW|SEQUENCE)\b"), frozenset({955})),  # name already used
    (re.compile(r"DROP (TABLE|VIEW)\b"), frozenset({942})),  # table or view does not exist
    (re.compile(r"DROP INDEX\b"), frozenset({1418})),  # index does not exist
    (re.compile(r"DROP SEQUENCE\b"), frozenset({2289})),  # sequence does not exist
    # primary key exists; unique key exists; constraint name used; foreign key exists
    (re.compile(r"ALTER TABLE \S+ ADD CONSTRAINT\b"), frozenset({2260, 2261, 2264, 2275})),
    (re.compile(r"ALTER TABLE \S+ ADD\b"), frozenset({1430})),  # column already exists
    (re.compile(r"ALTER TABLE \S+ DROP CONSTRAINT\b"), frozenset({2443})),  # no such constraint
    (re.compile(r"ALTER TABLE \S+ DROP COLUMN\b"), frozenset({904})),  # no such column
    (re.compile(r"ALTER TABLE \S+ RENAME COLUMN\b"), frozenset({904, 957})),  # old gone; new exists
    (re.compile(r"ALTER TABLE \S+ RENAME CONSTRAINT\b"), frozenset({23292})),  # no such constraint
    (re.compile(r"ALTER INDEX \S+ RENAME TO\b"), frozenset({1418})),  # no such index
    # A single row (a primal row) whose key is already there: unique constraint violated.
    (re.compile(r"INSERT INTO \S+ \([^)]*\) VALUES\b"), frozenset({1})),
    # already NOT NULL; already NULL
    (re.compile(r"ALTER TABLE \S+ MODIFY\b.*\b(NOT )?NULL\s*$", re.S), frozenset({1442, 1451})),
]

# Safe to run twice as they stand.
REPEATABLE = [
    re.compile(r"COMMENT ON\b"),
    re.compile(r"(UPDATE|DELETE FROM)\b"),
    re.compile(r"CREATE OR REPLACE VIEW\b"),
    re.compile(r"INSERT INTO\b.*\bWHERE NOT EXISTS\b", re.S),
    re.compile(r"ALTER TABLE \S+ MODIFY \S+ DEFAULT\b"),  # setting a default again sets it again
]


def already_done_codes(statement: str) -> frozenset[int]:
    """The ORA- codes that mean `statement` has already been run; empty if none do."""
    text = _normalised(statement)
    for pattern, codes in ALREADY_DONE:
        if pattern.match(text):
            return codes
    return frozenset()


def is_rerunnable(statement: str) -> bool:
    """True when a second run of `statement` after a first one completes cleanly."""
    text = _normalised(statement)
    return bool(already_done_codes(text)) or any(pattern.match(text) for pattern in REPEATABLE)


def tolerate_already_done(impl, report: Callable[[str], None]) -> None:
    """Make an Alembic impl skip statements that fail because a first run did them.

    Oracle undoes only the failed statement, not the session's earlier work,
    so going on after such an error is sound there; this is Oracle-only.
    """
    if impl.dialect.name != "oracle":
        raise ValueError("skipping failed statements is sound on Oracle only")
    run = impl._exec

    def run_unless_done(construct, *args, **kwargs):
        from sqlalchemy.exc import DBAPIError

        try:
            return run(construct, *args, **kwargs)
        except DBAPIError as error:
            statement = _sql_of(construct, impl.dialect)
            if oracle_error_code(error) not in already_done_codes(statement):
                raise
            report(f"already done, skipped: {_first_line(statement)} (ORA-{oracle_error_code(error):05d})")
            return None

    impl._exec = run_unless_done


def _sql_of(construct, dialect) -> str:
    if isinstance(construct, str):
        return construct
    return str(construct.compile(dialect=dialect))


def _normalised(statement: str) -> str:
    return " ".join(statement.split()).upper()


def _first_line(statement: str) -> str:
    return " ".join(statement.split())[:120]
