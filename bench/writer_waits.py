"""`make bench`'s writer waits per revision at several table sizes, and batched backfill throughput.

Writer waits (issue 26): two clients insert into `stream` and `log` every
10 ms while s0002, s0003, s0004 and s0005 run, at each size of BENCH_STALL_SIZES
(streams; logs 5x; default 200k, 1M, 2M). For each revision: the worst
insert latency of each writer, and the worst *lock* wait of each writer as
the server logged it (the writers' sessions set log_lock_waits with a 10 ms
deadlock_timeout; the migration's session keeps the server's defaults). A
baseline window (the same writers, no migration) shows what the machine
alone costs: on a loaded machine an insert can take tens of milliseconds
with nothing to wait for. Target: lock waits at most 0.05 s at every size,
and inserts no slower than 0.05 s or the baseline's worst.

Backfill throughput: s0002→s0003 by luna-db (catalog step and batched fill)
against the same DDL with the fill as one INSERT ... SELECT run by psql, on
the same rows (reset between runs), interleaved; target at least 0.8x the
single statement's rows per second.

Each size is loaded once (generate_series into the real, logged tables of
s0001, then VACUUM ANALYZE) into a template database; every run works on a
copy of it (CREATE DATABASE ... TEMPLATE copies the files).
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import psycopg2

from tests.pgcluster import find_pg_bin

LOCK_TARGET = 0.05
# BENCH_STALL_SIZES picks the sizes; the older BENCH_STALL_STREAMS (and BENCH_STALL_LOGS) one size.
SIZES = [int(s) for s in os.environ.get(
    "BENCH_STALL_SIZES", os.environ.get("BENCH_STALL_STREAMS", "200000,1000000,2000000")).split(",") if s.strip()]
LOGS_PER_STREAM = (int(os.environ["BENCH_STALL_LOGS"]) // SIZES[0]
                   if "BENCH_STALL_LOGS" in os.environ and "BENCH_STALL_SIZES" not in os.environ else 5)
BASELINE_SECONDS = float(os.environ.get("BENCH_STALL_BASELINE", 5))
BACKFILL_STREAMS = int(os.environ.get("BENCH_BACKFILL_STREAMS", 1_000_000))
BACKFILL_RUNS = int(os.environ.get("BENCH_BACKFILL_RUNS", 3))
REVISIONS = ("s0002", "s0003", "s0004", "s0005")
# "2026-12-03 11:20:58.757 UTC [16142] ... process 16142 acquired RowExclusiveLock on relation 16477 ... after 25.681 ms"
_ACQUIRED = re.compile(r"^(\S+ \S+) (\S+) \[(\d+)\].*process \d+ acquired \S+ on .* after ([\d.]+) ms")

Row = tuple[str, str, str, str, str]


class Templates:
    """One loaded database per size, at s0001 (stream and log exist); copies of it for each run."""

    def __init__(self, databases, luna_db: str):
        self.databases = databases
        self.luna_db = luna_db
        self.loaded: dict[int, str] = {}

    def copy(self, streams: int) -> str:
        template = self.loaded.get(streams) or self._load(streams)
        name = self.databases.fresh()
        self.databases.admin(f'DROP DATABASE "{name}"')
        self.databases.admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return name

    def _load(self, streams: int) -> str:
        name = f"template_{streams}"
        self.databases.admin(f'DROP DATABASE IF EXISTS "{name}"')
        self.databases.admin(f'CREATE DATABASE "{name}"')
        subprocess.run([self.luna_db, "-q", "upgrade", "s0001", "--schema", "streams", "--dsn", self.databases.dsn(name)],
                       check=True, stdout=subprocess.DEVNULL)
        started = time.perf_counter()
        with connect(self.databases, name) as connection, connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO stream (stream_id, account_id, data, event_handler, policies, status)"
                " SELECT md5(i::text), md5((i %% 1000)::text), '{}', '{}', '{}', 'pending'"
                " FROM generate_series(1, %s) AS i", (streams,))
            cursor.execute(
                "INSERT INTO log (stream_id, time, status) SELECT md5((i %% %s)::text),"
                " timestamp '2026-01-01' + i * interval '1 second', 'pending' FROM generate_series(1, %s) AS i",
                (streams, streams * LOGS_PER_STREAM))
            cursor.execute("VACUUM ANALYZE")
        print(f"loaded {streams:,} streams and {streams * LOGS_PER_STREAM:,} logs in "
              f"{time.perf_counter() - started:.1f} s", flush=True)
        self.loaded[streams] = name
        return name


@contextmanager
def connect(databases, name: str) -> Iterator:
    """An autocommit psycopg2 connection to one of the bench's databases, closed on exit."""
    connection = psycopg2.connect(host="127.0.0.1", port=databases.cluster.port, user="luna", password="luna",
                                  dbname=name)
    connection.autocommit = True
    try:
        yield connection
    finally:
        connection.close()


