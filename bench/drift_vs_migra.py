"""luna-db's drift against migra, on the cases of tests/drift_cases.py.

    python bench/drift_vs_migra.py   (MIGRA_PYTHON: the python of a venv with migra;
                                      default .venv-migra/bin/python)

For each case: a database made by `luna-db create` (copied from a template)
and a copy with the change. luna-db's drift runs on the changed copy
against the models; migra compares the two copies (schema public, without
and with --with-privileges). A change counts as caught when the tool
reports anything (for luna-db, also: the expected difference by name); a
benign change reported is a false positive. Starts its own PostgreSQL.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg2  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from luna_db_tools.command.drift import compare_database  # noqa: E402
from luna_db_tools.schemas import load_models  # noqa: E402
from tests.drift_cases import BENIGN, CHANGES  # noqa: E402
from tests.pgcluster import LocalCluster  # noqa: E402

MIGRA_PYTHON = os.environ.get("MIGRA_PYTHON", str(ROOT / ".venv-migra" / "bin" / "python"))


def run(cluster, database: str, statement: str) -> None:
    connection = psycopg2.connect(host=cluster.host, port=cluster.port, user=cluster.user,
                                  password=cluster.password, dbname=database)
    connection.autocommit = True
    try:
        connection.cursor().execute(statement)
    finally:
        connection.close()


def main() -> None:
    with LocalCluster(user="luna", password="luna") as cluster:
        role = f"bench_role_{uuid.uuid4().hex[:6]}"
        run(cluster, "postgres", f"CREATE ROLE {role}")
        templates = {}
        for schema in ("streams", "backport3"):
            templates[schema] = f"tpl_{schema}"
            run(cluster, "postgres", f"CREATE DATABASE tpl_{schema}")
            subprocess.run([sys.executable, "-m", "luna_db_tools", "-q", "create", "--schema", schema,
                            "--dsn", cluster.dsn(f"tpl_{schema}")], check=True, cwd=ROOT)
        ours, pairs = {}, []
        for number, case in enumerate(CHANGES + BENIGN):
            before, after = f"b{number}", f"a{number}"
            for name in (before, after):
                run(cluster, "postgres", f'CREATE DATABASE {name} TEMPLATE "{templates[case.schema]}"')
            for statement in case.statements:
                run(cluster, after, statement.format(role=role, database=after))
            engine = sa.create_engine(cluster.url(after), poolclass=sa.pool.NullPool)
            with engine.connect() as connection:
                ours[case.id] = compare_database(connection, load_models(case.schema).metadata)
            pairs.append([case.id, cluster.url(before), cluster.url(after)])
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
            json.dump(pairs, file)
        output = subprocess.run([MIGRA_PYTHON, str(ROOT / "bench" / "migra_runner.py"), file.name],
                                check=True, capture_output=True, text=True).stdout
        os.unlink(file.name)
        theirs = json.loads(output)
        for number in range(len(CHANGES + BENIGN)):
            run(cluster, "postgres", f"DROP DATABASE b{number}")
            run(cluster, "postgres", f"DROP DATABASE a{number}")
        run(cluster, "postgres", f"DROP ROLE {role}")
    report(ours, theirs)


def report(ours: dict, theirs: dict) -> None:
    def said(result: dict, key: str) -> bool:
        return bool(result.get(key, "").strip())

    rows = {
        "luna-db (anything reported)": lambda c: bool(ours[c.id]),
        "luna-db (the expected difference)": lambda c: c.expect in {(d.kind, d.object) for d in ours[c.id]},
        "migra": lambda c: said(theirs[c.id], "plain"),
        "migra --with-privileges": lambda c: said(theirs[c.id], "privileges"),
    }
    benign_rows = {
        "luna-db (anything reported)": lambda c: bool(ours[c.id]),
        "migra": lambda c: said(theirs[c.id], "plain"),
        "migra --with-privileges": lambda c: said(theirs[c.id], "privileges"),
    }
    print(f"{len(CHANGES)} changes, {len(BENIGN)} benign changes\n")
    print(f"| tool | caught | missed | false positives (of {len(BENIGN)}) |")
    print("|---|---|---|---|")
    for name, caught in rows.items():
        hits = sum(1 for c in CHANGES if caught(c))
        false = sum(1 for c in BENIGN if benign_rows.get(name, lambda c: False)(c))
        print(f"| {name} | {hits} | {len(CHANGES) - hits} | {false if name in benign_rows else '-'} |")
    print()
    for case in CHANGES:
        if not rows["luna-db (the expected difference)"](case):
            print(f"luna-db missed {case.id}: {[str(d) for d in ours[case.id]]}")
        if not rows["migra --with-privileges"](case):
            print(f"migra missed {case.id}" + (f" ({theirs[case.id]['error']})" if "error" in theirs[case.id] else ""))
    errors = [c.id for c in CHANGES + BENIGN if "error" in theirs[c.id]]
    if errors:
        print(f"migra failed on {len(errors)} case(s): {', '.join(errors)}")
    for case in BENIGN:
        if ours[case.id]:
            print(f"luna-db false positive {case.id}: {[str(d) for d in ours[case.id]]}")
        if said(theirs[case.id], "privileges") or said(theirs[case.id], "plain"):
            print(f"migra false positive {case.id}: {theirs[case.id].get('privileges', '').strip()[:200]}")


if __name__ == "__main__":
    main()
