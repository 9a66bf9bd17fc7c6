"""Run migra on pairs of databases, in migra's own virtualenv (it needs SQLAlchemy and
schemainspect versions of its own): `python bench/migra_runner.py PAIRS.json`.

PAIRS.json: [[id, url_from, url_to], ...]; prints {id: {"plain": sql, "privileges": sql}} as JSON.
"""

import json
import sys

from migra import Migration
from sqlalchemy.pool import NullPool
from sqlbag import S


def diff(url_from: str, url_to: str, privileges: bool) -> str:
    # NullPool: sqlbag keeps an engine per call, whose pooled connections would pile up.
    with S(url_from, poolclass=NullPool) as before, S(url_to, poolclass=NullPool) as after:
        migration = Migration(before, after, schema="public")
        migration.set_safety(False)
        migration.add_all_changes(privileges=privileges)
        return migration.sql


def main() -> None:
    results = {}
    for case_id, url_from, url_to in json.load(open(sys.argv[1])):
        try:
            results[case_id] = {"plain": diff(url_from, url_to, False), "privileges": diff(url_from, url_to, True)}
        except Exception as error:  # migra's own failure: counted as a miss, with the reason
            results[case_id] = {"error": f"{type(error).__name__}: {error}".splitlines()[0]}
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
