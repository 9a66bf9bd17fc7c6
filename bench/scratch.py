"""A scratch database on a bench's throwaway server: made empty, dropped after (bench scripts share it)."""

from __future__ import annotations

from contextlib import contextmanager

import psycopg2
import sqlalchemy as sa


def admin(cluster, sql: str) -> None:
    """One statement on the server's `postgres` database, outside a transaction (CREATE/DROP DATABASE)."""
    connection = psycopg2.connect(host=cluster.host, port=cluster.port, user="luna", password="luna", dbname="postgres")
    connection.autocommit = True
    connection.cursor().execute(sql)
    connection.close()


@contextmanager
def scratch_database(cluster, name: str):
    """An empty database `name` and an engine on it (no pool), dropped when the block ends."""
    admin(cluster, f'DROP DATABASE IF EXISTS "{name}"')
    admin(cluster, f'CREATE DATABASE "{name}"')
    engine = sa.create_engine(f"postgresql+psycopg2://luna:luna@{cluster.host}:{cluster.port}/{name}",
                              poolclass=sa.pool.NullPool)
    try:
        yield engine
    finally:
        engine.dispose()
        admin(cluster, f'DROP DATABASE "{name}"')
