"""A finding of `luna-db check` or of the lint: what, where, and whether a revision accepted it."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass
class Finding:
    kind: str  # multiple-heads, upgrade-failed, model-mismatch, stairway, or a lint rule
    revision: str | None
    object: str
    message: str
    accepted: bool = False
    reason: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        where = f" [{self.revision}]" if self.revision else ""
        text = f"{self.kind}{where} {self.object}: {self.message}"
        return f"{text} (accepted: {self.reason})" if self.accepted else text
