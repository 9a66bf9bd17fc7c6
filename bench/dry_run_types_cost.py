"""What judging type changes against the live catalog adds to `upgrade --dry-run`.

`python bench/dry_run_types_cost.py` (from the checkout, PYTHONPATH=.)
starts its own throwaway PostgreSQL and prints, per schema, medians of
BENCH_RUNS (default 5) runs on a database one revision below head:

- the catalog read the judgement needs (command/catalog_reader.read_snapshot,
  then analysis/schema/catalog.column_types);
- the lock table it is part of (command/dry_run._impacts: row estimates,
  that read, each step rendered offline and judged);
- the whole dry run (command/dry_run.dry_run, the running release's verdict
  in a scratch database included).

A figure printed, no target asserted: machines here are shared and noisy,
so the share is the figure to read, not the seconds.
"""

from __future__ import annotations

import os
import statistics
import time

from alembic import command
from scratch import scratch_database

from luna_db_tools.analysis.schema.catalog import column_types
from luna_db_tools.command.catalog_reader import read_snapshot
from luna_db_tools.command.dry_run import _impacts, dry_run
from luna_db_tools.config.dsn import HostPort
from luna_db_tools.config.settings import DbSettings
from luna_db_tools.runtime.environment import make_config
from luna_db_tools.script.history import plan_steps, script_directory
from tests.pgcluster import LocalCluster

RUNS = int(os.environ.get("BENCH_RUNS", 5))


def seconds(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def measure(cluster, schema: str) -> None:
    name = f"bench_dry_{schema}"
    below = script_directory(schema).get_revision("head").down_revision
    with scratch_database(cluster, name) as engine:
        with engine.connect() as connection:
            command.upgrade(make_config(schema, connection=connection), below)
            connection.commit()
            steps = plan_steps(schema, "head", "upgrade", [below])
            read = statistics.median(seconds(lambda: column_types(read_snapshot(connection))) for _ in range(RUNS))
            table = statistics.median(seconds(lambda: _impacts(connection, schema, steps)) for _ in range(RUNS))
        settings = DbSettings(schema, "postgres", "luna", "luna", (HostPort(cluster.host, cluster.port),), name, {})
        whole = statistics.median(seconds(lambda: dry_run(settings, "head", "upgrade")) for _ in range(RUNS))
    print(f"{schema} ({below} -> head): catalog read for the type changes {read * 1000:.1f} ms; "
          f"lock table {table * 1000:.1f} ms ({read / table:.0%} of it); "
          f"whole dry run {whole * 1000:.0f} ms ({read / whole:.1%} of it)", flush=True)


def main() -> None:
    with LocalCluster(user="luna", password="luna") as cluster:
        for schema in ("streams", "backport3"):
            measure(cluster, schema)


if __name__ == "__main__":
    main()
