"""A schema's revision history, read from its revision files without Alembic.

`heads`, `history`, `status` and `create` need only what each file declares:
its `revision`, `down_revision` and docstring. Importing Alembic for that
costs more than the rest of those commands (`alembic heads` itself loads
Alembic, SQLAlchemy and runs every revision file). Revision files declare
those names as literals (Alembic's own template does), so `ast` reads them
safely without running the files.

luna-db's histories are one line from base to head. Anything else (a fork, a
merge, a missing parent, a revision declared twice or not as a literal) is
`NotLinear`: commands that show the history then ask Alembic, which tells
forks as they are; the others refuse. Everything else about the history
(plans of steps, running revisions) goes through Alembic (script/history.py).
"""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass
from pathlib import Path

from ..errors import OperationFailed
from ..schemas import versions_dir


class NotLinear(OperationFailed):
    """The history is not one line of plainly declared revisions; the message says where."""


@dataclass(frozen=True)
class RevisionFile:
    revision: str
    down_revision: str | None
    message: str  # the first line of its docstring, as Alembic's `doc` starts
    path: Path


def linear_history(schema: str, directory: Path | None = None) -> list[RevisionFile]:
    """Every revision of the schema (or of the versions `directory`), oldest first; NotLinear otherwise."""
    revisions = _read_all(directory or versions_dir(schema))
    children: dict[str, list[str]] = {}
    for found in revisions.values():
        if found.down_revision is not None:
            if found.down_revision not in revisions:
                raise NotLinear(f"the {schema} revision {found.revision} follows {found.down_revision}, which is no revision")
            children.setdefault(found.down_revision, []).append(found.revision)
    if not revisions:
        return []
    heads = sorted(set(revisions) - set(children))
    if len(heads) != 1:
        raise NotLinear(f"the {schema} history has {len(heads)} heads: {', '.join(heads) or 'none'}")
    order = [revisions[heads[0]]]
    while order[-1].down_revision is not None and len(order) <= len(revisions):
        order.append(revisions[order[-1].down_revision])
    if len(order) != len(revisions):  # one head, yet revisions off its line: they loop
        raise NotLinear(f"the {schema} history loops: {', '.join(sorted(set(revisions) - {r.revision for r in order}))}")
    return order[::-1]


def head_revision(schema: str) -> str:
    """The single head of the schema's history; OperationFailed on a fork or none."""
    order = linear_history(schema)
    if not order:
        raise OperationFailed(f"the {schema} history has no revisions")
    return order[-1].revision


def history_order(schema: str) -> list[str]:
    """Every revision id of the schema's history, oldest first."""
    return [found.revision for found in linear_history(schema)]


def history_entries(order: list[RevisionFile]) -> list[dict]:
    """`luna-db history`'s entries, oldest first: id, message, down_revision, is_head."""
    return [
        {"id": found.revision, "message": found.message, "down_revision": found.down_revision,
         "is_head": index == len(order) - 1}
        for index, found in enumerate(order)
    ]


def describe(revisions: list[str] | None) -> str:
    """Revisions for people: `s0003`, `base (empty)`, or unknown."""
    if revisions is None:
        return "unknown (the database could not be reached to check)"
    return ", ".join(revisions) if revisions else "base (empty)"


def is_relative(revision: str) -> bool:
    return revision[:1] in "+-" and revision[1:].isdigit()


def _read_all(directory: Path) -> dict[str, RevisionFile]:
    # The files Alembic takes as revisions: *.py but editor lock files and __init__.py.
    paths = [path for path in sorted(directory.glob("*.py")) if not path.name.startswith((".#", "__init__"))]
    stats = [path.stat() for path in paths]
    return _read_files(tuple((path, stat.st_mtime_ns, stat.st_size) for path, stat in zip(paths, stats)))


@functools.lru_cache(maxsize=16)
def _read_files(files: tuple[tuple[Path, int, int], ...]) -> dict[str, RevisionFile]:
    """Each file read once per process while it stays as it is (a command asks several times). Not to be changed."""
    revisions: dict[str, RevisionFile] = {}
    for path, _mtime, _size in files:
        found = _declared(path)
        if found is None:
            continue
        if found.revision in revisions:
            raise NotLinear(f"revision {found.revision} is declared twice: {revisions[found.revision].path.name}, {path.name}")
        revisions[found.revision] = found
    return revisions


def _declared(path: Path) -> RevisionFile | None:
    """What the file declares; None when it declares no revision (Alembic skips it too)."""
    try:
        module = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        assigned = (_assigned(node) for node in module.body)
        values = {name: ast.literal_eval(value) for name, value in filter(None, assigned)
                  if name in ("revision", "down_revision")}
    except (SyntaxError, ValueError) as error:
        raise NotLinear(f"{path.name} does not declare its revision as plain literals: {error}") from None
    if not values.get("revision"):
        return None
    down = values.get("down_revision")
    if isinstance(down, (tuple, list)):
        if len(down) > 1:
            raise NotLinear(f"revision {values['revision']} merges {', '.join(down)}")
        down = down[0] if down else None
    docstring = (ast.get_docstring(module, clean=False) or "").strip()
    return RevisionFile(values["revision"], down or None, docstring.splitlines()[0] if docstring else "", path)


def _assigned(node: ast.stmt) -> tuple[str, ast.expr] | None:
    """`name = value` or `name: type = value` (Alembic's newer templates annotate): the name and value."""
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
        return node.target.id, node.value
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        return node.targets[0].id, node.value
    return None
