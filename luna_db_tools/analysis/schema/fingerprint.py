"""Fingerprints: the catalog snapshot of each revision, shipped with the package.

`luna_db_tools/fingerprints/<schema>/<revision>.json` holds what PostgreSQL
shows after `upgrade <revision>` on an empty database (made by
`scripts/fingerprints.py`; a test rebuilds them and fails when one is stale).
Drift compares a live database with the head's; `adopt` with every one, so
neither needs a scratch database in production.
"""

from __future__ import annotations

import json
from dataclasses import asdict, fields
from pathlib import Path

from .catalog import (
    CATEGORIES,
    Column,
    Constraint,
    Grant,
    Index,
    Policy,
    Routine,
    Sequence,
    Snapshot,
    Table,
    Trigger,
    TypeDef,
    View,
)

FINGERPRINTS_DIR = Path(__file__).resolve().parents[2] / "fingerprints"
_CLASSES = {
    "tables": Table, "columns": Column, "constraints": Constraint, "indexes": Index, "views": View,
    "triggers": Trigger, "policies": Policy, "grants": Grant, "routines": Routine, "sequences": Sequence, "types": TypeDef,
}


#: Parts a snapshot gained after fingerprints shipped, written only when they hold something:
#: a fingerprint without them means none (what every database the migrations build has),
#: so the fingerprints made before stay valid byte for byte. Category -> its fields so added
#: (None: the whole category).
ADDED_LATER = {"policies": None, "views": ("options",)}


def to_json(snapshot: Snapshot) -> str:
    """Stable text: the schema's own name left out (it is the install's choice), keys sorted."""
    data = asdict(snapshot)
    data.pop("schema")
    for category, added in ADDED_LATER.items():
        if added is None:
            if not data[category]:
                del data[category]
            continue
        for item in data[category]:
            for name in added:
                if not item[name]:
                    del item[name]
    return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def from_json(text: str, schema: str = "") -> Snapshot:
    data = json.loads(text)
    parts = {}
    for category in CATEGORIES:
        cls = _CLASSES[category]
        names = {f.name for f in fields(cls)}
        parts[category] = tuple(
            cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in item.items() if k in names})
            for item in data.get(category, [])
        )
    return Snapshot(schema, extensions=tuple(data.get("extensions", ())), **parts)


def path(schema: str, revision: str) -> Path:
    return FINGERPRINTS_DIR / schema / f"{revision}.json"


def load(schema: str, revision: str) -> Snapshot | None:
    """The revision's fingerprint, or None when the package has none for it."""
    file = path(schema, revision)
    return from_json(file.read_text(encoding="utf-8")) if file.is_file() else None


def revisions(schema: str) -> list[str]:
    """The revisions that have a fingerprint."""
    folder = FINGERPRINTS_DIR / schema
    return sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []
