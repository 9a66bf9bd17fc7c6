"""`luna-db adopt`: take over a database that has the schema but no migration history.

It finds the revision whose schema the database matches exactly, by
structure (analysis/schema/adopt.py), and then, holding the migration lock, in one
short transaction: renames the constraints and indexes that carry other
names to the models' names (ALTER ... RENAME touches the catalog only, no
table is rewritten or scanned), and records the revision in
`alembic_version`. The audit trail gets an `adopt` row, with the differences
when `--force` stamped a revision that did not match.

No match: nothing is written; the result names the nearest revision and
each difference from it (the CLI exits 1).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from ..analysis.schema.adopt import Adoption, Rename, RevisionMatch, match_history
from ..analysis.schema.difference import Difference
from ..db import audit
from ..db.lock import DEFAULT_LOCK_TIMEOUT
from ..db.session import migration_session
from ..db.tool_tables import has_version_rows, write_version
from ..errors import BadInput, OperationFailed
from ..script.revisions import history_order
from .catalog_reader import read_snapshot
from .common import schema_of, silent

# A rename waits for no one for long: it needs a short exclusive lock on its table.
RENAME_LOCK_TIMEOUT = "5s"


@dataclass
class AdoptResult:
    schema: str
    revision: str | None  # the revision adopted (or that would be, with --dry-run)
    exact: bool
    stamped: bool
    dry_run: bool
    reason: str  # one line: why this revision, or why none
    renames: list[Rename] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)
    exact_revisions: list[str] = field(default_factory=list)
    forced: bool = False  # --force: the nearest revision even if it does not match

    @property
    def ok(self) -> bool:
        """Exit 0: stamped, or (--dry-run) would be."""
        return self.exact or self.stamped or (self.dry_run and self.forced)

    def as_dict(self) -> dict:
        return {
            "schema": self.schema, "revision": self.revision, "exact": self.exact, "stamped": self.stamped,
            "dry_run": self.dry_run, "forced": self.forced, "reason": self.reason, "exact_revisions": self.exact_revisions,
            "renames": [{"kind": r.kind, "table": r.table, "from": r.live, "to": r.model, "sql": r.sql()}
                        for r in self.renames],
            "differences": [d.as_dict() for d in self.differences],
        }


def has_history(connection) -> bool:
    return has_version_rows(connection)


def choose(adoption: Adoption, revision: str | None) -> tuple[RevisionMatch, str]:
    """The revision to adopt and why, in one line."""
    if revision is not None:
        chosen = adoption.match(revision)
        if chosen is None:
            raise BadInput(f"no fingerprint of {revision} ships with this luna-db")
        why = "matches exactly" if chosen.exact else f"differs in {len(chosen.differences)} place(s)"
        return chosen, f"{revision} (asked for) {why}"
    nearest = adoption.nearest
    if nearest.exact:
        also = [r for r in adoption.exact if r != nearest.revision]
        tail = f" (as do {', '.join(also)}, older; the latest is taken)" if also else ""
        return nearest, f"the schema matches {nearest.revision} exactly{tail}"
    return nearest, (f"no revision matches; the nearest is {nearest.revision}, "
                     f"with {len(nearest.differences)} difference(s)")


def adopt_connection(connection, schema: str, *, revision: str | None = None, force: bool = False,
                     dry_run: bool = False, pg_schema: str | None = None) -> AdoptResult:
    """The whole of adopt on an open connection (the caller holds the migration lock)."""

    if connection.dialect.name != "postgresql":
        raise OperationFailed("adopt reads PostgreSQL's catalogs; Oracle databases are not supported yet")
    if revision is not None and revision not in history_order(schema):
        raise BadInput(f"{revision} is not a revision of the {schema} history")
    if has_history(connection):
        raise OperationFailed("the database is already under migration control: use `luna-db upgrade`")
    live = read_snapshot(connection, pg_schema)
    if live.is_empty():
        raise OperationFailed("the database holds no schema to adopt: use `luna-db create`")
    connection.rollback()  # reading done; what follows is one short transaction

    adoption = match_history(live, schema, history_order(schema))
    chosen, reason = choose(adoption, revision)
    result = AdoptResult(schema, chosen.revision, chosen.exact, False, dry_run, reason,
                         list(chosen.renames), list(chosen.differences), list(adoption.exact), forced=force)
    if not chosen.exact and not force:
        result.revision = None if revision is None else revision
        return result
    if dry_run:
        return result


    started = audit.utc_now()
    connection.execute(sa.text(f"SET LOCAL lock_timeout = '{RENAME_LOCK_TIMEOUT}'"))
    for rename in chosen.renames:
        connection.execute(sa.text(rename.sql()))
    write_version(connection, chosen.revision)
    connection.commit()
    audit.ensure_audit_table(connection)
    _record(connection, chosen, started, forced=not chosen.exact)
    connection.commit()
    result.stamped = True
    return result


def _record(connection, chosen: RevisionMatch, started, forced: bool) -> None:
    """The audit row; a forced adoption keeps its differences in `error` (500 characters)."""
    finished = audit.utc_now()
    note = None
    if forced:
        note = (f"forced with {len(chosen.differences)} difference(s): "
                + "; ".join(str(d) for d in chosen.differences))[:500]
    connection.execute(audit.audit_table().insert().values(
        **audit._new_row(chosen.revision, "adopt", started, None), outcome=audit.DONE,
        finished_at=finished, duration_ms=audit._milliseconds(started, finished), error=note,
    ))


def plan_adoption(connection, schema: str, pg_schema: str | None = None) -> Adoption:
    """Read the database behind `connection` and match it against the whole history of `schema`."""
    return match_history(read_snapshot(connection, pg_schema), schema, history_order(schema))


def adopt(settings, *, revision: str | None = None, force: bool = False, dry_run: bool = False,
          policy=None, lock_timeout: float | None = None, report=silent) -> AdoptResult:
    """`luna-db adopt` on the database `settings` point at, under the migration lock."""

    schema = schema_of(settings)
    timeout = DEFAULT_LOCK_TIMEOUT if lock_timeout is None else lock_timeout
    with migration_session(settings, policy, lock_timeout=timeout, report=report) as connection:
        return adopt_connection(connection, schema, revision=revision, force=force, dry_run=dry_run)
