"""A schema's head revision, read from its revision files without Alembic.

`create` needs only the head id to stamp; importing Alembic for it costs a
quarter of a second, a third of `create`'s whole time. Revision files
declare `revision` and `down_revision` as literals (Alembic's own template
does), so `ast` reads them safely without running the files. Everything
else about the history goes through Alembic.
"""

from __future__ import annotations

import ast
from pathlib import Path

from ..errors import OperationFailed
from ..schemas import versions_dir


def head_revision(schema: str) -> str:
    """The single head of the schema's history; OperationFailed on a fork or none."""
    declared = [_declared(path) for path in sorted(versions_dir(schema).glob("*.py"))]
    revisions = {revision for revision, _ in declared if revision}
    below = {down for _, downs in declared for down in downs}
    heads = sorted(revisions - below)
    if len(heads) != 1:
        raise OperationFailed(f"the {schema} history has {len(heads)} heads: {', '.join(heads)}")
    return heads[0]


def _declared(path: Path) -> tuple[str | None, tuple[str, ...]]:
    values = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            if node.targets[0].id in ("revision", "down_revision"):
                values[node.targets[0].id] = ast.literal_eval(node.value)
    down = values.get("down_revision")
    downs = tuple(down) if isinstance(down, (tuple, list)) else ((down,) if down else ())
    return values.get("revision"), downs


def history_order(schema: str) -> list[str]:
    """Every revision of a linear history, oldest first (read like head_revision, without Alembic)."""
    declared = [_declared(path) for path in sorted(versions_dir(schema).glob("*.py"))]
    below = {revision: downs for revision, downs in declared if revision}
    order, current = [], head_revision(schema)
    while current:
        order.append(current)
        downs = below.get(current, ())
        current = downs[0] if downs else None
    return order[::-1]
