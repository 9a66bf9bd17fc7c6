"""`make bench`: luna-db against reference runs, on this machine, in one invocation.

Machines here are noisy, so every figure is a ratio against a reference run
interleaved with ours (median of several), never an absolute target. Starts
its own throwaway PostgreSQL, like the tests. Writes bench/results.md.

Sizes: BENCH_STREAMS (default 1,000,000) and BENCH_LOGS (5,000,000);
the writer-wait curve has its own, BENCH_STALL_SIZES (streams, logs 5x;
default 200000,1000000,2000000), and the backfill throughput
BENCH_BACKFILL_STREAMS (1,000,000); see bench/writer_waits.py.
BENCH_ONLY=startup,create,check,stalls,backfill runs just those parts.
"""

from __future__ import annotations

import compileall
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

import psycopg2
import writer_waits

from tests.pgcluster import LocalCluster, find_pg_bin

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LUNA_DB = str(BIN / "luna-db") if (BIN / "luna-db").exists() else shutil.which("luna-db")
ALEMBIC = str(BIN / "alembic") if (BIN / "alembic").exists() else shutil.which("alembic")
STREAMS = int(os.environ.get("BENCH_STREAMS", 1_000_000))
LOGS = int(os.environ.get("BENCH_LOGS", 5_000_000))
RUNS = int(os.environ.get("BENCH_RUNS", 5))
ONLY = set(filter(None, os.environ.get("BENCH_ONLY", "").split(",")))

rows: list[tuple[str, str, str, str, str]] = []  # what, ours, reference, ratio, target


def timed(command: list[str], **kwargs) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kwargs)
    return time.perf_counter() - started


def interleaved(ours, reference, runs: int = RUNS, between=None) -> tuple[float, float]:
    """Medians of `runs` alternating runs of both."""
    mine, theirs = [], []
    for _ in range(runs):
        mine.append(ours())
        if between:
            between()
        theirs.append(reference())
        if between:
            between()
    return statistics.median(mine), statistics.median(theirs)


def add_row(what: str, ours: float, reference: float, target: float | None, unit: str = "s") -> None:
    ratio = ours / reference
    verdict = "" if target is None else (f"≤ {target}x: {'met' if ratio <= target else 'MISSED'}")
    rows.append((what, f"{ours:.3f} {unit}", f"{reference:.3f} {unit}", f"{ratio:.2f}x", verdict))
    print(f"{what}: ours {ours:.3f} {unit}, reference {reference:.3f} {unit}, ratio {ratio:.2f}x {verdict}", flush=True)


# --- start-up --------------------------------------------------------------------------

#: Both commands as whole processes of this interpreter, on the checkout's code: luna-db's
#: console script and Alembic's (from the root, alembic.ini there; its env.py imports luna-db).
CHECKOUT = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}


def bench_startup(databases: Databases) -> list[str]:
    # As `pip install` does: with PYTHONDONTWRITEBYTECODE set, every run would compile the
    # checkout's modules (and the revision files both sides read) from source.
    for folder in ("luna_db_tools", "alembic"):
        compileall.compile_dir(ROOT / folder, quiet=1)
    runs = max(RUNS, 7)
    for args in (["--help"], ["--version"], ["upgrade", "--help"], ["dsn", "--dsn", "pg01,pg02/luna_streams"]):
        ours, reference = interleaved(
            lambda args=args: timed([LUNA_DB, *args], env=CHECKOUT),
            lambda: timed([ALEMBIC, "--help"], env=CHECKOUT), runs=runs,
        )
        add_row(f"start-up: luna-db {' '.join(args)} vs alembic --help", ours, reference, 0.3)
    dsn = databases.dsn(databases.fresh())
    subprocess.run([LUNA_DB, "-q", "create", "--schema", "streams", "--dsn", dsn], check=True, env=CHECKOUT,
                   stdout=subprocess.DEVNULL)
    # Each luna-db command against the Alembic command it stands for, though it does more
    # (status: pending revisions, drift against the models, the audit trail).
    for ours_args, alembic_args, what in (
        (["status", "--schema", "streams", "--dsn", dsn], ["-n", "streams", "-x", f"dsn={dsn}", "current"],
         "status (streams at head, drift checked) vs alembic current"),
        (["heads", "--schema", "streams"], ["-n", "streams", "heads"], "heads vs alembic heads"),
        (["history", "--schema", "streams"], ["-n", "streams", "history"], "history vs alembic history"),
    ):
        ours, reference = interleaved(
            lambda args=ours_args: timed([LUNA_DB, *args], env=CHECKOUT, cwd=ROOT),
            lambda args=alembic_args: timed([ALEMBIC, *args], env=CHECKOUT, cwd=ROOT), runs=runs,
        )
        add_row(f"start-up: luna-db {what}", ours, reference, 1.0)
    importtime = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "from luna_db_tools.cli import main; main(['--help'])"],
        capture_output=True, text=True, env=CHECKOUT,
    ).stderr
    costs = []
    for line in importtime.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", line)
        if match and len(match[3]) <= 3:  # top-level and first-level imports
            costs.append((int(match[2]), match[4]))
    return [f"{cost / 1000:.1f} ms {name}" for cost, name in sorted(costs, reverse=True)[:8]]


