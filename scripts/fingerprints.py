"""Rebuild the fingerprints: `python scripts/fingerprints.py` (or `make fingerprints`).

For each schema, an empty database on a throwaway PostgreSQL is upgraded one
revision at a time with `luna-db upgrade`, and after each the catalog
snapshot is written to luna_db_tools/fingerprints/<schema>/<revision>.json.
tests/test_fingerprints.py does the same and fails when a file is stale.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SCHEMAS = ("streams", "backport3")


def fingerprints_of(schema: str, dsn: str, url: str) -> dict[str, str]:
    """{revision: fingerprint JSON} for every revision, from an EMPTY database (LUNA DSN and SQLAlchemy URL)."""
    import sqlalchemy as sa

    from luna_db_tools.analysis.schema.fingerprint import to_json
    from luna_db_tools.command.catalog_reader import read_snapshot
    from luna_db_tools.script.history import history

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    found = {}
    try:
        for revision in [step["id"] for step in history(schema)]:
            subprocess.run(
                [sys.executable, "-m", "luna_db_tools", "-q", "upgrade", revision, "--schema", schema, "--dsn", dsn],
                check=True, cwd=ROOT, capture_output=True, text=True,
            )
            with engine.connect() as connection:
                found[revision] = to_json(read_snapshot(connection))
    finally:
        engine.dispose()
    return found


def main() -> None:
    import psycopg2

    from luna_db_tools.analysis.schema.fingerprint import FINGERPRINTS_DIR
    from tests.pgcluster import LocalCluster

    with LocalCluster(user="luna", password="luna") as cluster:
        admin = psycopg2.connect(host=cluster.host, port=cluster.port, user="luna", password="luna", dbname="postgres")
        admin.autocommit = True
        for schema in SCHEMAS:
            admin.cursor().execute(f"CREATE DATABASE fp_{schema}")
            folder = FINGERPRINTS_DIR / schema
            folder.mkdir(parents=True, exist_ok=True)
            for old in folder.glob("*.json"):
                old.unlink()
            for revision, text in fingerprints_of(schema, cluster.dsn(f"fp_{schema}"), cluster.url(f"fp_{schema}")).items():
                (folder / f"{revision}.json").write_text(text, encoding="utf-8")
                print(f"{schema} {revision}")
        admin.close()


if __name__ == "__main__":
    main()
