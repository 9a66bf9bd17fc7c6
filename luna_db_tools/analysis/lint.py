"""The online-safety lint of migration SQL: squawk plus luna-db's own rules.

PostgreSQL: squawk parses the script and reports what it knows (its pure
style rules excluded, see squawk.EXCLUDED_RULES); luna-db's rules
(pg_rules) report what squawk is silent on and are kept quiet where squawk
already said the same of the same statement. luna-db also corrects squawk
where the script itself shows it wrong: a table created earlier in the script
(or by the revision's upgrade, for its downgrade) has no rows and no reader;
a default such as timezone('utc', now()) is evaluated once; renaming an
index or a constraint renames nothing a query reads.

Oracle: luna-db's rules alone (oracle_rules).

A revision (or a SQL file) accepts a finding with a marked comment that says why:

    # luna-db check: accept ban-drop-column account.password -- moved out in 0.4.0
    -- luna-db lint: accept ban-truncate staging -- emptied on purpose

The old kinds of `luna-db check` (drop-column, index-not-concurrent, ...) are
still understood: ACCEPT_ALIASES maps them to the rule names.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Iterable

from ..errors import EXIT_FAILED, EXIT_OK, BadInput
from .oracle_rules import oracle_hits
from .pg_rules import added_column_definition, default_is_stable, pg_hits, target_table
from .rule import Hit, ScriptState
from .sqltext import DIALECTS, NAME, QNAME, Statement, bare, split_statements
from .txn_rules import TransactionWatch

ENGINES = ("squawk", "luna-db")

#: The kinds of the old regex lint, as accept comments still name them.
ACCEPT_ALIASES = {
    "index-not-concurrent": "require-concurrent-index-creation",
    "not-null-without-default": "adding-required-field",
    "drop-column": "ban-drop-column",
    "drop-table": "ban-drop-table",
    "constraint-not-valid": "constraint-missing-not-valid",
    "type-change-rewrite": "changing-column-type",
}
#: luna-db rules and the squawk rules that report the same hazard (one finding is enough).
SAME_HAZARD = {
    "adding-serial-field": {"adding-field-with-default", "adding-serial-primary-key-field"},
    "adding-primary-key-constraint": {"adding-serial-primary-key-field"},
    "adding-foreign-key-constraint": {"constraint-missing-not-valid"},
    "disallowed-unique-constraint": {"constraint-missing-not-valid"},
    "adding-exclusion-constraint": {"constraint-missing-not-valid"},
    "validate-constraint-in-transaction": {"constraint-missing-not-valid"},
    "ban-truncate": {"ban-truncate-cascade"},
}
# squawk rules about the script itself, not about a table it touches.
_SCRIPT_RULES = {"syntax-error", "ban-concurrent-index-creation-in-transaction", "transaction-nesting",
                 "ban-uncommitted-transaction", "identifier-too-long"}
_ACCEPT = re.compile(
    r"(?:#|--)\s*luna-db (?:check|lint):\s*accept\s+(?P<kind>[\w-]+)(?:\s+(?P<object>[\w.\"$#]+))?\s+--\s*(?P<reason>\S.*)"
)


@dataclass(frozen=True)
class LintFinding:
    rule: str
    message: str
    source: str       # the file, "<stdin>", or "REVISION upgrade|downgrade"
    line: int         # 1-based line of the statement in its source
    statement: str
    engine: str       # "squawk" or "luna-db"
    object: str | None = None      # table, table.column or table.index, for accept comments
    accepted: str | None = None    # the reason, when an accept comment covers the finding

    def as_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        text = f"{self.source}:{self.line}: {self.rule}: {self.message}"
        return f"{text} (accepted: {self.accepted})" if self.accepted else text


@dataclass(frozen=True)
class Accepted:
    rule: str              # a rule name (old kinds already mapped)
    object: str | None     # None accepts the rule for every object
    reason: str
    line: int

    def covers(self, finding: LintFinding) -> bool:
        family = {self.rule} | SAME_HAZARD.get(self.rule, set()) | {r for r, same in SAME_HAZARD.items() if self.rule in same}
        if finding.rule not in family:
            return False
        return self.object is None or (finding.object or "").lower() == bare_object(self.object)


@dataclass
class LintReport:
    dialect: str
    files: list[str] = field(default_factory=list)
    findings: list[LintFinding] = field(default_factory=list)

    @property
    def failures(self) -> list[LintFinding]:
        return [f for f in self.findings if not f.accepted]

    @property
    def exit_code(self) -> int:
        """1 when a finding is not accepted, else 0 (bad input raised BadInput before)."""
        return EXIT_FAILED if self.failures else EXIT_OK

    def as_dict(self) -> dict:
        return {
            "dialect": self.dialect,
            "files": self.files,
            "ok": not self.failures,
            "findings": [f.as_dict() for f in self.findings],
        }


def bare_object(text: str) -> str:
    return ".".join(bare(part) for part in re.findall(NAME, text)[-2:])


def accepted_in(text: str) -> list[Accepted]:
    """The accept comments of a revision file's or SQL file's text."""
    return [
        Accepted(ACCEPT_ALIASES.get(m["kind"], m["kind"]), m["object"], m["reason"].strip(), text.count("\n", 0, m.start()) + 1)
        for m in _ACCEPT.finditer(text)
    ]


def accepted_rules(path: str | Path) -> list[Accepted]:
    """The accept comments of a file (a revision's .py or a .sql)."""
    return accepted_in(Path(path).read_text(encoding="utf-8"))


def lint_sql(
    sql: str,
    dialect: str = "postgresql",
    source: str = "<stdin>",
    accepted: Iterable[Accepted] = (),
    *,
    squawk: bool = True,
) -> list[LintFinding]:
    """The findings of one script, in order; accepted ones carry their reason.

    `squawk=False` runs luna-db's rules alone (for tests and the comparison in bench/).
    """
    return _lint(sql, dialect, source, accepted, ScriptState(), squawk=squawk)[0]


def lint_revision(
    revision: str, upgrade_sql: str, downgrade_sql: str, accepted: Iterable[Accepted] = (),
    *, dialect: str = "postgresql", squawk: bool = True,
) -> list[LintFinding]:
    """A revision's upgrade and downgrade (the offline SQL Alembic renders for `BELOW:REV` and `REV:BELOW`).

    The downgrade may take away what the upgrade created (its tables, columns,
    views) without a finding; locking a table that existed before is flagged
    in either direction. Sources read "REV upgrade" and "REV downgrade".
    """
    accepted = list(accepted)
    # The revision pattern (txn_rules) is judged here only: it is about how a revision is built.
    up, state = _lint(upgrade_sql, dialect, f"{revision} upgrade", accepted, ScriptState(), squawk=squawk, pattern=True)
    down, _ = _lint(downgrade_sql, dialect, f"{revision} downgrade", accepted, state.seeded(), squawk=squawk, pattern=True)
    return up + down


def _lint(sql, dialect, source, accepted, state: ScriptState, *, squawk: bool, pattern: bool = False):
    if dialect not in DIALECTS:
        raise BadInput(f"unknown dialect {dialect!r}: choose {' or '.join(DIALECTS)}")
    statements = split_statements(sql, dialect)
    rules = pg_hits if dialect == "postgresql" else oracle_hits
    own: list[list[Hit]] = []
    keep_squawk: list = []
    watch = TransactionWatch() if pattern and dialect == "postgresql" else None
    for number, statement in enumerate(statements):
        if dialect == "postgresql":
            keep_squawk.append(_squawk_filter(statement, state, statements[number + 1:]))
        across = watch.feed(statement, state) if watch is not None else []  # state as before the statement
        own.append(rules(statement, state) + across)

    from_squawk: list[list[tuple[str, str]]] = [[] for _ in statements]
    if squawk and dialect == "postgresql" and statements:
        from .squawk import run_squawk

        starts = [s.start for s in statements]
        line_offsets = [0] + [m.end() for m in re.finditer("\n", sql)]
        for hit in run_squawk(sql, source):
            offset = line_offsets[min(hit.line, len(line_offsets)) - 1] + hit.column
            number = max((i for i, start in enumerate(starts) if start <= offset), default=0)
            if keep_squawk[number](hit.rule):
                from_squawk[number].append((hit.rule, hit.message))

    findings = []
    for statement, hits, squawked in zip(statements, own, from_squawk):
        said = {rule for rule, _ in squawked}
        obj = hits[0].object if hits else None
        for rule, message in dict.fromkeys(squawked):
            findings.append(LintFinding(rule, message, source, statement.line, statement.text, "squawk",
                                        _object_for(rule, hits, obj, statement, state)))
        for hit in hits:
            if hit.rule in said or SAME_HAZARD.get(hit.rule, set()) & said:
                continue
            findings.append(LintFinding(hit.rule, hit.message, source, statement.line, statement.text, "luna-db", hit.object))
    accepted = list(accepted)
    findings = [_with_acceptance(f, accepted) for f in findings]
    return findings, state


def _object_for(rule: str, hits: list[Hit], fallback: str | None, statement: Statement, state: ScriptState) -> str | None:
    for hit in hits:
        if hit.rule == rule or rule in SAME_HAZARD.get(hit.rule, set()):
            return hit.object
    return fallback or target_table(statement.code, state)


def _with_acceptance(finding: LintFinding, accepted: list[Accepted]) -> LintFinding:
    for accept in accepted:
        if accept.covers(finding):
            return replace(finding, accepted=accept.reason)
    return finding


_RENAME_UNREAD = re.compile(rf"^(?:ALTER TABLE .* RENAME CONSTRAINT |ALTER INDEX (?:IF EXISTS )?{QNAME} RENAME TO )", re.I)
_DROP_DEFAULT = re.compile(rf"^ALTER TABLE (?:IF EXISTS )?(?:ONLY )?(?P<table>{QNAME}) ALTER (?:COLUMN )?(?P<column>{NAME}) DROP DEFAULT$", re.I)
_DROP_VIEW = re.compile(rf"^DROP (?:MATERIALIZED )?VIEW (?:IF EXISTS )?(?P<view>{QNAME})", re.I)
_CREATE_VIEW = re.compile(rf"^CREATE (?:OR REPLACE )?(?:MATERIALIZED )?VIEW (?:IF NOT EXISTS )?(?P<view>{QNAME})", re.I)
_DROP_COLUMN = re.compile(rf"^ALTER TABLE (?:IF EXISTS )?(?:ONLY )?(?P<table>{QNAME}) DROP (?:COLUMN )?(?:IF EXISTS )?(?P<column>{NAME})", re.I)


def _squawk_filter(statement: Statement, state: ScriptState, later: list[Statement]):
    """Which of squawk's rules stand for this statement, judged before it runs (state as it was)."""
    code = statement.code
    table = target_table(code, state)
    new_table = state.created(table)
    definition = added_column_definition(code)
    drop_default = _DROP_DEFAULT.match(code)
    drop_view = _DROP_VIEW.match(code)
    drop_column = _DROP_COLUMN.match(code)

    def keep(rule: str) -> bool:
        if new_table and rule not in _SCRIPT_RULES:
            return False
        if rule == "renaming-object" and _RENAME_UNREAD.match(code):
            return False
        if rule == "adding-field-with-default" and definition is not None and default_is_stable(definition):
            return False
        if rule == "ban-drop-default" and drop_default \
                and f"{bare(drop_default['table'])}.{bare(drop_default['column'])}" in state.columns:
            return False
        if rule == "ban-drop-column" and drop_column \
                and f"{bare(drop_column['table'])}.{bare(drop_column['column'])}" in state.columns:
            return False
        if rule == "ban-drop-view" and drop_view:
            view = bare(drop_view["view"])
            recreated = any((m := _CREATE_VIEW.match(s.code)) and bare(m["view"]) == view for s in later)
            return not (view in state.views or recreated)
        return True

    return keep
