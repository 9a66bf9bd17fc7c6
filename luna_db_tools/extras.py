"""Optional dependencies: a PostgreSQL-only user installs neither the Oracle driver nor Graphviz.

`pip install 'luna-db-tools[oracle]'` brings python-oracledb, `[diagram]` the
graphviz package. Asking for a missing one is one line naming the extra.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from .errors import BadInput

EXTRAS = {"oracledb": "oracle", "graphviz": "diagram"}


def require(module: str, needed_for: str) -> ModuleType:
    """Import an optional dependency, or fail with the pip command that installs it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        extra = EXTRAS[module]
        raise BadInput(
            f"{needed_for} needs the {module} package: pip install 'luna-db-tools[{extra}]'"
        ) from None
