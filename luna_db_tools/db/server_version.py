"""Which database servers luna-db works with, checked as soon as a connection lands.

PostgreSQL 12 to 18: LUNA's manuals recommend 12 for Backport 3 and 16 for
Streams, and luna-db is tested on every major from 12 to 18. An older server
lacks what the schemas and luna-db's own tables are built with (generated
catalogs, `CREATE INDEX CONCURRENTLY` behaviour, the catalog columns luna-db
reads), so it is refused before anything is read or written. A newer major is
let through: PostgreSQL keeps its catalogs compatible, and refusing the next
release on the day it ships would stop upgrades for no reason.

Oracle: Backport 3 needs 11.2 (its DDL uses nothing newer); Streams needs
12.1, for the identity column `log.log_id`. The schema is known once the
settings are resolved; without it the lower bound of both applies.
"""

from __future__ import annotations

from ..errors import BadInput

OLDEST_POSTGRESQL = 12
NEWEST_TESTED_POSTGRESQL = 18
OLDEST_ORACLE = {"backport3": (11, 2), "streams": (12, 1)}

# What luna-db uses that a supported PostgreSQL major older than the newest may
# lack: feature -> (first major that has it, what luna-db does on an older
# one). The one list of such differences; the README's "Supported servers"
# repeats it, and tests/test_server_versions.py checks each entry on a server.
POSTGRESQL_FEATURES: dict[str, tuple[int, str]] = {
    "nulls_not_distinct": (
        15, "pg_index.indnullsnotdistinct is not read (every index counts as NULLS DISTINCT, the only"
            " kind the server has); no shipped schema uses NULLS NOT DISTINCT"),
    "client_connection_check_interval": (
        14, "not set: a killed run's statement (an index build) runs on to its end, holding the"
            " migration lock; the next run waits for it (up to --migration-lock-timeout, else it fails"
            " naming the server pid), then keeps the index if it was completed, or drops it if INVALID"),
    "security_invoker": (
        15, "views have no security_invoker option (a view runs with its owner's rights, the only kind"
            " the server has): drift reads a view's options as they are, and none of a shipped schema's"
            " views sets it"),
    "reltuples_unknown": (
        14, "reltuples is 0, not -1, before a table's first ANALYZE: 0 with relpages 0 counts as unknown"),
}


def postgresql_major(connection) -> int:
    """The major of the PostgreSQL server `connection` (a SQLAlchemy connection) reached."""
    return server_version(connection, "postgres")[0]


def postgresql_has(connection, feature: str) -> bool:
    """Whether the PostgreSQL server behind `connection` has `feature` (a key of POSTGRESQL_FEATURES)."""
    return postgresql_major(connection) >= POSTGRESQL_FEATURES[feature][0]


def postgresql_version(version_num: int) -> tuple[int, int]:
    """(major, minor) of libpq's server_version number: 120022 -> (12, 22), 90624 -> (9, 6)."""
    if version_num >= 100000:
        return version_num // 10000, version_num % 10000
    return version_num // 10000, version_num // 100 % 100


def oracle_version(text: str) -> tuple[int, int]:
    """(major, minor) of the driver's version string: "11.2.0.4.0" -> (11, 2)."""
    parts = [int(part) for part in text.split(".")[:2] if part.isdigit()]
    return (parts + [0, 0])[0], (parts + [0, 0])[1]


def refusal(db_type: str, version: tuple[int, int], schema: str | None, where: str) -> BadInput | None:
    """The one-line refusal of a server too old for luna-db (or for `schema`), else None."""
    major, minor = version
    if db_type == "postgres":
        if major >= OLDEST_POSTGRESQL:
            return None
        return BadInput(
            f"{where} runs PostgreSQL {major}.{minor}: luna-db supports PostgreSQL"
            f" {OLDEST_POSTGRESQL} to {NEWEST_TESTED_POSTGRESQL}; upgrade the server first")
    needed = OLDEST_ORACLE.get(schema or "") or min(OLDEST_ORACLE.values())
    if version >= needed:
        return None
    what = f"the {schema} schema" if schema in OLDEST_ORACLE else "luna-db"
    return BadInput(
        f"{where} runs Oracle {major}.{minor}: {what} needs Oracle {needed[0]}.{needed[1]} or newer"
        + (" (its log_id is an identity column, 12c on)" if schema == "streams" else ""))


def server_version(connection, db_type: str) -> tuple[int, int]:
    """(major, minor) of the server a connection reached, from the driver's own attribute."""
    dbapi_connection = connection.connection.dbapi_connection
    if db_type == "postgres":
        return postgresql_version(dbapi_connection.server_version)  # psycopg2: libpq's PQserverVersion
    return oracle_version(dbapi_connection.version)  # python-oracledb: "11.2.0.4.0"
