"""Where each LUNA schema's models and migration scripts live.

The Alembic environment is the checkout's top-level `alembic/` folder; an
installed package carries the same files as `luna_db_tools/migrations`.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

from .settings import check_schema

_PACKAGE_DIR = Path(__file__).resolve().parent


def migrations_dir() -> Path:
    """The Alembic script location: the installed copy, else the checkout's."""
    installed = _PACKAGE_DIR / "migrations"
    if (installed / "env.py").is_file():
        return installed
    return _PACKAGE_DIR.parent / "alembic"


def versions_dir(schema: str) -> Path:
    """One version location per schema: each history stands alone."""
    return migrations_dir() / "versions" / check_schema(schema)


def load_models(schema: str) -> ModuleType:
    """The schema's model module (imported on demand: it pulls in SQLAlchemy)."""
    return importlib.import_module(f"luna_db_tools.models.{check_schema(schema)}")

