"""One difference between what a database should hold and what it holds."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Difference:
    kind: str  # e.g. "missing column", "extra index", "type", "default"
    object: str  # e.g. "stream.status"
    detail: str = ""  # one readable line: "now() in the models, NULL in the database"

    def __str__(self) -> str:
        return f"{self.kind}: {self.object}" + (f" ({self.detail})" if self.detail else "")

    def as_dict(self) -> dict:
        return asdict(self)


def both(expected, actual) -> str:
    """The detail of a changed property: what the models say, then what the database has."""
    return f"{expected} in the models, {actual} in the database"
