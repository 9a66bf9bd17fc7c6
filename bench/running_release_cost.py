"""What the running-release check adds to `luna-db check`, and what its verdict adds to the dry run.

`python bench/running_release_cost.py` (from the checkout, PYTHONPATH=.)
starts its own throwaway PostgreSQL and prints, per schema, medians of
BENCH_RUNS (default 5) runs:

- the whole walk of the history in one process (each revision upgraded and
  its snapshot read, as `check` does), and the part of it spent on the
  running release (workload generated, view columns read, replays: what
  `ReleaseWalk.at` costs), with the statements replayed;
- `upgrade --dry-run` of the whole history from base, with the verdict
  (a scratch database created, the history built there, dropped) and the
  share of it that `plan_verdicts` takes.

A figure printed, no target asserted: machines here are shared and noisy,
so the share of the walk is the figure to read, not the seconds.
"""

from __future__ import annotations

import os
import statistics
import time

from alembic import command
from scratch import scratch_database

from luna_db_tools.command.catalog_reader import read_snapshot
from luna_db_tools.command.running_release import ReleaseWalk, plan_verdicts
from luna_db_tools.config.dsn import HostPort
from luna_db_tools.config.settings import DbSettings
from luna_db_tools.runtime.environment import make_config
from luna_db_tools.script.history import plan_steps, script_directory
from tests.pgcluster import LocalCluster

RUNS = int(os.environ.get("BENCH_RUNS", 5))


def walk_once(cluster, schema: str, name: str) -> tuple[float, float, int]:
    """(seconds of the whole walk, seconds of it spent on the running release, statements replayed)."""
    order = [s.revision for s in reversed(list(script_directory(schema).walk_revisions()))]
    spent = 0.0
    with scratch_database(cluster, name) as engine:
        started = time.perf_counter()
        with engine.connect() as connection:
            walk = ReleaseWalk(connection)
            for revision in order:
                connection.commit()
                command.upgrade(make_config(schema, connection=connection), revision)
                connection.commit()
                snapshot = read_snapshot(connection)
                mark = time.perf_counter()
                walk.at(revision, snapshot, last=revision == order[-1])
                spent += time.perf_counter() - mark
            replayed = walk.replayed
        total = time.perf_counter() - started
    return total, spent, replayed


def verdicts_once(cluster, schema: str) -> float:
    settings = DbSettings(schema, "postgres", "luna", "luna", (HostPort(cluster.host, cluster.port),), "postgres", {})
    steps = plan_steps(schema, "head", "upgrade", [])
    started = time.perf_counter()
    plan_verdicts(settings, schema, [], steps)
    return time.perf_counter() - started


def main() -> None:
    with LocalCluster(user="luna", password="luna") as cluster:
        for schema in ("streams", "backport3"):
            walks = [walk_once(cluster, schema, f"bench_rr_{schema}") for _ in range(RUNS)]
            total = statistics.median(w[0] for w in walks)
            spent = statistics.median(w[1] for w in walks)
            print(f"{schema}: history walked in {total:.3f} s, of which the running release {spent:.3f} s "
                  f"({spent / total:.1%}; {walks[0][2]} statements replayed)", flush=True)
            verdict = statistics.median(verdicts_once(cluster, schema) for _ in range(RUNS))
            print(f"{schema}: dry run's verdict from base (scratch database created, history built, dropped): "
                  f"{verdict:.3f} s", flush=True)


if __name__ == "__main__":
    main()
