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

from sqlalchemy import event

from ..db.connect import oracle_error_code

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
    re.compile(r"COMMIT$"),  # the script's closing COMMIT
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


def tolerate_already_done(connection, report: Callable[[str], None]) -> Callable[[], None]:
    """Make `connection` step over statements that fail because a first run did them (Oracle).

    Oracle undoes only the failed statement, not the session's earlier work,
    so going on after such an error is sound there; this is Oracle-only.
    Returns the function that stops it.
    """
    if connection.dialect.name != "oracle":
        raise ValueError("skipping failed statements is sound on Oracle only")
    return skip_statements_already_done(connection, already_done_codes, oracle_error_code, report)


def skip_statements_already_done(
    connection,
    codes_for: Callable[[str], frozenset],
    code_of: Callable[[BaseException], object],
    report: Callable[[str], None],
) -> Callable[[], None]:
    """Run each statement once ahead of SQLAlchemy, through the public `before_cursor_execute` hook.

    A statement that succeeds, or fails with one of `codes_for(statement)`
    (`code_of` reads the driver error's code), is replaced by a no-op for
    SQLAlchemy to run; any other failure lets SQLAlchemy run the statement
    itself, so that the error surfaces through its usual path. Returns the
    function that removes the hook.
    """

    no_op = "SELECT 1 FROM DUAL" if connection.dialect.name == "oracle" else "SELECT 1"

    def run_unless_done(conn, cursor, statement, parameters, context, executemany):
        codes = codes_for(statement)
        if executemany or not codes:
            return statement, parameters
        try:
            cursor.execute(statement, parameters) if parameters else cursor.execute(statement)
        except Exception as error:  # the driver's own error class
            if code_of(error) not in codes:
                return statement, parameters
            report(f"already done, skipped: {_one_line(statement)} ({_code_label(code_of(error))})")
        return no_op, {} if isinstance(parameters, dict) else ()

    event.listen(connection, "before_cursor_execute", run_unless_done, retval=True)
    return lambda: event.remove(connection, "before_cursor_execute", run_unless_done)


def _code_label(code) -> str:
    return f"ORA-{code:05d}" if isinstance(code, int) else str(code)


def _normalised(statement: str) -> str:
    return " ".join(statement.split()).upper()


def _one_line(statement: str) -> str:
    return " ".join(statement.split())[:120]
