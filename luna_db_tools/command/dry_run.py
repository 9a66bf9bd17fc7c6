"""`luna-db upgrade/downgrade --dry-run`: what a migration would do, over one read-only connection.

The plan is the one a real run makes (command/migrate.read_plan: the same
guards, then runtime/history.plan_steps), and for each step: the locks its statements take on which
tables, with the rows involved estimated from the live statistics
(analysis/impact.plan_impacts over the step's own offline SQL, its type
changes judged against the live catalog's column types as the steps before
it leave them; PostgreSQL only), and the rows its destructions would take now
(command/data_loss.py), and whether the release running before it keeps
working through it (command/running_release.plan_verdicts: its workload
replayed in a throwaway database of its own on the same server, never in
the live one). Nothing is written to the live database.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..analysis.data_loss import Loss
from ..analysis.impact import StatementImpact, plan_impacts
from ..analysis.schema.catalog import column_types
from ..config.settings import DbSettings
from ..db.connect import connect
from ..db.statistics import row_estimates
from ..runtime.offline import render_migration
from ..script.history import PlannedStep, check_revision_argument, script_directory
from .catalog_reader import read_snapshot
from .common import schema_of
from .data_loss import step_losses
from .migrate import read_plan
from .running_release import StepVerdict, plan_verdicts


@dataclass
class DryRun:
    """The steps a migration would run, each with its statements' impact, and the data it would destroy."""

    schema: str
    direction: str  # upgrade, downgrade
    target: str
    steps: list[PlannedStep] = field(default_factory=list)
    impacts: dict[str, list[StatementImpact]] = field(default_factory=dict)  # by revision
    losses: list[Loss] = field(default_factory=list)
    verdicts: dict[str, StepVerdict] = field(default_factory=dict)  # by revision
    not_checked: str | None = None  # why the running release was not checked

    def impact_of(self, step: PlannedStep) -> list[StatementImpact]:
        return self.impacts.get(step.revision, [])

    def verdict_of(self, step: PlannedStep) -> StepVerdict:
        """Whether the release running before `step` keeps working through it (not checked: why)."""
        return self.verdicts.get(step.revision) or StepVerdict(checked=False, note=self.not_checked)

    @property
    def breaking_steps(self) -> list[PlannedStep]:
        return [step for step in self.steps if self.verdict_of(step).breaks]

    def as_dict(self) -> dict:
        return {
            "schema": self.schema, "direction": self.direction, "target": self.target,
            "steps": [{**step.as_dict(), "impact": [i.as_dict() for i in self.impact_of(step)],
                       "running_release": self.verdict_of(step).as_dict()} for step in self.steps],
            "data_loss": [loss.as_dict() for loss in self.losses],
        }


def dry_run(settings: DbSettings, revision: str, direction: str) -> DryRun:
    """Plan an upgrade or downgrade to `revision` as a run would, and say what each step would do."""
    schema = schema_of(settings)
    check_revision_argument(schema, revision)
    with connect(settings) as connection:
        current, steps = read_plan(connection, schema, revision, direction)
        losses = step_losses(connection, schema, steps)
        impacts = _impacts(connection, schema, steps)
    verdicts, not_checked = plan_verdicts(settings, schema, current, steps)
    return DryRun(settings.schema, direction, revision, steps, impacts, losses, verdicts, not_checked)


def _impacts(connection, schema: str, steps: list[PlannedStep]) -> dict[str, list[StatementImpact]]:
    """Each step's statements' locks and rows on this database (PostgreSQL; {} for Oracle)."""
    if not steps or connection.dialect.name != "postgresql":
        return {}
    estimates = row_estimates(connection)
    types = column_types(read_snapshot(connection))  # what each ALTER COLUMN ... TYPE is judged against
    return plan_impacts(((step.revision, _step_sql(schema, step)) for step in steps), estimates, types)


def _step_sql(schema: str, step: PlannedStep) -> str:
    """The PostgreSQL script of one step, as offline mode renders it."""
    if step.direction == "up":
        below = script_directory(schema).get_revision(step.revision).down_revision or "base"
        return render_migration(schema, "postgres", f"{below}:{step.revision}", "upgrade")
    return render_migration(schema, "postgres", f"{step.revision}:{step.target}", "downgrade")
