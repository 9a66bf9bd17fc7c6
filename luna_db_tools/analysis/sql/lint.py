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
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable, Mapping

from ...errors import EXIT_FAILED, EXIT_OK, BadInput
from ..findings import NOT_A_HAZARD, Finding
from . import shapes as sh
from .classify import Classified, classify
from .oracle_rules import oracle_findings
from .pg_rules import added_column_definition, pg_findings, target_table
from .rule import ScriptState
from .sqltext import DIALECTS, NAME, bare, split_statements
from .txn_rules import TransactionWatch
from .type_change import Verdict, type_changes

#: The rule whose verdict depends on the column's current type (analysis/sql/type_change).
TYPE_CHANGE = "changing-column-type"

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
class Accepted:
    rule: str              # a rule name (old kinds already mapped)
    object: str | None     # None accepts the rule for every object
    reason: str
    line: int

    def covers(self, finding: Finding) -> bool:
        family = {self.rule} | SAME_HAZARD.get(self.rule, set()) | {r for r, same in SAME_HAZARD.items() if self.rule in same}
        if finding.rule not in family:
            return False
        return self.object is None or (finding.object or "").lower() == bare_object(self.object)


@dataclass
class LintReport:
    dialect: str
    files: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def failures(self) -> list[Finding]:
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
    column_types: Mapping[str, str] | None = None,
) -> list[Finding]:
    """The findings of one script, in order; accepted ones carry their reason.

    `squawk=False` runs luna-db's rules alone (for tests and the comparison in bench/).
    `column_types` ("table.column" -> type, as format_type prints it) is the schema the
    script runs on: a type change it shows catalog-only (a varchar widened) is accepted
    as "not a hazard: ..."; without it, or for a column it lacks, a type change is a hazard.
    """
    state = ScriptState(column_types=dict(column_types or {}))
    return _lint(sql, dialect, source, accepted, state, squawk=squawk)[0]


def lint_revision(
    revision: str, upgrade_sql: str, downgrade_sql: str, accepted: Iterable[Accepted] = (),
    *, dialect: str = "postgresql", squawk: bool = True, squawk_found: Mapping[str, list] | None = None,
    column_types: Mapping[str, str] | None = None, column_types_after: Mapping[str, str] | None = None,
) -> list[Finding]:
    """A revision's upgrade and downgrade (the offline SQL Alembic renders for `BELOW:REV` and `REV:BELOW`).

    The downgrade may take away what the upgrade created (its tables, columns,
    views) without a finding; locking a table that existed before is flagged
    in either direction. Sources read "REV upgrade" and "REV downgrade".
    The upgrade's type changes are judged against `column_types` (the schema
    of the revision below), the downgrade's against `column_types_after` (the
    revision's own; default: the upgrade's types as its statements left them).
    `squawk_found`: squawk's hits by source, already run (squawk_revisions).
    """
    accepted = list(accepted)
    before = ScriptState(column_types=dict(column_types or {}))
    # The revision pattern (txn_rules) is judged here only: it is about how a revision is built.
    up, state = _lint(upgrade_sql, dialect, f"{revision} upgrade", accepted, before, squawk=squawk, pattern=True,
                      squawk_found=squawk_found)
    after = state.seeded(None if column_types_after is None else dict(column_types_after))
    down, _ = _lint(downgrade_sql, dialect, f"{revision} downgrade", accepted, after, squawk=squawk, pattern=True,
                    squawk_found=squawk_found)
    return up + down


def squawk_revisions(revisions: Iterable[tuple[str, str, str]]) -> dict[str, list]:
    """squawk's hits on each (revision, upgrade SQL, downgrade SQL), by source ("REV upgrade", "REV downgrade"),
    from one squawk process: lint_revision's `squawk_found`."""
    from .squawk import run_squawk_many

    return run_squawk_many({f"{revision} {direction}": sql for revision, up, down in revisions
                            for direction, sql in (("upgrade", up), ("downgrade", down))}, _squawk_version())


def _lint(sql, dialect, source, accepted, state: ScriptState, *, squawk: bool, pattern: bool = False, squawk_found=None):
    if dialect not in DIALECTS:
        raise BadInput(f"unknown dialect {dialect!r}: choose {' or '.join(DIALECTS)}")
    statements = [classify(statement, dialect) for statement in split_statements(sql, dialect)]
    postgresql = dialect == "postgresql"
    rules = pg_findings if postgresql else oracle_findings
    watch = TransactionWatch() if pattern and postgresql else None
    own: list[list[Finding]] = []
    keep_squawk: list = []
    verdicts: list[dict[str, Verdict]] = []
    for number, c in enumerate(statements):
        if postgresql:
            keep_squawk.append(_squawk_filter(c, state, statements[number + 1:]))
        verdicts.append(type_changes(c, state.column_types) if postgresql else {})
        across = watch.feed(c, state) if watch is not None else []  # state as before the statement
        own.append(rules(c, state) + across)
    from_squawk = _squawk_hits(sql, source, statements, keep_squawk, squawk_found) if squawk and postgresql and statements \
        else [[] for _ in statements]
    findings = []
    for c, found, squawked, judged in zip(statements, own, from_squawk, verdicts):
        findings += [_judged(f, judged) for f in _merged(c, found, squawked, state, source)]
    accepted = list(accepted)
    return [f if f.accepted else _with_acceptance(f, accepted) for f in findings], state


