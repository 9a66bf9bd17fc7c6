"""Hand-written migration statements for the lint: hazardous ones (each with the rule
luna-db must raise) and safe ones (nothing may be raised). Read by tests/test_lint.py
and by bench/lint_vs_squawk.py, which compares squawk alone with luna-db lint on them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).parent
HAZARDOUS = HERE / "postgresql_hazardous.sql"
SAFE = HERE / "postgresql_safe.sql"
ORACLE_HAZARDOUS = HERE / "oracle_hazardous.sql"
ORACLE_SAFE = HERE / "oracle_safe.sql"


@dataclass(frozen=True)
class Case:
    name: str
    expect: str | None  # the rule luna-db must raise; None for a safe case
    sql: str


def read_cases(path: Path) -> list[Case]:
    """The cases of a corpus file: each starts at `-- case: NAME [expect: RULE]`."""
    parts = re.split(r"^-- case: (.*)$", path.read_text(encoding="utf-8"), flags=re.M)
    cases = []
    for head, body in zip(parts[1::2], parts[2::2]):
        name, _, expect = head.partition(" expect: ")
        cases.append(Case(name.strip(), expect.strip() or None, body))
    return cases
