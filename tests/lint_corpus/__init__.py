"""Hand-written migration statements for the lint: hazardous ones (each with the rule
luna-db must raise) and safe ones (nothing may be raised). Read by tests/test_lint.py
and by bench/lint_vs_squawk.py, which compares squawk alone with luna-db lint on them.

The PostgreSQL cases run on the streams schema: a type change is judged against
its head's column types (`streams_types`), as `luna-db lint --schema streams` does."""

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


def streams_types() -> dict[str, str]:
    """The column types of the streams head (its shipped fingerprint), which the PostgreSQL cases run on."""
    from luna_db_tools.analysis.schema import fingerprint
    from luna_db_tools.analysis.schema.catalog import column_types
    from luna_db_tools.script.revisions import head_revision

    return column_types(fingerprint.load("streams", head_revision("streams")))
