"""Where each LUNA schema's models and migration scripts live.

The Alembic environment is the package's `migrations` folder
(`luna_db_tools:migrations`), in a checkout and installed alike.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

from .config.settings import SCHEMA_NAMES, check_schema

__all__ = ["SCHEMA_NAMES", "load_models", "migrations_dir", "versions_dir"]

_MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def migrations_dir() -> Path:
    """The Alembic script location."""
    return _MIGRATIONS_DIR


def versions_dir(schema: str) -> Path:
    """One version location per schema: each history stands alone."""
    return migrations_dir() / "versions" / check_schema(schema)


def load_models(schema: str) -> ModuleType:
    """The schema's model module (imported on demand: it pulls in SQLAlchemy)."""
    return importlib.import_module(f"luna_db_tools.models.{check_schema(schema)}")
