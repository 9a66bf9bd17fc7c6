"""How many SQL statements, and how many of them read the catalog, one `luna-db status` and one
`luna-db check --schema streams` send, counted from `-v` (which logs every statement).

    PYTHONPATH=. .venv/bin/python bench/catalog_queries.py [TREE ...]

Each TREE is a checkout of luna-db-tools (default: this one); e.g. compare with an older commit:
`git worktree add /tmp/old 708266e && PYTHONPATH=. .venv/bin/python bench/catalog_queries.py /tmp/old .`
The throwaway server comes from the test harness (tests/pgcluster.py).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.pgcluster import LocalCluster

_RECORD = re.compile(r"^INFO sqlalchemy\.engine\.Engine: ", re.M)
_CATALOG = re.compile(r"\b(pg_[a-z_]+|information_schema)\b")


def statements(log: str) -> list[str]:
    """The SQL statements of a -v log (parameter lines and transaction markers left out)."""
    records = [part.strip() for part in _RECORD.split(log)[1:]]
    return [r for r in records if r and not r.startswith("[") and r not in ("BEGIN (implicit)", "COMMIT", "ROLLBACK")]


def luna_db(tree: Path, *args: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run([sys.executable, "-m", "luna_db_tools", *args], capture_output=True, text=True,
                          env=environment, cwd=tree)


def main(trees: list[Path]) -> None:
    cluster = LocalCluster(user="luna", password="bench-catalog").start()
    try:
        for number, tree in enumerate(trees):
            streams, scratch = f"luna_streams_{number}", f"luna_ci_{number}"
            luna_db(tree, "create", "--schema", "streams", "--create-database", "--dsn", cluster.dsn(streams)).check_returncode()
            for label, args in (("status", ["status", "--schema", "streams", "--dsn", cluster.dsn(streams)]),
                                ("check --schema streams", ["check", "--schema", "streams", "--create-database",
                                                            "--dsn", cluster.dsn(scratch)])):
                run = luna_db(tree, "-v", *args)
                sql = statements(run.stderr + run.stdout)
                catalog = [s for s in sql if _CATALOG.search(s)]
                print(f"{tree}: {label}: exit {run.returncode}, {len(sql)} statements, {len(catalog)} read the catalog")
    finally:
        cluster.destroy()


if __name__ == "__main__":
    main([Path(p).resolve() for p in sys.argv[1:]] or [Path(__file__).resolve().parent.parent])
