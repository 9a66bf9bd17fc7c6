"""squawk alone against `luna-db lint`, on the hand-written corpus of tests/lint_corpus/.

    .venv/bin/python bench/lint_vs_squawk.py [--verbose]

Each case (one or a few statements) is linted on its own. A hazardous case is
caught when at least one finding is raised, a safe case is a false positive
when any is. "squawk alone" is squawk with its style rules excluded (the same
exclusions as luna-db's, squawk.EXCLUDED_RULES);
"luna-db lint" is squawk plus luna-db's own rules and its judgement of
squawk's findings, run as `luna-db lint --schema streams` runs (a type change
judged against the streams head's column types: a finding it judges not a
hazard does not count). Also times both per case.

The corpus was written by the same hands as the rules: read the figures as a
regression check, not as an independent measurement.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from luna_db_tools.analysis.sql.lint import lint_sql  # noqa: E402
from luna_db_tools.analysis.sql.squawk import run_squawk  # noqa: E402
from tests.lint_corpus import HAZARDOUS, SAFE, read_cases, streams_types  # noqa: E402


def main(verbose: bool) -> int:
    hazardous, safe = read_cases(HAZARDOUS), read_cases(SAFE)
    types = streams_types()
    tools = {
        "squawk alone": lambda sql: sorted({hit.rule for hit in run_squawk(sql)}),
        "luna-db lint": lambda sql: sorted({f.rule for f in lint_sql(sql, column_types=types) if not f.accepted}),
    }
    print(f"corpus: {len(hazardous)} hazardous cases, {len(safe)} safe cases (tests/lint_corpus/)\n")
    print("| tool | caught | missed | false positives | ms per case |")
    print("|---|---|---|---|---|")
    details = []
    for name, lint in tools.items():
        start = time.perf_counter()
        missed = [case for case in hazardous if not lint(case.sql)]
        flagged = [(case, lint(case.sql)) for case in safe]
        elapsed = (time.perf_counter() - start) / (len(hazardous) + len(safe)) * 1000
        false = [(case, found) for case, found in flagged if found]
        caught = len(hazardous) - len(missed)
        print(f"| {name} | {caught}/{len(hazardous)} | {len(missed)} | {len(false)}/{len(safe)} | {elapsed:.1f} |")
        details.append((name, missed, false))
    for name, missed, false in details:
        print(f"\n{name} misses: {', '.join(case.name for case in missed) or 'none'}")
        listed = ", ".join(f"{case.name} ({'/'.join(found)})" for case, found in false)
        print(f"{name} false positives: {listed or 'none'}")
        if verbose:
            for case in missed:
                print(f"  missed {case.name}: {' '.join(case.sql.split())}")
    return 0


if __name__ == "__main__":
    sys.exit(main("--verbose" in sys.argv[1:]))