# --- writer waits ------------------------------------------------------------------------


class Writers:
    """Two sessions inserting every 10 ms: (wall-clock start, latency, table) per insert, and their pids."""

    STATEMENTS = {
        "stream": "INSERT INTO stream (stream_id, account_id, data, event_handler, policies, status)"
                  " VALUES (md5(random()::text), 'bench', '{}', '{}', '{}', 'pending')",
        "log": "INSERT INTO log (stream_id, status) VALUES (md5(random()::text), 'pending')",
    }

    def __init__(self, databases, name: str):
        self.databases, self.name = databases, name
        self.samples: list[tuple[float, float, str]] = []
        self.pids: dict[int, str] = {}
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._write, args=(table,)) for table in self.STATEMENTS]

    def _write(self, table: str) -> None:
        with connect(self.databases, self.name) as connection, connection.cursor() as cursor:
            # Only these sessions log their lock waits (from 10 ms): the migration keeps the defaults,
            # so how soon it cancels an autovacuum in its way is what production sees.
            cursor.execute("SET log_lock_waits = on; SET deadlock_timeout = '10ms'; SELECT pg_backend_pid()")
            self.pids[cursor.fetchone()[0]] = table
            while not self.stop.is_set():
                started, wall = time.perf_counter(), time.time()
                cursor.execute(self.STATEMENTS[table])
                self.samples.append((wall, time.perf_counter() - started, table))
                time.sleep(0.01)

    def __enter__(self) -> "Writers":
        for thread in self.threads:
            thread.start()
        time.sleep(0.5)
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join()

    def worst(self, began: float, ended: float) -> dict[str, float]:
        during = [(wait, table) for start, wait, table in self.samples if began - 0.05 <= start <= ended]
        return {table: max((w for w, t in during if t == table), default=0.0) for table in self.STATEMENTS}


def lock_waits(log_file: Path, pids: dict[int, str], began: float, ended: float) -> dict[str, float]:
    """The writers' longest lock waits the server logged between `began` and `ended` (wall clock)."""
    worst = dict.fromkeys(Writers.STATEMENTS, 0.0)
    for line in log_file.read_text(errors="replace").splitlines():
        match = _ACQUIRED.match(line)
        if not match or int(match[3]) not in pids:
            continue
        at = datetime.strptime(match[1], "%Y-%m-%d %H:%M:%S.%f")
        at = (at.replace(tzinfo=timezone.utc) if match[2] in ("UTC", "GMT") else at).timestamp()
        if began - 0.05 <= at <= ended + 0.5:
            table = pids[int(match[3])]
            worst[table] = max(worst[table], float(match[4]) / 1000)
    return worst


