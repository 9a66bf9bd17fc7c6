"""Migration SQL split into statements, the way the server (or SQL*Plus) reads it.

A `;` ends a statement only outside string literals ('...', E'...', Oracle's
q'[...]'), quoted identifiers, comments and PostgreSQL dollar quoting
($$...$$, $tag$...$tag$); the regex split of the old checks cut a CHECK on
`name <> ';'` in two. Each statement keeps its line and offsets in the file
(for messages and to place squawk's findings), and a `code` form the rules
read: comments dropped, literal contents blanked (so a 'DROP TABLE x' inside
a string is no DROP TABLE), whitespace collapsed.

Oracle scripts are read as SQL*Plus reads them: a line holding only `/` ends
a statement, a PL/SQL block (BEGIN, DECLARE, CREATE ... PROCEDURE, ...) ends
only there, and client directives (SET, WHENEVER, PROMPT, ...) are no SQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DIALECTS = ("postgresql", "oracle")

# SQL*Plus and SQLcl commands that are client directives, not SQL statements.
SQLPLUS_DIRECTIVE = re.compile(
    r"(?:SET|WHENEVER|PROMPT|SPOOL|REM|REMARK|DEFINE|UNDEFINE|COLUMN|COL|TTITLE|BTITLE|SHOW|EXIT|QUIT|"
    r"CONNECT|CONN|DISCONNECT|PAUSE|ACCEPT|VARIABLE|VAR|PRINT|EXEC|EXECUTE|START|@@?)(?=\s|$|@|\w)",
    re.I,
)
# Statements whose body holds `;` of its own: in SQL*Plus they end at `/` only.
PLSQL_BLOCK = re.compile(
    r"(?:BEGIN|DECLARE|CREATE\s+(?:OR\s+REPLACE\s+)?(?:(?:NON)?EDITIONABLE\s+)?"
    r"(?:PROCEDURE|FUNCTION|PACKAGE|TRIGGER|TYPE\s+BODY|TYPE|LIBRARY))\b",
    re.I,
)
_DOLLAR_TAG = re.compile(r"\$(?:[A-Za-z_][A-Za-z_0-9]*)?\$")
_Q_CLOSERS = {"[": "]", "(": ")", "{": "}", "<": ">"}


@dataclass(frozen=True)
class Statement:
    text: str   # as written, without the terminator
    code: str   # what the rules read: no comments, literals blanked, one space between tokens
    line: int   # 1-based line of the statement's first token
    start: int  # offsets of the statement in the file
    end: int


def split_statements(sql: str, dialect: str = "postgresql") -> list[Statement]:
    """The statements of a script, in order; empty ones left out."""
    return list(_Scanner(sql, dialect).statements())


class _Scanner:
    def __init__(self, sql: str, dialect: str) -> None:
        if dialect not in DIALECTS:
            raise ValueError(f"unknown dialect {dialect!r}")
        self.sql, self.oracle = sql, dialect == "oracle"

    def statements(self):
        n = len(self.sql)
        i = 0
        start = None      # offset of the current statement's first token
        code: list[str] = []
        while i < n:
            if start is None and (skipped := self._skip_between(i)) != i:
                i = skipped
                continue
            if (comment_end := self._comment_end(i)) is not None:
                i = comment_end
                code.append(" ")
                continue
            if start is None:
                start = i
            if self._ends_statement(i, start):
                yield self._statement(start, i, code)
                start, code = None, []
                i += 1
                continue
            i = self._token(i, code)
        if start is not None and "".join(code).strip():
            yield self._statement(start, n, code)

    def _skip_between(self, i: int) -> int:
        """Past whitespace, and past a SQL*Plus `/` or directive line, between statements."""
        sql = self.sql
        if sql[i].isspace():
            return i + 1
        if self.oracle and _only_space_before(sql, i):
            end = sql.find("\n", i)
            line_end = len(sql) if end < 0 else end
            line = sql[i:line_end].strip()
            if line == "/" or SQLPLUS_DIRECTIVE.match(line):
                return line_end
        return i

    def _comment_end(self, i: int) -> int | None:
        """Where a comment starting at `i` ends; None when none starts there."""
        sql = self.sql
        if sql.startswith("--", i):
            end = sql.find("\n", i)
            return len(sql) if end < 0 else end
        if sql.startswith("/*", i):
            return self._skip_block_comment(i)
        return None

    def _ends_statement(self, i: int, start: int) -> bool:
        """A `;` (not inside an Oracle PL/SQL block) or, in SQL*Plus, a `/` alone on its line."""
        c = self.sql[i]
        if self.oracle and c == "/" and _alone_on_line(self.sql, i):
            return True
        return c == ";" and not (self.oracle and PLSQL_BLOCK.match(self.sql, start))

    def _token(self, i: int, code: list[str]) -> int:
        """Consume one literal, quoted identifier or character at `i`; append its code form."""
        sql = self.sql
        c = sql[i]
        if c == "'":
            end = self._skip_quoted(i, "'", backslash=self._escape_string(i))
            code.append("''")
            return end
        if self.oracle and c in "qQ" and sql.startswith("'", i + 1) and i + 2 < len(sql) and not _word_char(sql, i - 1):
            closer = _Q_CLOSERS.get(sql[i + 2], sql[i + 2])
            end = sql.find(closer + "'", i + 3)
            code.append("''")
            return len(sql) if end < 0 else end + 2
        if c == '"':
            end = self._skip_quoted(i, '"', backslash=False)
            code.append(sql[i:end])
            return end
        if c == "$" and not self.oracle and not _word_char(sql, i - 1):
            tag = _DOLLAR_TAG.match(sql, i)
            if tag:
                end = sql.find(tag.group(), tag.end())
                code.append("$$''$$")
                return len(sql) if end < 0 else end + len(tag.group())
        code.append(" " if c.isspace() else c)
        return i + 1

    def _escape_string(self, i: int) -> bool:
        """E'...' strings take backslash escapes (PostgreSQL)."""
        return not self.oracle and i > 0 and self.sql[i - 1] in "eE" and not _word_char(self.sql, i - 2)

    def _skip_quoted(self, i: int, quote: str, backslash: bool) -> int:
        sql, j = self.sql, i + 1
        while j < len(sql):
            if backslash and sql[j] == "\\":
                j += 2
                continue
            if sql[j] == quote:
                if sql.startswith(quote, j + 1):  # a doubled quote stands for itself
                    j += 2
                    continue
                return j + 1
            j += 1
        return len(sql)

    def _skip_block_comment(self, i: int) -> int:
        """PostgreSQL block comments nest; Oracle's do not."""
        sql, depth, j = self.sql, 1, i + 2
        while j < len(sql) and depth:
            if sql.startswith("*/", j):
                depth, j = depth - 1, j + 2
            elif not self.oracle and sql.startswith("/*", j):
                depth, j = depth + 1, j + 2
            else:
                j += 1
        return j

    def _statement(self, start: int, end: int, code: list[str]) -> Statement:
        text = self.sql[start:end].strip()
        return Statement(
            text=text,
            code=" ".join("".join(code).split()),
            line=self.sql.count("\n", 0, start) + 1,
            start=start,
            end=end,
        )


