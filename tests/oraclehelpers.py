"""Helpers for the live Oracle tests (the fixtures are in tests/oracle/conftest.py).

The server is found in this order:

1. `LUNA_DB_TEST_ORACLE_DSN`, a LUNA DSN of a privileged user
   (`oracle://system:pw@host:1521/?service_name=FREEPDB1`; a bare
   `/FREEPDB1` is read as the service too, for this variable only), when set;
2. a testcontainers OracleDbContainer (gvenzl/oracle-free), when a Docker
   engine answers;
3. neither: the tests are skipped, saying how to enable them.

Each test gets an Oracle user of its own (an Oracle schema is a user),
created with the grants luna-db needs and dropped afterwards.

python-oracledb's default Thin mode reaches Oracle 12.1 and newer. For an older
server (11.2) set `LUNA_DB_TEST_ORACLE_CLIENT` to an Oracle Instant Client 19
directory: the tests' own connections then use Thick mode, and every DSN they
hand luna-db carries `?oracle_client=` (luna-db's DSN option for the same).
"""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass, field
from urllib.parse import quote

from luna_db_tools.config.dsn import HostPort, format_host, parse_dsn

ENV_VAR = "LUNA_DB_TEST_ORACLE_DSN"
CLIENT_ENV_VAR = "LUNA_DB_TEST_ORACLE_CLIENT"
NO_SERVER_REASON = (
    f"no Oracle server: set {ENV_VAR}=oracle://system:pw@host:1521/?service_name=FREEPDB1 or run a Docker engine"
)

# faststart: the database files come pre-built in the image, so it opens in
# seconds instead of minutes. FREEPDB1 is the image's pluggable database.
ORACLE_IMAGE = "gvenzl/oracle-free:slim-faststart"
CONTAINER_SERVICE = "FREEPDB1"
# The image puts it into its own scripts unquoted: letters, digits, underscore only.
CONTAINER_ADMIN_PASSWORD = "LunaAdmin_2024"
DOCKER_PING_TIMEOUT = 3  # seconds: without an engine, fail fast rather than after minutes

# What luna-db needs from a service's own schema user, and no more. A quota
# on one tablespace would do as well as UNLIMITED TABLESPACE, but the name of
# the default tablespace differs between servers.
TEST_USER_GRANTS = (
    "CREATE SESSION",
    "CREATE TABLE",
    "CREATE VIEW",
    "CREATE SEQUENCE",
    "CREATE TRIGGER",
    "UNLIMITED TABLESPACE",
)
DROP_USER_TIMEOUT = 30.0  # seconds to wait for killed sessions to go away


@dataclass(frozen=True)
class OracleServer:
    """Where the tests' Oracle is, and a privileged user on it."""

    host: str
    port: int
    user: str
    password: str = field(repr=False)
    service: str
    kind: str  # "env" or "docker"

    def connect(self):
        """A python-oracledb connection of the privileged user."""
        return _connect(self.user, self.password, self.host, self.port, self.service)


@dataclass(frozen=True)
class OracleSchema:
    """One test's own Oracle user (its schema), and how to reach it."""

    server: OracleServer = field(repr=False)
    user: str
    password: str = field(repr=False)

    @property
    def host(self) -> str:
        return self.server.host

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def service(self) -> str:
        return self.server.service

    @property
    def address(self) -> str:
        """`host:port` as a DSN writes it (IPv6 in brackets)."""
        return format_host(HostPort(self.host, self.port))

    @property
    def dsn(self) -> str:
        """The LUNA DSN `oracle://user:pw@host:port/?service_name=service` (percent-encoded)."""
        return "oracle://" + self.dsn_via(self.address)

    @property
    def dsn_without_scheme(self) -> str:
        """The same DSN without `oracle://`: it needs `--db-type oracle`."""
        return self.dsn_via(self.address)

    def dsn_via(self, *addresses: str) -> str:
        """`user:pw@a1,a2/?service_name=service`: the user's DSN over the given `host:port` list, no scheme.

        A pluggable database (FREEPDB1) is a service, not a SID: a LUNA DSN's database part is a SID.
        """
        credentials = f"{quote(self.user, safe='')}:{quote(self.password, safe='')}"
        dsn = f"{credentials}@{','.join(addresses)}/?service_name={quote(self.service, safe='')}"
        client = os.environ.get(CLIENT_ENV_VAR)
        return f"{dsn}&oracle_client={quote(client, safe='/')}" if client else dsn

    def connect(self):
        """A python-oracledb connection as this user (close it, or use `with`)."""
        return _connect(self.user, self.password, self.host, self.port, self.service)

    def fetch_all(self, sql: str, **params) -> list[tuple]:
        """The rows of one statement run as this user; [] when it returns none. Commits."""
        with self.connect() as connection:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                rows = cursor.fetchall() if cursor.description else []
            connection.commit()
            return rows

    def execute(self, sql: str, **params) -> None:
        """Run one statement as this user and commit."""
        self.fetch_all(sql, **params)


def _connect(user: str, password: str, host: str, port: int, service: str):
    import oracledb

    client = os.environ.get(CLIENT_ENV_VAR)
    if client:
        # Thick mode for the whole process, before its first connection; a
        # second call with the same directory (luna-db's engine makes one) is a no-op.
        oracledb.init_oracle_client(lib_dir=client)
    return oracledb.connect(
        user=user, password=password, host=host, port=port, service_name=service,
        tcp_connect_timeout=10,
    )