# --- create ----------------------------------------------------------------------------


class Databases:
    def __init__(self, cluster: LocalCluster):
        self.cluster = cluster
        self.count = 0

    def admin(self, sql: str) -> None:
        connection = psycopg2.connect(host=self.cluster.host, port=self.cluster.port, user="luna", password="luna", dbname="postgres")
        connection.autocommit = True
        connection.cursor().execute(sql)
        connection.close()

    def fresh(self) -> str:
        self.count += 1
        name = f"bench_{self.count}"
        self.admin(f'DROP DATABASE IF EXISTS "{name}"')
        self.admin(f'CREATE DATABASE "{name}"')
        return name

    def dsn(self, name: str) -> str:
        return f"luna:luna@127.0.0.1:{self.cluster.port}/{name}"


def bench_create(databases: Databases) -> None:
    for schema in ("streams", "backport3"):
        ours, reference = interleaved(
            lambda schema=schema: timed([LUNA_DB, "create", "--schema", schema, "--dsn", databases.dsn(databases.fresh())]),
            lambda schema=schema: timed(
                [ALEMBIC, "-x", f"schema={schema}", "-x", f"dsn={databases.dsn(databases.fresh())}", "upgrade", "head"],
                cwd=ROOT,
            ),
        )
        add_row(f"create {schema} vs alembic upgrade head (same environment)", ours, reference, 0.8)


# --- data at scale ----------------------------------------------------------------------


def load_data(databases: Databases) -> str:
    name = databases.fresh()
    subprocess.run([LUNA_DB, "-q", "upgrade", "s0002", "--schema", "streams", "--dsn", databases.dsn(name)], check=True)
    connection = psycopg2.connect(host="127.0.0.1", port=databases.cluster.port, user="luna", password="luna", dbname=name)
    connection.autocommit = True
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO stream (stream_id, account_id, data, event_handler, policies, status)"
            " SELECT md5(i::text), md5((i %% 1000)::text), '{\"type\": \"tcp\"}', '{}', '{}',"
            " (ARRAY['pending','in_progress','done','restart','cancel','failure','pause'])[1 + i %% 7]"
            " FROM generate_series(1, %s) AS i", (STREAMS,),
        )
        cursor.execute(
            "INSERT INTO log (stream_id, time, status)"
            " SELECT md5((i %% %s)::text), timestamp '2026-01-01' + i * interval '1 second', 'pending'"
            " FROM generate_series(1, %s) AS i", (STREAMS, LOGS),
        )
        cursor.execute("VACUUM ANALYZE")
    connection.close()
    print(f"loaded {STREAMS:,} streams and {LOGS:,} log rows in {time.perf_counter() - started:.1f} s", flush=True)
    return name


def bench_data_migration(databases: Databases, name: str) -> None:
    dsn = databases.dsn(name)
    script = subprocess.run(
        [LUNA_DB, "upgrade", "--sql", "s0002:head", "--schema", "streams"], check=True, capture_output=True, text=True,
    ).stdout
    script_file = Path(f"/tmp/luna-db-bench-{os.getpid()}.sql")
    script_file.write_text(script)
    psql = str(find_pg_bin() / "psql")
    environ = {**os.environ, "PGPASSWORD": "luna"}
    # Back to s0002 between rounds drops the rows s0003 filled in: a loss the bench means.
    back = lambda: subprocess.run(  # noqa: E731
        [LUNA_DB, "-q", "downgrade", "s0002", "--allow-data-loss", "--schema", "streams", "--dsn", dsn], check=True
    )
    ours, reference = interleaved(
        lambda: timed([LUNA_DB, "upgrade", "--schema", "streams", "--dsn", dsn]),
        lambda: timed(
            [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(databases.cluster.port),
             "-U", "luna", "-d", name, "-f", str(script_file)], env=environ,
        ),
        runs=3, between=back,
    )
    script_file.unlink()
    add_row(f"upgrade s0002→head, {STREAMS:,} streams + {LOGS:,} logs, vs the same SQL by psql", ours, reference, 1.3)
    rows.append(("  streams per second over the whole upgrade (luna-db)", f"{STREAMS / ours:,.0f} /s", "", "", ""))


