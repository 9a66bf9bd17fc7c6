"""The package's shape: plain Alembic per schema, optional extras, the public hooks we rely on."""

from __future__ import annotations

import subprocess
import sys

import sqlalchemy as sa
import tomllib

from luna_db_tools.runtime.rerun import skip_statements_already_done
from tests.clirunner import ROOT


def run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)


def alembic(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "alembic", *args], capture_output=True, text=True, cwd=ROOT, timeout=60,
    )


def test_the_top_level_layout():
    for name in ("luna_db_tools", "alembic", "tests"):
        assert (ROOT / name).is_dir(), name
    for name in ("cli.py", "pyproject.toml", "Makefile", "alembic.ini"):
        assert (ROOT / name).is_file(), name
    environment = ROOT / "alembic"
    assert (environment / "env.py").is_file() and (environment / "script.py.mako").is_file()
    assert sorted(p.name for p in (environment / "versions").iterdir() if p.is_dir() and p.name != "__pycache__") == [
        "backport3", "streams",
    ]
    assert not (ROOT / "luna_db_tools" / "migrations").exists(), "the environment lives in alembic/ only"


def test_the_checkout_alembic_folder_does_not_shadow_the_alembic_library():
    """No alembic/__init__.py: with the checkout first on sys.path, `import alembic` is still the library."""
    assert not (ROOT / "alembic" / "__init__.py").exists()
    result = run_python("import alembic, alembic.command; print(alembic.__file__)")
    assert result.returncode == 0, result.stderr
    assert "site-packages" in result.stdout and str(ROOT / "alembic") not in result.stdout


def test_a_checkout_runs_the_top_level_alembic_folder():
    from luna_db_tools.schemas import migrations_dir, versions_dir

    assert migrations_dir() == ROOT / "alembic"
    assert versions_dir("streams") == ROOT / "alembic" / "versions" / "streams"


def test_the_wheel_carries_the_alembic_folder_and_every_package():
    """pyproject lists the packages: the environment is mapped in from alembic/, and a package
    directory added under luna_db_tools/ without a line there would be missing from the wheel."""
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert setuptools["package-dir"] == {"luna_db_tools.migrations": "alembic"}
    packages = set(setuptools["packages"])
    on_disk = {
        ".".join(path.parent.relative_to(ROOT).parts)
        for path in (ROOT / "luna_db_tools").rglob("*.py")
        if "__pycache__" not in path.parts
    }
    shipped = {
        "luna_db_tools.migrations." + ".".join(path.parent.relative_to(ROOT / "alembic").parts)
        for path in (ROOT / "alembic").rglob("*.py")
        if path.parent != ROOT / "alembic" and "__pycache__" not in path.parts
    }
    assert on_disk | shipped | {"luna_db_tools.migrations"} == packages


def test_alembic_n_sees_one_schema_history_at_a_time():
    streams = alembic("-n", "streams", "history")
    backport3 = alembic("-n", "backport3", "heads")
    assert streams.returncode == 0, streams.stderr
    assert "s0001" in streams.stdout and "b0001" not in streams.stdout
    assert backport3.returncode == 0, backport3.stderr
    assert backport3.stdout.split() == ["b0004", "(backport3)", "(head)"]


def test_alembic_n_and_x_schema_must_agree():
    result = alembic("-n", "streams", "-x", "schema=backport3", "upgrade", "head", "--sql")
    assert result.returncode != 0
    assert "name different schemas" in result.stderr


def test_plain_alembic_with_x_schema_renders_one_history():
    result = alembic("-x", "schema=backport3", "upgrade", "head", "--sql")
    assert result.returncode == 0, result.stderr
    assert "Running upgrade b0002 -> b0003" in result.stdout and "s0001" not in result.stdout


def test_offline_oracle_scripts_render_without_the_oracle_driver():
    # None in sys.modules makes `import oracledb` raise ImportError, as if not installed.
    result = run_python(
        "import sys; sys.modules['oracledb'] = None\n"
        "from luna_db_tools.runtime.offline import create_sql, migration_sql\n"
        "print(len(create_sql('streams', 'oracle')), len(migration_sql('backport3', 'oracle', 'head', 'upgrade')))"
    )
    assert result.returncode == 0, result.stderr
    assert all(int(n) > 1000 for n in result.stdout.split())


def test_a_missing_extra_is_one_line_naming_it(tmp_path):
    result = run_python(
        "import sys; sys.modules['graphviz'] = None\n"
        "from luna_db_tools.cli import main\n"
        f"main(['diagram', '--schema', 'streams', '-o', {str(tmp_path / 'x.dot')!r}])"
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "luna-db: error: luna-db diagram needs the graphviz package: pip install 'luna-db-tools[diagram]'"
    ]


def test_an_oracle_connection_without_the_driver_names_the_extra():
    result = run_python(
        "import sys; sys.modules['oracledb'] = None\n"
        "from luna_db_tools.cli import main\n"
        "main(['status', '--schema', 'streams', '--dsn', 'oracle://u:p@127.0.0.1:1/ORCL', '--connect-retries', '1'])"
    )
    assert result.returncode == 2
    assert "pip install 'luna-db-tools[oracle]'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_rerun_hook_steps_over_statements_already_done(fresh_db):
    """The public before_cursor_execute hook that completes a part-applied Oracle revision,
    exercised on PostgreSQL with PostgreSQL's code for "already exists". Autocommit, as
    Oracle's DDL is: there a failed statement leaves the session's earlier work in place."""
    reported: list[str] = []
    engine = sa.create_engine(fresh_db.url, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text("CREATE TABLE done_before (x int)"))
        stop = skip_statements_already_done(
            connection,
            lambda statement: frozenset({"42P07"}) if statement.startswith("CREATE TABLE") else frozenset(),
            lambda error: getattr(error, "pgcode", None),
            reported.append,
        )
        connection.execute(sa.text("CREATE TABLE done_before (x int)"))  # skipped, reported
        connection.execute(sa.text("CREATE TABLE new_one (x int)"))  # run once, not twice
        stop()
        tables = set(sa.inspect(connection).get_table_names())
        try:
            connection.execute(sa.text("CREATE TABLE new_one (x int)"))
            raised = False
        except sa.exc.ProgrammingError:
            raised = True
    assert {"done_before", "new_one"} <= tables
    assert reported == ["already done, skipped: CREATE TABLE done_before (x int) (42P07)"]
    assert raised, "with the hook removed, an existing table is an error again"


def test_the_version_table_is_read_as_alembic_reads_it(fresh_db):
    """create reads alembic_version with Core (no Alembic import): it must agree with Alembic."""
    from alembic.runtime.migration import MigrationContext

    from luna_db_tools.db.tool_tables import current_revisions
    from tests.clirunner import invoke

    engine = sa.create_engine(fresh_db.url, poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        assert current_revisions(connection) == [] == list(MigrationContext.configure(connection).get_current_heads())
    assert invoke("upgrade", "s0003", "--schema", "streams", "--dsn", fresh_db.dsn).exit_code == 0
    with engine.connect() as connection:
        assert current_revisions(connection) == ["s0003"]
        assert list(MigrationContext.configure(connection).get_current_heads()) == ["s0003"]
