"""pytest-alembic's four built-in invariants, unchanged, for both schemas, on
the harness's real PostgreSQL and through the project's Alembic environment.

pytest-alembic 0.13's automatic collector fails under pytest 9 (it sets
`_nodeid` before pytest creates it), so pyproject disables the plugin
(`-p no:pytest_alembic`) and this module imports its fixture and its
built-in tests directly; they run exactly as the plugin would run them.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from pytest_alembic.plugin.fixtures import alembic_runner  # noqa: F401 - the fixture the tests take
from pytest_alembic.tests import (  # noqa: F401 - collected from here, unchanged
    test_model_definitions_match_ddl,
    test_single_head_revision,
    test_up_down_consistency,
    test_upgrade,
)

from luna_db_tools.runtime.environment import make_config


@pytest.fixture(params=["streams", "backport3"])
def alembic_config(request):
    """Our own Config: env.py gets the schema from its attributes and the
    connection that pytest-alembic shares."""
    return make_config(request.param)


@pytest.fixture
def alembic_engine(fresh_db):
    engine = sa.create_engine(fresh_db.url, poolclass=sa.pool.NullPool)
    yield engine
    engine.dispose()
