"""`make demo`: create both LUNA schemas on a throwaway local PostgreSQL, show them, clean up.

Runs the installed `luna-db` exactly as an operator would; the server is
started from the local PostgreSQL binaries and removed at the end.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.pgcluster import LocalCluster

LUNA_DB = shutil.which("luna-db", path=str(Path(sys.executable).parent)) or "luna-db"


def run(*args: str) -> None:
    print(f"\n$ luna-db {' '.join(args)}", flush=True)
    completed = subprocess.run([LUNA_DB, *args])
    if completed.returncode not in (0,):
        raise SystemExit(f"luna-db {args[0]} exited with {completed.returncode}")


def main() -> None:
    with LocalCluster(user="luna", password="luna") as cluster:
        host = f"127.0.0.1:{cluster.port}"
        print(f"throwaway PostgreSQL started on {host} (data in {cluster.data_dir})")
        for schema, database in (("streams", "luna_streams"), ("backport3", "luna_backport3")):
            dsn = f"luna@{host}/{database}"  # password: the default, luna
            run("create", "--dsn", dsn, "--create-database")
            run("status", "--dsn", dsn)
            run("history", "--schema", schema)
            show_tables(cluster, database)
    print("\nthe throwaway server is stopped and removed.")


def show_tables(cluster: LocalCluster, database: str) -> None:
    import psycopg2

    with psycopg2.connect(
        host=cluster.host, port=cluster.port, user=cluster.user, password=cluster.password,
        dbname=database,
    ) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, table_type FROM information_schema.tables "
            "WHERE table_schema = 'public' ORDER BY table_type, table_name"
        )
        rows = cursor.fetchall()
    print(f"\n{database}: " + ", ".join(f"{name}{' (view)' if kind == 'VIEW' else ''}" for name, kind in rows))


if __name__ == "__main__":
    main()
