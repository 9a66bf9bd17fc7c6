"""What s0003's catch-up costs after its batched fill (issue 26), at 200k and 1M streams by default.

The catch-up (operations/batched.backfill's `catch_up_sql`) is one anti-join
over `stream` against `restart`; it runs once, after the batches, on every
upgrade. For each size (BENCH_CATCH_UP_SIZES): a throwaway database at s0002
with that many streams (md5 ids, VACUUM ANALYZE), `luna-db upgrade s0003`
(its progress lines give the fill's time and the catch-up's with nothing to
catch), then the catch-up statement alone, timed by the server's clock
(clock_timestamp around it), with 0 and with 1,000 streams missing their row
(deleted again and vacuumed between runs), medians of BENCH_RUNS.

    PYTHONPATH=. .venv/bin/python bench/catch_up.py
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

import psycopg2

from tests.pgcluster import LocalCluster

SIZES = [int(s) for s in os.environ.get("BENCH_CATCH_UP_SIZES", "200000,1000000").split(",") if s.strip()]
RUNS = int(os.environ.get("BENCH_RUNS", 5))
MISSING = 1000
LUNA_DB = [sys.executable, "-m", "luna_db_tools"]
_FILL = re.compile(r"restart rows for existing streams: ([\d,]+) rows in ([\d,]+) batches, ([\d.]+) s")
_CAUGHT = re.compile(r"restart rows for existing streams: ([\d,]+) rows caught up .*, ([\d.]+) s")


def _catch_up_sql() -> str:
    from luna_db_tools.script import history

    return history.script_directory("streams").get_revision("s0003").module.RESTART_CATCH_UP


def _timed(cursor, sql: str) -> tuple[float, int]:
    """The statement's time on the server's clock (no client round trip), and its result."""
    cursor.execute("SELECT clock_timestamp()")
    began = cursor.fetchone()[0]
    cursor.execute(sql)
    caught = cursor.fetchone()[0]
    cursor.execute("SELECT clock_timestamp()")
    return (cursor.fetchone()[0] - began).total_seconds(), caught


def measure(cluster: LocalCluster, streams: int) -> str:
    name = f"catch_up_{streams}"
    admin = psycopg2.connect(host=cluster.host, port=cluster.port, user="luna", password="luna", dbname="postgres")
    admin.autocommit = True
    admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    dsn = f"luna:luna@127.0.0.1:{cluster.port}/{name}"
    try:
        subprocess.run([*LUNA_DB, "-q", "upgrade", "s0002", "--schema", "streams", "--dsn", dsn], check=True)
        connection = psycopg2.connect(host=cluster.host, port=cluster.port, user="luna", password="luna", dbname=name)
        connection.autocommit = True
        cursor = connection.cursor()
        cursor.execute(
            "INSERT INTO stream (stream_id, account_id, data, event_handler, policies, status)"
            " SELECT md5(i::text), md5((i %% 1000)::text), '{}', '{}', '{}', 'pending'"
            " FROM generate_series(1, %s) AS i", (streams,))
        cursor.execute("VACUUM ANALYZE stream")
        done = subprocess.run([*LUNA_DB, "upgrade", "s0003", "--schema", "streams", "--dsn", dsn], check=True,
                              capture_output=True, text=True)
        fill, caught = _FILL.findall(done.stderr)[-1], _CAUGHT.findall(done.stderr)[-1]
        cursor.execute("VACUUM ANALYZE restart")
        sql = _catch_up_sql()
        nothing, some = [], []
        for _ in range(RUNS):
            took, count = _timed(cursor, sql)
            assert count == 0, count
            nothing.append(took)
            cursor.execute("DELETE FROM restart WHERE stream_id IN (SELECT stream_id FROM stream"
                           " ORDER BY md5(stream_id) LIMIT %s)", (MISSING,))
            cursor.execute("VACUUM restart")
            took, count = _timed(cursor, sql)
            assert count == MISSING, count
            some.append(took)
        connection.close()
    finally:
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()
    return (f"{streams:,} streams: fill {fill[2]} s in {fill[1]} batches, then its catch-up {caught[1]} s "
            f"({caught[0]} rows); the catch-up alone, medians of {RUNS}: {statistics.median(nothing):.3f} s "
            f"with nothing missing, {statistics.median(some):.3f} s with {MISSING:,} streams missing their row")


def main() -> None:
    with LocalCluster(user="luna", password="luna") as cluster:
        for streams in SIZES:
            print(measure(cluster, streams), flush=True)


if __name__ == "__main__":
    os.chdir(Path(__file__).resolve().parent.parent)
    main()