# --- writers during the log index --------------------------------------------------------


def writer_latencies(port: int, name: str, during) -> list[float]:
    latencies: list[float] = []
    stop = threading.Event()

    def write():
        connection = psycopg2.connect(host="127.0.0.1", port=port, user="luna", password="luna", dbname=name)
        connection.autocommit = True
        with connection.cursor() as cursor:
            while not stop.is_set():
                started = time.perf_counter()
                cursor.execute("INSERT INTO log (stream_id, status) VALUES (md5(random()::text), 'pending')")
                latencies.append(time.perf_counter() - started)
        connection.close()

    thread = threading.Thread(target=write)
    thread.start()
    time.sleep(0.5)
    try:
        during()
    finally:
        stop.set()
        thread.join()
    return latencies


def bench_writers(databases: Databases, name: str) -> None:
    dsn = databases.dsn(name)
    subprocess.run([LUNA_DB, "-q", "upgrade", "s0004", "--schema", "streams", "--dsn", dsn], check=True)
    ours = writer_latencies(
        databases.cluster.port, name,
        lambda: subprocess.run([LUNA_DB, "-q", "upgrade", "--schema", "streams", "--dsn", dsn], check=True),
    )
    subprocess.run([LUNA_DB, "-q", "downgrade", "s0004", "--allow-data-loss", "--schema", "streams", "--dsn", dsn],
                   check=True)
    blocking = writer_latencies(
        databases.cluster.port, name,
        lambda: psycopg2.connect(host="127.0.0.1", port=databases.cluster.port, user="luna", password="luna", dbname=name)
        .cursor().execute("CREATE INDEX ix_blocking ON log (stream_id, time); COMMIT"),
    )
    for label, values in (("luna-db upgrade (CREATE INDEX CONCURRENTLY)", ours), ("plain CREATE INDEX", blocking)):
        values = sorted(values)
        p99 = values[int(len(values) * 0.99) - 1]
        rows.append((f"writer latency during the log index: {label}", f"max {values[-1]:.3f} s", f"p99 {p99 * 1000:.1f} ms",
                     f"{len(values):,} inserts", "max < 1 s: " + ("met" if values[-1] < 1 else "MISSED") if "luna" in label else ""))
        print(f"{label}: max {values[-1]:.3f} s, p99 {p99 * 1000:.1f} ms over {len(values):,} inserts", flush=True)


# --- check -------------------------------------------------------------------------------


def bench_check(databases: Databases) -> None:
    started = time.perf_counter()
    for schema in ("streams", "backport3"):
        subprocess.run([LUNA_DB, "check", "--schema", schema, "--dsn", databases.dsn(databases.fresh())], check=True, stdout=subprocess.DEVNULL)
    took = time.perf_counter() - started
    rows.append(("luna-db check, both schemas", f"{took:.2f} s", "", "", "< 10 s: " + ("met" if took < 10 else "MISSED")))
    print(f"check of both schemas: {took:.2f} s", flush=True)


# --- writer stalls per revision, and backfill throughput (bench/writer_waits.py) ------------


def bench_stalls(databases: Databases, templates: writer_waits.Templates) -> None:
    rows.extend(writer_waits.stall_curve(databases, templates, LUNA_DB))


def bench_backfill(databases: Databases, templates: writer_waits.Templates) -> None:
    rows.extend(writer_waits.backfill_throughput(databases, templates, LUNA_DB))


# --- check vs pytest-alembic's built-in tests ----------------------------------------------

#: The conftest pytest-alembic's plugin binds its built-in tests to (tests/conftest.py by default):
#: our Alembic environment for one schema, and one fresh database per test (the bench made them).
PYTEST_ALEMBIC_CONFTEST = '''
import os

import pytest
import sqlalchemy as sa

from luna_db_tools.runtime.environment import make_config

_databases = iter(os.environ["BENCH_PYTEST_ALEMBIC_URLS"].split())


@pytest.fixture
def alembic_config():
    return make_config(os.environ["BENCH_PYTEST_ALEMBIC_SCHEMA"])


@pytest.fixture
def alembic_engine():
    engine = sa.create_engine(next(_databases), poolclass=sa.pool.NullPool)
    yield engine
    engine.dispose()
'''


