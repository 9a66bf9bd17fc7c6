"""The one finding type: what `luna-db check`'s checks and the lint report, where, and whether it is accepted."""

from __future__ import annotations

from dataclasses import dataclass

#: The fix of each kind of `luna-db check` finding that is not a lint rule's
#: (a lint rule's message carries its own: "problem; fix").
CHECK_FIXES = {
    "multiple-heads": "",  # its message says it: merge them or fix a down_revision
    "upgrade-failed": "fix the revision (the server's reason above), then run the check again",
    "model-mismatch": "write a revision that makes the same change, or change the model back",
    "checksum": "restore the applied revision file, or list its earlier form in luna_db_tools/script/known_checksums.py with the reason",
    "stairway": "make the revision's downgrade undo exactly what its upgrade does",
    "breaks-running-release": ("make the change the expand/contract way (README, \"Writing migrations: keep the running "
                               "release working\"), or accept it and stop the old release before this revision"),
}
#: The reason a finding judged harmless against the schema is accepted with ("not a hazard:
#: varchar(64)→varchar(128) is catalog-only"); listed with -v and in the JSON, not failing.
NOT_A_HAZARD = "not a hazard: "


@dataclass(frozen=True)
class Finding:
    """A hazard or a failed check.

    A finding read in a script (the lint) has the `source` and `line` of its
    statement; one of `luna-db check`'s history checks (multiple-heads,
    upgrade-failed, model-mismatch, checksum, stairway, or a lint rule judged
    for a revision) has the `revision` it belongs to. Each renders as its
    report has always shown it.
    """

    rule: str                      # a lint rule, or a check's kind
    revision: str | None = None
    object: str | None = None      # table, table.column or table.index (what accept comments name)
    message: str = ""
    accepted: str | None = None    # the reason, when an accept comment covers the finding
    source: str | None = None      # the file, "<stdin>", or "REVISION upgrade|downgrade"
    line: int | None = None        # 1-based line of the statement in its source
    statement: str | None = None
    engine: str | None = None      # "squawk" or "luna-db"

    @property
    def not_a_hazard(self) -> bool:
        """Accepted by luna-db's own judgement of the schema, not by an accept comment."""
        return bool(self.accepted) and self.accepted.startswith(NOT_A_HAZARD)

    @property
    def in_script(self) -> bool:
        return self.line is not None

    def as_dict(self) -> dict:
        if self.in_script:
            return {"rule": self.rule, "message": self.message, "source": self.source, "line": self.line,
                    "statement": self.statement, "engine": self.engine, "object": self.object,
                    "accepted": self.accepted}
        return {"kind": self.rule, "revision": self.revision, "object": self.object, "message": self.message,
                "accepted": self.accepted is not None, "reason": self.accepted}

    def __str__(self) -> str:
        if self.in_script:
            text = f"{self.source}:{self.line}: {self.rule}: {self.message}"
        else:
            where = f" [{self.revision}]" if self.revision else ""
            text = f"{self.rule}{where} {self.object}: {self.message}"
            if CHECK_FIXES.get(self.rule):
                text += f"; {CHECK_FIXES[self.rule]}"
        return f"{text} (accepted: {self.accepted})" if self.accepted else text
