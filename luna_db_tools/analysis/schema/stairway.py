"""The stairway check's compare: the shape a step left against the shape it should have.

A shape is what a revision changes, reflected (command/catalog_reader.py):
on PostgreSQL the catalog snapshot drift compares, elsewhere the
Inspector's tables, columns, keys, indexes, checks and views as a dict.
"""

from __future__ import annotations

from .catalog import Snapshot
from .compare import compare_snapshots


def snapshot_differences(want, got) -> list[str]:
    """One line per difference between two shapes (empty: the same)."""
    if isinstance(want, Snapshot):
        return [str(difference) for difference in compare_snapshots(want, got)]
    return _inspected_differences(want, got)


def _inspected_differences(want: dict, got: dict) -> list[str]:
    lines = []
    for name in sorted(set(want["tables"]) | set(got["tables"])):
        if name not in got["tables"]:
            lines.append(f"table {name} missing")
        elif name not in want["tables"]:
            lines.append(f"table {name} left behind")
        else:
            lines += [f"{name} {part}" for part, value in want["tables"][name].items()
                      if got["tables"][name][part] != value]
    for name in sorted(set(want["views"]) | set(got["views"])):
        if want["views"].get(name) != got["views"].get(name):
            lines.append(f"view {name}")
    return lines
