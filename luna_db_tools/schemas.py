"""Where each LUNA schema's models and migration scripts live.

The Alembic environment sits at the top of a checkout, `alembic/` as
`alembic init` lays it out; the wheel carries the same folder inside the
package as `luna_db_tools/migrations` (pyproject's package-dir), so an
installed luna-db and a checkout run the same revisions.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

from .config.settings import SCHEMA_NAMES, check_schema

__all__ = ["SCHEMA_NAMES", "load_models", "migrations_dir", "versions_dir"]

_PACKAGE_DIR = Path(__file__).resolve().parent
_INSTALLED_DIR = _PACKAGE_DIR / "migrations"
_CHECKOUT_DIR = _PACKAGE_DIR.parent / "alembic"


def migrations_dir() -> Path:
    """The Alembic script location: the wheel's copy when installed, else the checkout's `alembic/`."""
    return _INSTALLED_DIR if (_INSTALLED_DIR / "env.py").is_file() else _CHECKOUT_DIR


def versions_dir(schema: str) -> Path:
    """One version location per schema: each history stands alone."""
    return migrations_dir() / "versions" / check_schema(schema)


def load_models(schema: str) -> ModuleType:
    """The schema's model module (imported on demand: it pulls in SQLAlchemy)."""
    return importlib.import_module(f"luna_db_tools.models.{check_schema(schema)}")