def checkout_environment() -> dict[str, str]:
    """The environment of a process that must run this checkout's luna_db_tools, as an install would.

    PYTHONPATH names the checkout (the venv's `luna-db` script would import the
    installed copy), and the checkout is byte-compiled first, as `pip install`
    does: with PYTHONDONTWRITEBYTECODE set (as here) and no __pycache__ (a fresh
    checkout), every process would compile luna_db_tools and the revision files
    from source: about 0.3 s of CPU per `luna-db check` here, 0.1 s per pytest-alembic run.
    """
    for folder in ("luna_db_tools", "alembic"):
        compileall.compile_dir(ROOT / folder, quiet=1)
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}


def bench_check_vs_pytest_alembic(databases: Databases) -> None:
    """`luna-db check --schema S` against `pytest --test-alembic` (pytest-alembic's four default tests) per schema.

    Whole processes on fresh databases made before the clock starts (one for
    the check, one per test for pytest-alembic: its tests each start from an
    empty database), the same interpreter and checkout for both, interleaved,
    medians of RUNS; a row per schema and one for both (the median of each
    round's sum).
    """
    environ = checkout_environment()
    # Outside the checkout: its pyproject disables the plugin, and its conftest is the suite's.
    project = Path(f"/tmp/luna-db-bench-pytest-alembic-{os.getpid()}")
    (project / "tests").mkdir(parents=True, exist_ok=True)
    (project / "pytest.ini").write_text("[pytest]\n")
    (project / "tests" / "conftest.py").write_text(PYTEST_ALEMBIC_CONFTEST)

    def ours(schema: str) -> float:
        dsn = databases.dsn(databases.fresh())
        return timed([sys.executable, "-m", "luna_db_tools", "check", "--schema", schema, "--dsn", dsn], env=environ)

    def reference(schema: str) -> float:
        urls = " ".join(f"postgresql+psycopg2://{databases.dsn(databases.fresh())}" for _ in range(4))
        return timed([sys.executable, "-m", "pytest", "--test-alembic", "-q", "-p", "no:cacheprovider"], cwd=project,
                     env={**environ, "BENCH_PYTEST_ALEMBIC_SCHEMA": schema, "BENCH_PYTEST_ALEMBIC_URLS": urls})

    schemas = ("streams", "backport3")
    for schema in schemas:  # a warm-up round, untimed
        ours(schema)
        reference(schema)
    mine: dict[str, list[float]] = {schema: [] for schema in schemas}
    theirs: dict[str, list[float]] = {schema: [] for schema in schemas}
    for _ in range(RUNS):
        for schema in schemas:
            mine[schema].append(ours(schema))
            theirs[schema].append(reference(schema))
    shutil.rmtree(project, ignore_errors=True)
    for schema in schemas:
        add_row(f"luna-db check --schema {schema} vs pytest --test-alembic (4 default tests), fresh databases",
                statistics.median(mine[schema]), statistics.median(theirs[schema]), 0.8)
    add_row("luna-db check, both schemas, vs pytest-alembic's 4 default tests (same histories; median of round sums)",
            statistics.median(map(sum, zip(*mine.values()))), statistics.median(map(sum, zip(*theirs.values()))), 0.8)


def main() -> None:
    if ONLY:
        imports = []
        with LocalCluster(user="luna", password="luna") as cluster:
            databases = Databases(cluster)
            if "startup" in ONLY:
                imports = bench_startup(databases)
            templates = writer_waits.Templates(databases, LUNA_DB)
            if "stalls" in ONLY:
                bench_stalls(databases, templates)
            if "backfill" in ONLY:
                bench_backfill(databases, templates)
            if "check" in ONLY:
                bench_check_vs_pytest_alembic(databases)
            if "create" in ONLY:
                bench_create(databases)
        write_results(imports, name="results-partial.md")
        return
    with LocalCluster(user="luna", password="luna") as cluster:
        databases = Databases(cluster)
        imports = bench_startup(databases)
        bench_create(databases)
        bench_check(databases)
        bench_check_vs_pytest_alembic(databases)
        templates = writer_waits.Templates(databases, LUNA_DB)
        bench_stalls(databases, templates)
        bench_backfill(databases, templates)
        data = load_data(databases)
        bench_data_migration(databases, data)
        bench_writers(databases, data)
    write_results(imports)


def write_results(imports: list[str], name: str = "results.md") -> None:
    lines = [
        f"Measured {date.today():%Y-%m-%d} on {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, PostgreSQL {find_pg_bin().parent.name} (`make bench`).",
        "",
        "| what | luna-db | reference | ratio | target |",
        "|---|---|---|---|---|",
        *[f"| {' | '.join(row)} |" for row in rows],
        "",
        "Largest imports at start-up (`python -X importtime`, cumulative): " + "; ".join(imports) + ".",
        "",
    ]
    (ROOT / "bench" / name).write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