def stall_curve(databases, templates: Templates, luna_db: str) -> list[Row]:
    """Per size: a baseline window, then each revision under the two writers."""
    rows: list[Row] = []
    curve: dict[str, dict[int, str]] = {}
    log_file = databases.cluster.base_dir / "server.log"
    for streams in SIZES:
        name = templates.copy(streams)
        dsn = databases.dsn(name)
        with Writers(databases, name) as writers:
            began = time.time()
            time.sleep(BASELINE_SECONDS)
            baseline = writers.worst(began, time.time())
            print(f"{streams:,} streams, no migration ({BASELINE_SECONDS:g} s): worst insert "
                  f"stream {baseline['stream']:.3f} s, log {baseline['log']:.3f} s", flush=True)
            for revision in REVISIONS:
                began = time.time()
                subprocess.run([luna_db, "-q", "upgrade", revision, "--schema", "streams", "--dsn", dsn], check=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                ended = time.time()
                time.sleep(0.3)  # an insert that was waiting finishes after the revision
                inserts = writers.worst(began, ended)
                locks = lock_waits(log_file, writers.pids, began, ended)
                met = max(locks.values()) <= LOCK_TARGET and max(inserts.values()) <= max(
                    LOCK_TARGET, max(baseline.values()))
                rows.append((
                    f"upgrade {revision} under two writers, {streams:,} streams / {streams * LOGS_PER_STREAM:,} logs:"
                    " worst insert (worst lock wait the server logged, from 10 ms)",
                    f"stream {inserts['stream']:.3f} s ({_lock(locks['stream'])}), log {inserts['log']:.3f} s "
                    f"({_lock(locks['log'])})",
                    f"no migration: stream {baseline['stream']:.3f} s, log {baseline['log']:.3f} s",
                    f"wall {ended - began:.1f} s",
                    f"lock ≤ {LOCK_TARGET} s, insert ≤ max({LOCK_TARGET} s, no migration): {'met' if met else 'MISSED'}",
                ))
                curve.setdefault(revision, {})[streams] = f"{max(inserts.values()):.3f} ({max(locks.values()):.3f})"
                print(f"{revision} at {streams:,} streams: wall {ended - began:.1f} s, worst insert stream "
                      f"{inserts['stream']:.3f} s, log {inserts['log']:.3f} s; worst lock wait stream "
                      f"{locks['stream']:.3f} s, log {locks['log']:.3f} s", flush=True)
        databases.admin(f'DROP DATABASE "{name}"')
    print("writer wait curve, worst insert (worst lock wait) in s, by streams: "
          + "; ".join(f"{revision}: " + ", ".join(f"{size:,} {value}" for size, value in sizes.items())
                      for revision, sizes in curve.items()), flush=True)
    return rows


def _lock(wait: float) -> str:
    return f"lock {wait:.3f} s" if wait else "no lock wait"


# --- backfill throughput --------------------------------------------------------------------


def single_statement_script(luna_db: str) -> str:
    """s0002→s0003 as luna-db renders it, with the batched fill (a DO block) as one timed INSERT ... SELECT."""
    script = subprocess.run([luna_db, "upgrade", "--sql", "s0002:s0003", "--schema", "streams"], check=True,
                            capture_output=True, text=True).stdout
    timed = "\\timing on\nINSERT INTO restart (stream_id) SELECT stream_id FROM stream;\n\\timing off"
    single, count = re.subn(r"-- luna-db: batched backfill.*?\$luna\$;", lambda _: timed, script, flags=re.S)
    if count != 1:
        raise RuntimeError("s0003's --sql script has no batched backfill to replace")
    return single


_FILLED = re.compile(r"restart rows for existing streams: ([\d,]+) rows in ([\d,]+) batches, ([\d.]+) s")
# The catch-up after the batches (rows the keyset passed) is part of the fill's time.
_CAUGHT_UP = re.compile(r"restart rows for existing streams: [\d,]+ rows caught up .*, ([\d.]+) s")


def backfill_throughput(databases, templates: Templates, luna_db: str) -> list[Row]:
    """The fill's own time (luna-db's progress line; psql's \\timing of the statement), and each whole run."""
    name = templates.copy(BACKFILL_STREAMS)
    dsn = databases.dsn(name)
    subprocess.run([luna_db, "-q", "upgrade", "s0002", "--schema", "streams", "--dsn", dsn], check=True,
                   stdout=subprocess.DEVNULL)
    script = Path(f"/tmp/luna-db-bench-backfill-{os.getpid()}.sql")
    script.write_text(single_statement_script(luna_db))
    psql = [str(find_pg_bin() / "psql"), "-X", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
            "-p", str(databases.cluster.port), "-U", "luna", "-d", name, "-f", str(script)]

    def ours() -> tuple[float, float, str]:
        started = time.perf_counter()
        done = subprocess.run([luna_db, "upgrade", "s0003", "--schema", "streams", "--dsn", dsn], check=True,
                              capture_output=True, text=True)
        whole = time.perf_counter() - started
        filled = _FILLED.findall(done.stderr)[-1]
        caught_up = sum(float(took) for took in _CAUGHT_UP.findall(done.stderr))
        return float(filled[2]) + caught_up, whole, f"{filled[1]} batches and a catch-up"

    def theirs() -> tuple[float, float, str]:
        started = time.perf_counter()
        done = subprocess.run(psql, check=True, capture_output=True, text=True, env={**os.environ, "PGPASSWORD": "luna"})
        whole = time.perf_counter() - started
        return float(re.findall(r"Time: ([\d.]+) ms", done.stdout)[-1]) / 1000, whole, "1 statement"

    def back() -> None:
        subprocess.run([luna_db, "-q", "downgrade", "s0002", "--allow-data-loss", "--schema", "streams", "--dsn", dsn],
                       check=True, stdout=subprocess.DEVNULL)
        with connect(databases, name) as connection, connection.cursor() as cursor:
            # Each run finds the stream rows as the last one left them, cleaned.
            cursor.execute("VACUUM stream")
            cursor.execute("CHECKPOINT")

    mine: list[tuple[float, float, str]] = []
    reference: list[tuple[float, float, str]] = []
    try:
        back()
        for _ in range(BACKFILL_RUNS):
            mine.append(ours())
            back()
            reference.append(theirs())
            back()
    finally:
        script.unlink()
        databases.admin(f'DROP DATABASE "{name}"')
    fill, whole = statistics.median(m[0] for m in mine), statistics.median(m[1] for m in mine)
    fill_ref, whole_ref = statistics.median(r[0] for r in reference), statistics.median(r[1] for r in reference)
    ratio = fill_ref / fill  # throughput: rows per second, ours over the single statement's
    print(f"backfill of s0003's restart rows, {BACKFILL_STREAMS:,} streams, medians of {BACKFILL_RUNS}: "
          f"luna-db's batches {fill:.2f} s ({BACKFILL_STREAMS / fill:,.0f} rows/s; {', '.join(m[2] for m in mine)}), "
          f"one INSERT ... SELECT {fill_ref:.2f} s ({BACKFILL_STREAMS / fill_ref:,.0f} rows/s): {ratio:.2f}x; "
          f"whole s0002→s0003 runs {whole:.2f} s (luna-db) vs {whole_ref:.2f} s (psql)", flush=True)
    return [
        (f"s0003's restart rows, {BACKFILL_STREAMS:,} streams: luna-db's batched fill vs one INSERT ... SELECT,"
         " rows per second", f"{BACKFILL_STREAMS / fill:,.0f} /s ({fill:.2f} s)",
         f"{BACKFILL_STREAMS / fill_ref:,.0f} /s ({fill_ref:.2f} s)", f"{ratio:.2f}x",
         f"≥ 0.8x: {'met' if ratio >= 0.8 else 'MISSED'}"),
        ("  the same, whole s0002→s0003 runs (luna-db upgrade vs psql -f, start-up included)",
         f"{whole:.2f} s", f"{whole_ref:.2f} s", f"{whole_ref / whole:.2f}x", ""),
    ]