# --- finding the server ---------------------------------------------------------------


def server_from_environment() -> OracleServer | None:
    """The server of `LUNA_DB_TEST_ORACLE_DSN`, or None when it is not set."""
    text = os.environ.get(ENV_VAR)
    if not text:
        return None
    parsed = parse_dsn(text)  # a DsnError hides the password
    if parsed.db_type not in (None, "oracle"):
        raise ValueError(f"{ENV_VAR} must be an Oracle DSN (oracle://...), not {parsed.db_type}")
    service = parsed.options.get("service_name") or parsed.database
    if not (parsed.user and parsed.password and parsed.hosts and service):
        raise ValueError(
            f"{ENV_VAR} needs user, password, host and service: oracle://system:pw@host:1521/?service_name=FREEPDB1"
        )
    first = parsed.hosts[0]
    return OracleServer(first.host, first.port or 1521, parsed.user, parsed.password, service, "env")


def docker_engine_answers(timeout: float = DOCKER_PING_TIMEOUT) -> bool:
    """Whether a Docker engine (the one testcontainers would use) answers a ping in time."""
    try:
        import docker
        from testcontainers.core.docker_client import get_docker_host
    except ImportError:
        return False
    try:
        host = get_docker_host()
        environment = {**os.environ, "DOCKER_HOST": host} if host else None
        use_ssh_client = bool(host and host.startswith("ssh://"))
        client = docker.from_env(timeout=timeout, environment=environment, use_ssh_client=use_ssh_client)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:  # docker.errors.DockerException, connection errors, a bad DOCKER_HOST
        return False


def start_container():
    """(OracleServer, container) of a started OracleDbContainer; the caller stops it."""
    try:
        from testcontainers.community.oracle import OracleDbContainer
    except ImportError:
        from testcontainers.oracle import OracleDbContainer

    container = OracleDbContainer(ORACLE_IMAGE, oracle_password=CONTAINER_ADMIN_PASSWORD)
    try:
        container.start()  # waits for the image's "DATABASE IS READY TO USE!"
        server = OracleServer(
            container.get_container_host_ip(), int(container.get_exposed_port(1521)),
            "system", CONTAINER_ADMIN_PASSWORD, CONTAINER_SERVICE, "docker",
        )
    except BaseException:
        _stop_quietly(container)
        raise
    return server, container


def _stop_quietly(container) -> None:
    try:
        container.stop()
    except Exception:
        pass


# --- a schema per test ----------------------------------------------------------------------


def create_test_user(server: OracleServer) -> OracleSchema:
    """A new user with a random name and password, and the grants luna-db needs."""
    # At most 30 characters (Oracle before 12.2); unquoted, so stored in capitals.
    user = f"LUNA_T_{secrets.token_hex(4).upper()}"
    # Quoted, so it may hold '%' and '-' (they must survive the DSN's
    # percent-decoding); two capitals, two small letters, two digits and two
    # specials satisfy even ora12c_strong_verify_function.
    password = f"Lt-{secrets.token_hex(6)}%Pw09"
    with server.connect() as admin, admin.cursor() as cursor:
        cursor.execute(f'CREATE USER {user} IDENTIFIED BY "{password}"')
        try:
            cursor.execute(f"GRANT {', '.join(TEST_USER_GRANTS)} TO {user}")
        except Exception:
            cursor.execute(f"DROP USER {user} CASCADE")  # leave nothing behind
            raise
    return OracleSchema(server, user, password)


def drop_test_user(server: OracleServer, user: str) -> None:
    """Drop the user and everything it owns, ending its sessions first if any are left."""
    import oracledb

    deadline = time.monotonic() + DROP_USER_TIMEOUT
    with server.connect() as admin, admin.cursor() as cursor:
        cursor.execute(f"ALTER USER {user} ACCOUNT LOCK")  # no new sessions from here on
        while True:
            _kill_sessions(cursor, user)
            try:
                cursor.execute(f"DROP USER {user} CASCADE")
                return
            except oracledb.DatabaseError as error:
                # ORA-01940: a killed session has not gone yet.
                if _ora_code(error) != 1940 or time.monotonic() > deadline:
                    raise
                time.sleep(0.5)


def _kill_sessions(cursor, user: str) -> None:
    import oracledb

    cursor.execute("SELECT sid, serial# FROM v$session WHERE username = :name", name=user)
    for sid, serial in cursor.fetchall():
        try:
            cursor.execute(f"ALTER SYSTEM KILL SESSION '{sid},{serial}' IMMEDIATE")
        except oracledb.DatabaseError as error:
            # ORA-00030: it ended by itself meanwhile; ORA-00031: marked, ends soon.
            if _ora_code(error) not in (30, 31):
                raise


def _ora_code(error) -> int | None:
    return getattr(error.args[0], "code", None) if error.args else None


# --- Oracle's names for the models' names ---------------------------------------------------------------


def oracle_name(name: str) -> str:
    """How Oracle's dictionary spells a model's name: `stream` is STREAM, the quoted `group` stays."""
    from sqlalchemy.dialects import oracle

    return oracle.dialect().denormalize_name(name)


def model_name(name: str) -> str:
    """The reverse of `oracle_name`: STREAM is `stream`, `group` stays."""
    from sqlalchemy.dialects import oracle

    return str(oracle.dialect().normalize_name(name))
