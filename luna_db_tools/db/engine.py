"""Engines for luna-db's settings: the SQLAlchemy URL, Oracle's address list, the driver's options.

No connection is made here; db/connect.py opens one in rounds, and
db/connect_errors.py probes single hosts with an engine of their own.
"""

from __future__ import annotations

import re

from sqlalchemy import create_engine
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

from ..config.driver_options import check_driver_options
from ..config.settings import DbSettings
from ..errors import BadInput, DsnError
from ..extras import require


def sqlalchemy_url(settings: DbSettings):
    """The SQLAlchemy URL for these settings (hosts in the multihost query form)."""

    if settings.db_type == "oracle":
        # The address list goes in connect_args (see engine_for); the URL only
        # names the dialect and the credentials.
        return URL.create("oracle+oracledb", username=settings.user, password=settings.password)
    query = dict(settings.driver_options)
    if len(settings.hosts) > 1:
        # SQLAlchemy's documented multihost form; "h1,h2" + "p1,p2" rather than
        # "h1:p1&host=h2:p2", because the latter breaks on IPv6 addresses.
        query["host"] = ",".join(h.host for h in settings.hosts)
        query["port"] = ",".join(str(h.port) for h in settings.hosts)
        host = port = None
    else:
        host, port = settings.hosts[0].host, settings.hosts[0].port
    return URL.create(
        "postgresql+psycopg2",
        username=settings.user,
        password=settings.password,
        host=host,
        port=port,
        database=settings.database,
        query=query,
    )


def oracle_descriptor(settings: DbSettings) -> str:
    """An Oracle connect descriptor: every host in one ordered FAILOVER list.

    The database is a SID, as in LUNA's settings (`CONNECT_DATA=(SID=...)`),
    unless the DSN names a service (`?service_name=`, `SERVICE_NAME=...`).
    """
    timeout = settings.options.get("connect_timeout", "5")
    addresses = "".join(
        f"(ADDRESS=(PROTOCOL=TCP)(HOST={h.host})(PORT={h.port}))" for h in settings.hosts
    )
    return (
        f"(DESCRIPTION=(CONNECT_TIMEOUT={timeout})(TRANSPORT_CONNECT_TIMEOUT={timeout})"
        f"(RETRY_COUNT=0)(ADDRESS_LIST=(LOAD_BALANCE=OFF)(FAILOVER=ON){addresses})"
        f"(CONNECT_DATA={_connect_data(settings)}))"
    )


def _connect_data(settings: DbSettings) -> str:
    service = settings.oracle_service_name
    return f"(SERVICE_NAME={service})" if service else f"(SID={settings.database})"


def _oracle_connect_options(settings: DbSettings) -> dict[str, str]:
    """The DSN's options as python-oracledb connect parameters; DsnError for one it does not take.

    (connect_timeout is luna-db's own: it goes into the descriptor.)
    """
    oracledb = require("oracledb", "an Oracle database")

    options = {k: v for k, v in settings.driver_options.items() if k != "connect_timeout"}
    try:
        oracledb.ConnectParams(**options)
    except TypeError as error:
        unknown = re.search(r"argument '(\w+)'", str(error))
        name = unknown[1] if unknown else ", ".join(sorted(options))
        raise DsnError(f"DSN option {name!r} is not a python-oracledb connect parameter") from None
    return options


def engine_for(settings: DbSettings, **engine_options):
    """An Engine for these settings; no connection is made yet."""

    engine_options.setdefault("poolclass", NullPool)
    check_driver_options(settings.db_type, settings.options)
    if settings.db_type == "oracle":
        connect_args = _oracle_connect_options(settings)
        connect_args["dsn"] = oracle_descriptor(settings)
        if settings.oracle_client_dir:
            engine_options["thick_mode"] = {"lib_dir": settings.oracle_client_dir}
        try:
            return create_engine(sqlalchemy_url(settings), connect_args=connect_args, **engine_options)
        except Exception as error:  # python-oracledb's DPI-1047 & co: the libraries did not load
            if not settings.oracle_client_dir or "DPI-" not in str(error):
                raise
            first = (str(error).strip().splitlines() or ["failed"])[0]
            raise BadInput(
                f"DSN option oracle_client={settings.oracle_client_dir}: the Oracle Client libraries"
                f" did not load ({first})"
            ) from None
    # No schema has an HSTORE column: without this, psycopg2's dialect asks the server for
    # hstore's type oids on every first connect (a transaction of its own, three round trips).
    engine_options.setdefault("use_native_hstore", False)
    return create_engine(sqlalchemy_url(settings), **engine_options)