def _word_char(sql: str, i: int) -> bool:
    return i >= 0 and (sql[i].isalnum() or sql[i] in "_$")


def _only_space_before(sql: str, i: int) -> bool:
    line_start = sql.rfind("\n", 0, i) + 1
    return not sql[line_start:i].strip()


def _alone_on_line(sql: str, i: int) -> bool:
    line_end = sql.find("\n", i)
    line_end = len(sql) if line_end < 0 else line_end
    return _only_space_before(sql, i) and not sql[i + 1:line_end].strip()


# --- names and clauses in a statement's `code` -------------------------------------------

#: One identifier, quoted or not, and a schema-qualified name.
NAME = r'(?:"(?:[^"]|"")+"|[\w$#]+)'
QNAME = rf"{NAME}(?:\s*\.\s*{NAME})*"

def bare(name: str) -> str:
    """The object's own name: no schema, no quotes; unquoted names fold to lower case."""
    last = re.findall(NAME, name)[-1]
    return last[1:-1].replace('""', '"') if last.startswith('"') else last.lower()


def top_level_parts(code: str, separator: str = ",") -> list[str]:
    """`code` split at separators outside parentheses (the actions of one ALTER TABLE)."""
    parts, depth, current = [], 0, []
    for token in re.split(r'("(?:[^"]|"")*")', code):
        if token.startswith('"'):
            current.append(token)
            continue
        for char in token:
            depth += char == "("
            depth -= char == ")"
            if char == separator and depth == 0:
                parts.append("".join(current).strip())
                current = []
            else:
                current.append(char)
    parts.append("".join(current).strip())
    return [part for part in parts if part]


def has_word(code: str, *words: str) -> bool:
    """Whether the words occur in this order, next to each other, outside quoted names."""
    unquoted = re.sub(r'"(?:[^"]|"")*"', '""', code)
    return re.search(r"\b" + r"\s+".join(map(re.escape, words)) + r"\b", unquoted, re.I) is not None


def outside_parentheses(code: str) -> str:
    """`code` with every parenthesised part emptied: a WHERE inside a subquery is not the statement's."""
    kept, depth = [], 0
    for token in re.split(r'("(?:[^"]|"")*")', code):
        if token.startswith('"'):
            kept.append(token if depth == 0 else "")
            continue
        for char in token:
            if char == "(":
                depth += 1
                kept.append("(" if depth == 1 else "")
            elif char == ")":
                depth = max(depth - 1, 0)
                kept.append(")" if depth == 0 else "")
            elif depth == 0:
                kept.append(char)
    return "".join(kept)
