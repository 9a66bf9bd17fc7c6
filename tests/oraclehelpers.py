"""A live Oracle for the `oracle` tests, and one empty schema (user) per test.

Found in this order, as PostgreSQL is:
1. `LUNA_DB_TEST_ORACLE_DSN`: a LUNA DSN of a user who may create users,
   e.g. `oracle://system:pw@host:1521/FREEPDB1`;
2. testcontainers' OracleDbContainer (gvenzl/oracle-free), when a Docker
   engine answers;
3. none: the tests are skipped, with this reason in pytest's summary.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass

NO_ORACLE = (
    "no Oracle server: set LUNA_DB_TEST_ORACLE_DSN=oracle://system:pw@host:1521/FREEPDB1 "
    "or run a Docker engine for testcontainers (gvenzl/oracle-free)"
)
ORACLE_IMAGE = "gvenzl/oracle-free:slim-faststart"
# What luna-db needs in its schema: tables, views, and (identity columns) sequences.
GRANTS = "CREATE SESSION, CREATE TABLE, CREATE VIEW, CREATE SEQUENCE, CREATE TRIGGER, UNLIMITED TABLESPACE"


@dataclass(frozen=True)
class OracleServer:
    host: str
    port: int
    service: str
    admin_user: str
    admin_password: str

    def connect(self, user: str | None = None, password: str | None = None):
        import oracledb

        return oracledb.connect(
            user=user or self.admin_user, password=password or self.admin_password,
            dsn=f"{self.host}:{self.port}/{self.service}",
        )

    def luna_dsn(self, user: str, password: str, host: str | None = None) -> str:
        return f"oracle://{user}:{password}@{host or self.host}:{self.port}/{self.service}"


@dataclass(frozen=True)
class OracleSchema:
    """One test's own Oracle user: its LUNA DSN and a way to run SQL as it."""

    server: OracleServer
    user: str
    password: str

    @property
    def dsn(self) -> str:
        return self.server.luna_dsn(self.user, self.password)

    def query(self, sql: str, **binds) -> list[tuple]:
        with self.server.connect(self.user, self.password) as connection, connection.cursor() as cursor:
            cursor.execute(sql, binds)
            return cursor.fetchall() if cursor.description else []

    def execute(self, sql: str, **binds) -> None:
        with self.server.connect(self.user, self.password) as connection, connection.cursor() as cursor:
            cursor.execute(sql, binds)
            connection.commit()

    def tables(self) -> set[str]:
        return {name.lower() for (name,) in self.query("SELECT table_name FROM user_tables")}

    def views(self) -> set[str]:
        return {name.lower() for (name,) in self.query("SELECT view_name FROM user_views")}


def server_from_environment() -> OracleServer | None:
    text = os.environ.get("LUNA_DB_TEST_ORACLE_DSN")
    if not text:
        return None
    from luna_db_tools.dsn import parse_dsn

    parsed = parse_dsn(text)
    first = parsed.hosts[0]
    return OracleServer(first.host, first.port or 1521, parsed.database or "FREEPDB1",
                        parsed.user or "system", parsed.password or "")


def server_from_docker():
    """(OracleServer, container), or (None, None) when no Docker engine answers."""
    try:
        import docker

        docker.from_env(timeout=3).ping()  # fails at once without an engine
        from testcontainers.community.oracle import OracleDbContainer
    except Exception:
        return None, None
    container = OracleDbContainer(ORACLE_IMAGE, oracle_password="Luna" + secrets.token_hex(8))
    try:
        container.start()
        server = OracleServer(container.get_container_host_ip(), int(container.get_exposed_port(1521)),
                              "FREEPDB1", "system", container.oracle_password)
    except Exception:
        container.stop()
        return None, None
    return server, container


def create_schema(server: OracleServer) -> OracleSchema:
    user = f"LUNA_T_{secrets.token_hex(4).upper()}"
    password = "L" + secrets.token_hex(10)
    with server.connect() as connection, connection.cursor() as cursor:
        cursor.execute(f'CREATE USER {user} IDENTIFIED BY "{password}"')
        cursor.execute(f"GRANT {GRANTS} TO {user}")
    return OracleSchema(server, user, password)


def drop_schema(schema: OracleSchema) -> None:
    """Drop the user, ending its sessions first (a test may leave one behind)."""
    with schema.server.connect() as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT sid, serial# FROM v$session WHERE username = :name", name=schema.user,
        )
        for sid, serial in cursor.fetchall():
            try:
                cursor.execute(f"ALTER SYSTEM KILL SESSION '{sid},{serial}' IMMEDIATE")
            except Exception:
                pass  # already gone
        cursor.execute(f"DROP USER {schema.user} CASCADE")