def _squawk_version() -> str:
    """squawk judges for the oldest major luna-db supports: what is safe there is safe on all."""
    from ...db.server_version import OLDEST_POSTGRESQL

    return f"{OLDEST_POSTGRESQL}.0"


def _squawk_hits(sql: str, source: str, statements: list[Classified], keep_squawk, found=None) -> list[list[tuple[str, str]]]:
    """squawk's (rule, message) pairs, placed on the statement each falls in, those that stand kept.

    `found`: squawk's hits by source, already run; else squawk runs on `sql` now.
    """
    from .squawk import run_squawk

    placed: list[list[tuple[str, str]]] = [[] for _ in statements]
    starts = [c.statement.start for c in statements]
    line_offsets = [0] + [m.end() for m in re.finditer("\n", sql)]
    hits = found[source] if found is not None else run_squawk(sql, source, pg_version=_squawk_version())
    for hit in hits:
        offset = line_offsets[min(hit.line, len(line_offsets)) - 1] + hit.column
        number = max((i for i, start in enumerate(starts) if start <= offset), default=0)
        if keep_squawk[number](hit.rule):
            placed[number].append((hit.rule, hit.message_with_fix))
    return placed


def _merged(c: Classified, found: list[Finding], squawked, state: ScriptState, source: str) -> list[Finding]:
    """squawk's findings on one statement, then luna-db's own that squawk did not already report."""
    said = {rule for rule, _ in squawked}
    obj = found[0].object if found else None
    statement = c.statement
    merged = [Finding(rule, object=_object_for(rule, found, obj, c, state), message=message, source=source,
                      line=statement.line, statement=statement.text, engine="squawk")
              for rule, message in dict.fromkeys(squawked)]
    merged += [replace(f, source=source) for f in found
               if f.rule not in said and not SAME_HAZARD.get(f.rule, set()) & said]
    return merged


def _object_for(rule: str, found: list[Finding], fallback: str | None, c: Classified, state: ScriptState) -> str | None:
    for finding in found:
        if finding.rule == rule or rule in SAME_HAZARD.get(finding.rule, set()):
            return finding.object
    return fallback or target_table(c, state)


def _judged(finding: Finding, verdicts: dict[str, Verdict]) -> Finding:
    """A type change judged against the schema: accepted as not a hazard when catalog-only, else
    the verdict said (narrows, a different type, an unknown type).

    squawk reports one finding for a statement: it stands unless every type change of it is catalog-only.
    """
    if finding.rule != TYPE_CHANGE or not verdicts:
        return finding
    judged = [verdicts[finding.object]] if finding.engine != "squawk" and finding.object in verdicts \
        else list(verdicts.values())
    hazards = [v for v in judged if v.hazard]
    if not hazards:
        return replace(finding, accepted=NOT_A_HAZARD + "; ".join(v.reason for v in judged))
    column = hazards[0].column if finding.engine == "squawk" else finding.object
    # The verdict goes with the problem, before the fix the message ends with.
    problem, fix = finding.message.rsplit("; ", 1) if "; " in finding.message else (finding.message, "")
    verdict = f"{problem} ({', '.join(v.reason for v in hazards)})"
    return replace(finding, object=column, message=f"{verdict}; {fix}" if fix else verdict)


def _with_acceptance(finding: Finding, accepted: list[Accepted]) -> Finding:
    for accept in accepted:
        if accept.covers(finding):
            return replace(finding, accepted=accept.reason)
    return finding


def _squawk_filter(c: Classified, state: ScriptState, later: list[Classified]):
    """Which of squawk's rules stand for this statement, judged before it runs (state as it was)."""
    new_table = state.created(target_table(c, state))
    corrections = {
        "renaming-object": lambda: _renames_nothing_read(c),
        "adding-field-with-default": lambda: (definition := added_column_definition(c)) is not None
        and sh.default_is_stable(definition),
        "ban-drop-default": lambda: _only_action(c, sh.ALTER_COLUMN, state, sh.DROP_DEFAULT),
        "ban-drop-column": lambda: _first_action(c, sh.DROP_COLUMN, state),
        "ban-drop-view": lambda: c.kind == sh.DROP_VIEW and _view_of_script(c, state, later),
    }

    def keep(rule: str) -> bool:
        if new_table and rule not in _SCRIPT_RULES:
            return False
        wrong = corrections.get(rule)
        return not (wrong and wrong())

    return keep


def _renames_nothing_read(c: Classified) -> bool:
    """Renaming an index or a constraint renames nothing a query reads."""
    return c.kind == sh.RENAME_INDEX or any(a.kind == sh.RENAME and a.match["constraint"] for a in c.actions)


def _only_action(c: Classified, kind: str, state: ScriptState, change: re.Pattern) -> bool:
    """A single ALTER COLUMN ... `change` of a column this script added."""
    if len(c.actions) != 1 or c.actions[0].kind != kind:
        return False
    m = c.actions[0].match
    return change.match(m["change"]) is not None and f"{c.table}.{bare(m['column'])}" in state.columns


def _first_action(c: Classified, kind: str, state: ScriptState) -> bool:
    """The first action drops a column this script added."""
    if not c.actions or c.actions[0].kind != kind:
        return False
    return f"{c.table}.{bare(c.actions[0].match['column'])}" in state.columns


def _view_of_script(c: Classified, state: ScriptState, later: list[Classified]) -> bool:
    """A view this script created, or one it creates again later."""
    view = bare(c.part("view"))
    return view in state.views or any(s.kind == sh.CREATE_VIEW and bare(s.part("view")) == view for s in later)
