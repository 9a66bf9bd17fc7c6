"""`luna-db status`: what the database holds against the history and the models, read-only."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from ..analysis.schema.difference import Difference
from ..config.settings import DbSettings
from ..db import audit
from ..db.catalog_queries import table_names
from ..db.connect import RetryPolicy, connect
from ..db.dead_runs import ROLLED_BACK, unfinished_steps
from ..db.tool_tables import current_revisions
from ..script.known_checksums import checksum_mismatches, rewritten_revisions
from ..script.revisions import linear_history
from .common import schema_of
from .drift import schema_drift
from .guards import check_foreign_revisions, refuse_without_history

if TYPE_CHECKING:
    from .credentials import KeptCredentials


@dataclass(frozen=True)
class Status:
    schema: str
    database: str  # the DSN, password masked
    current: list[str]
    heads: list[str]
    pending: list[str]  # oldest first
    at_head: bool
    drift: list[Difference] | None  # None: not compared (the database is not at head)
    checksum_mismatches: list[dict]
    audit: list[dict]  # the last ten rows
    unfinished: list[dict]
    #: backport3: the credentials b0002 keeps until removed on request (not drift); None: none kept.
    kept_credentials: KeptCredentials | None = None
    # Applied in a known earlier form of the file (script/known_checksums.py): explained, not tampering.
    rewritten: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            self.at_head and not self.drift
            and all(step["state"] == ROLLED_BACK for step in self.unfinished)
        )

    def as_dict(self) -> dict:
        data = asdict(self)
        data["drift"] = [d.as_dict() for d in self.drift] if self.drift is not None else None
        data["kept_credentials"] = self.kept_credentials.as_dict() if self.kept_credentials else None
        data["ok"] = self.ok
        return data


def status(settings: DbSettings, *, policy: RetryPolicy | None = None) -> Status:
    """Current revision, heads, pending revisions, drift, and the audit trail's news."""
    schema = schema_of(settings)
    # The history read once, from the revision files: a status needs no Alembic.
    order = linear_history(schema)
    ids = [revision.revision for revision in order]
    head_ids = ids[-1:]
    with connect(settings, policy) as connection:
        # One catalog query for both of luna-db's tables that status reads.
        tables = table_names(connection)
        now = current_revisions(connection, tables)
        refuse_without_history(connection, now)
        check_foreign_revisions(schema, now)
        # The current revisions and everything below them: the history is one line.
        applied = ids[:max(ids.index(revision) for revision in now) + 1] if now else []
        pending = ids[len(applied):]
        at_head = not pending and sorted(now) == sorted(head_ids)
        # Drift is measured against the models, which describe the head: a
        # database behind it differs by its pending migrations, not by drift.
        drift = schema_drift(connection, schema) if at_head else None
        trail = audit.audit_rows(connection, tables)
        unfinished = unfinished_steps(connection, trail)
        kept = _kept_credentials(connection) if schema == "backport3" else None
    paths = {revision.revision: revision.path for revision in order}
    return Status(
        schema=schema,
        database=settings.masked_dsn(),
        current=now,
        heads=head_ids,
        pending=pending,
        at_head=at_head,
        drift=drift,
        checksum_mismatches=checksum_mismatches(trail, paths, applied),
        audit=trail[-10:],
        unfinished=unfinished,
        kept_credentials=kept,
        rewritten=rewritten_revisions(trail, paths, applied),
    )


def _kept_credentials(connection) -> KeptCredentials | None:
    from .credentials import kept_credentials  # backport3's alone: its module brings the migration session

    return kept_credentials(connection)
