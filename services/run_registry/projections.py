"""The registry projection: a pure fold step ``apply(event, seq) -> list[Change]``.

Changes are plain data; ``writer.ReadModelWriter`` turns them into SQL. Nothing here reads
the database, so the same events always produce the same changes (live path and rebuild).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from contracts import events as ev
from contracts.events import JobState, JobType
from contracts.supply_plan import plan_execution


@dataclass(frozen=True, slots=True)
class Upsert:
    """Insert the row, or overwrite the given columns of the row with the same key."""

    table: str
    row: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Update:
    """Set ``values`` on the row matching ``key``; nothing when no row matches."""

    table: str
    key: dict[str, Any]
    values: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Delete:
    table: str
    key: dict[str, Any]


@dataclass(frozen=True, slots=True)
class AdvanceJob:
    """Upsert a job row, but only forward: never out of a final state, never running → queued.
    ``plan_version_id`` and ``run_id`` given as None keep the stored value."""

    row: dict[str, Any]


@dataclass(frozen=True, slots=True)
class RecordRun:
    """A run's final fact (RunCompleted or RunFailed, at ``seq``): insert the run, unless it
    already has a final fact. The first final fact of a run stands, also once the run is
    deleted or dropped by retention; a later one changes nothing and is counted."""

    row: dict[str, Any]
    seq: int


@dataclass(frozen=True, slots=True)
class EnforceRetention:
    """Keep the newest ``max_runs`` runs (started_at, then run_id); the writer knows N."""


@dataclass(frozen=True, slots=True)
class DeleteRun:
    """Remove the run from the history (RunDeleted, at ``at``); what it stored waits for removal
    (``releases``)."""

    run_id: str
    at: datetime


Change = Upsert | Update | Delete | AdvanceJob | RecordRun | EnforceRetention | DeleteRun


def aware(moment: datetime) -> datetime:
    """A time with its zone; one without is UTC. Rows keep the zone the event was written
    with (the same instant); times are stored as UTC microseconds (``db.UtcMicros``)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


E = TypeVar("E")
_APPLY: dict[type, Callable[[Any, int], list[Change]]] = {}


def apply(event: object, seq: int) -> list[Change]:
    """The changes one event makes. Events this projection does not know change nothing
    (the checkpoint still moves). Every job change is also kept as it came (``job_events``),
    whether or not it moves the job: its page tells the job's steps and messages from them."""
    step = _APPLY.get(type(event))
    if step is None:
        return []
    changes = step(event, seq)
    return changes + [_job_event(c.row, seq) for c in changes if type(c) is AdvanceJob]


def _job_event(job: dict[str, Any], seq: int) -> Upsert:
    return Upsert("job_events", {"job_id": job["job_id"], "seq": seq, "state": job["state"],
                                 "progress": job["progress"], "step": job["step"], "message": job["message"],
                                 "at": job["updated_at"]})


def _applies(event_type: type[E]) -> Callable[[Callable[[E, int], list[Change]]], Callable[[E, int], list[Change]]]:
    def register(step: Callable[[E, int], list[Change]]) -> Callable[[E, int], list[Change]]:
        _APPLY[event_type] = step
        return step
    return register


def _job(job_id: str, job_type: JobType, state: JobState, at: datetime, *, progress: float,
         plan_version_id: str | None = None, run_id: str | None = None, step: str = "",
         message: str = "") -> AdvanceJob:
    """Every job change carries the same columns, so a batch of them is one executemany.
    Job type and state are ``StrEnum`` members, stored as their text."""
    at = aware(at)
    return AdvanceJob({
        "job_id": job_id, "job_type": job_type, "state": state, "progress": progress,
        "step": step, "message": message, "plan_version_id": plan_version_id, "run_id": run_id,
        "created_at": at, "updated_at": at})


@_applies(ev.ScenarioCreated)
def _(event: ev.ScenarioCreated, seq: int) -> list[Change]:
    at = aware(event.occurred_at)
    row = {"scenario_id": event.scenario_id, "name": event.name, "description": event.description,
           "tag": event.tag, "parent_id": event.parent_id, "overrides": _overrides(event),
           "created_at": at, "updated_at": at}
    return [Upsert("scenarios", row)]


def _overrides(event: ev.ScenarioCreated | ev.ScenarioUpdated) -> list[dict[str, Any]]:
    return event.model_dump(mode="json", include={"overrides"})["overrides"]


@_applies(ev.ScenarioUpdated)
def _(event: ev.ScenarioUpdated, seq: int) -> list[Change]:
    values = {"name": event.name, "description": event.description, "tag": event.tag,
              "parent_id": event.parent_id, "overrides": _overrides(event), "updated_at": aware(event.occurred_at)}
    return [Update("scenarios", {"scenario_id": event.scenario_id}, values)]


@_applies(ev.ScenarioLocked)
def _(event: ev.ScenarioLocked, seq: int) -> list[Change]:
    at = aware(event.occurred_at)
    values = {"locked": True, "locked_by": event.locked_by, "locked_at": at, "updated_at": at}
    return [Update("scenarios", {"scenario_id": event.scenario_id}, values)]


@_applies(ev.ScenarioUnlocked)
def _(event: ev.ScenarioUnlocked, seq: int) -> list[Change]:
    values = {"locked": False, "locked_by": None, "locked_at": None, "updated_at": aware(event.occurred_at)}
    return [Update("scenarios", {"scenario_id": event.scenario_id}, values)]


@_applies(ev.ScenarioArchived)
def _(event: ev.ScenarioArchived, seq: int) -> list[Change]:
    at = aware(event.occurred_at)
    values = {"archived": True, "archived_by": event.archived_by, "archived_at": at, "updated_at": at}
    return [Update("scenarios", {"scenario_id": event.scenario_id}, values)]


@_applies(ev.ScenarioUnarchived)
def _(event: ev.ScenarioUnarchived, seq: int) -> list[Change]:
    values = {"archived": False, "archived_by": None, "archived_at": None, "updated_at": aware(event.occurred_at)}
    return [Update("scenarios", {"scenario_id": event.scenario_id}, values)]


@_applies(ev.ConfigVersionCreated)
def _(event: ev.ConfigVersionCreated, seq: int) -> list[Change]:
    row = event.model_dump(mode="json", include={
        "config_version_id", "name", "version_tag", "sha256", "planning_days", "counts",
        "warnings", "document"})
    return [Upsert("configs", row | {"created_at": aware(event.occurred_at)})]


@_applies(ev.PlanRequested)
def _(event: ev.PlanRequested, seq: int) -> list[Change]:
    """The plan has a row from its request on: ``planning`` until PlanCreated makes it
    ``ready``. Whether it failed or was cancelled is its planning job's state, which only moves
    forward (``queries`` reads the plan's status through it)."""
    row = event.model_dump(mode="json", include={
        "plan_version_id", "config_version_id", "base_scenario_id", "scenario_name", "job_id", "seed", "options",
        "overrides", "replications"})
    row |= {"status": "planning", "artifacts": [], "kpis": {}, "created_at": aware(event.occurred_at)}
    return [Upsert("plans", row),
            _job(event.job_id, JobType.planning, JobState.queued, event.occurred_at,
                 plan_version_id=event.plan_version_id, progress=0.0)]


@_applies(ev.PlanCreated)
def _(event: ev.PlanCreated, seq: int) -> list[Change]:
    row = event.model_dump(mode="json", include={
        "plan_version_id", "config_version_id", "base_scenario_id", "scenario_name", "job_id",
        "simulation_job_id", "seed", "options", "config", "artifacts", "kpis", "overrides", "config_changes",
        "effective_config_sha256", "replications", "warnings"})
    row |= {"status": "ready", "created_at": aware(event.occurred_at)}
    pv = event.plan_version_id
    return [
        Upsert("plans", row),
        _job(event.job_id, JobType.planning, JobState.succeeded, event.occurred_at,
             plan_version_id=pv, progress=1.0, step="plan_final", message="plan ready"),
        _job(event.simulation_job_id, JobType.simulation, JobState.queued, event.occurred_at,
             plan_version_id=pv, progress=0.0),
        _simulation_request(event.simulation_job_id, pv, *plan_execution(event.options, event.artifacts)),
    ]


def _simulation_request(job_id: str, plan_version_id: str, execution: str, supply_plan: ev.ArtifactRef | None) -> Upsert:
    """Which supply plan (of which revision of the plan) a simulation job executes; none for "policy"."""
    executed = supply_plan.sha256 if supply_plan is not None and execution == "plan" else None
    return Upsert("simulation_requests", {"job_id": job_id, "plan_version_id": plan_version_id,
                                          "supply_plan_sha256": executed})


@_applies(ev.RunRequested)
def _(event: ev.RunRequested, seq: int) -> list[Change]:
    return [_job(event.job_id, JobType.simulation, JobState.queued, event.occurred_at,
                 plan_version_id=event.plan_version_id, progress=0.0),
            _simulation_request(event.job_id, event.plan_version_id, event.execution, event.supply_plan)]


@_applies(ev.JobProgress)
def _(event: ev.JobProgress, seq: int) -> list[Change]:
    return [_job(event.job_id, event.job_type, event.state, event.occurred_at,
                 plan_version_id=event.plan_version_id, run_id=event.run_id,
                 progress=event.progress, step=event.step, message=event.message)]


def _run_row(event: ev.RunCompleted | ev.RunFailed) -> dict[str, Any]:
    return {
        "run_id": event.run_id, "plan_version_id": event.plan_version_id,
        "config_version_id": event.config_version_id, "scenario_id": event.scenario_id,
        "scenario_name": event.scenario_name, "scenario_name_lc": event.scenario_name.lower(),
        "job_id": event.job_id, "started_at": aware(event.started_at),
        "finished_at": aware(event.finished_at),
    }


@_applies(ev.RunCompleted)
def _(event: ev.RunCompleted, seq: int) -> list[Change]:
    summary = event.summary.model_dump(mode="json")
    row = _run_row(event) | {
        "seed": event.seed, "replication": event.replication, "duration_ms": event.duration_ms, "status": "succeeded",
        "stub": event.stub, "reason": "", "summary": summary, "fill_rate": summary["fill_rate"],
        "profit_total": summary["profit_total"],
        "results": event.results.model_dump(mode="json") if event.results else None,
    }
    return [RecordRun(row, seq), EnforceRetention()]


@_applies(ev.RunFailed)
def _(event: ev.RunFailed, seq: int) -> list[Change]:
    elapsed = (aware(event.finished_at) - aware(event.started_at)).total_seconds() * 1000
    row = _run_row(event) | {
        "seed": None, "replication": None, "duration_ms": max(elapsed, 0.0), "status": "failed", "stub": False,
        "reason": event.reason, "summary": {}, "fill_rate": None, "profit_total": None,
        "results": None,
    }
    return [RecordRun(row, seq), EnforceRetention()]


@_applies(ev.RunDeleted)
def _(event: ev.RunDeleted, seq: int) -> list[Change]:
    deleted = {"run_id": event.run_id, "deleted_by": event.deleted_by, "deleted_at": aware(event.occurred_at)}
    return [DeleteRun(event.run_id, aware(event.occurred_at)), Upsert("deleted_runs", deleted)]


@_applies(ev.StoredObjectsDeleted)
def _(event: ev.StoredObjectsDeleted, seq: int) -> list[Change]:
    return [Delete("pending_object_deletions", {"bucket": o.bucket, "key": o.key}) for o in event.objects]


@_applies(ev.AggregateRequested)
def _(event: ev.AggregateRequested, seq: int) -> list[Change]:
    row = event.model_dump(include={"job_id", "run_id", "plan_version_id", "bucket", "group_by"})
    row |= {"status": "requested", "requested_at": aware(event.occurred_at)}
    return [Upsert("aggregates", row),
            _job(event.job_id, JobType.aggregate, JobState.queued, event.occurred_at,
                 plan_version_id=event.plan_version_id, run_id=event.run_id, progress=0.0)]


@_applies(ev.AggregateCompleted)
def _(event: ev.AggregateCompleted, seq: int) -> list[Change]:
    row = event.model_dump(mode="json", include={
        "job_id", "run_id", "plan_version_id", "bucket", "group_by", "artifact", "rows"})
    row |= {"status": "completed", "completed_at": aware(event.occurred_at)}
    return [Upsert("aggregates", row)]


@_applies(ev.RunApproved)
def _(event: ev.RunApproved, seq: int) -> list[Change]:
    """The first approval stands (a second one changes nothing)."""
    return [_approve(event.run_id, event.approved_by, event.occurred_at)]


def _approve(run_id: str, by: str, at: datetime) -> Update:
    return Update("runs", {"run_id": run_id, "approved": False},
                  {"approved": True, "approved_by": by, "approved_at": aware(at)})


@_applies(ev.BaselinePromoted)
def _(event: ev.BaselinePromoted, seq: int) -> list[Change]:
    """The scenario's baseline is this run now; the one it replaced keeps its approval. A
    baseline is approved (its RunApproved comes first; should it not, it is approved here)."""
    row = {"scenario_id": event.scenario_id, "run_id": event.run_id, "promoted_by": event.promoted_by,
           "promoted_at": aware(event.occurred_at)}
    return [_approve(event.run_id, event.promoted_by, event.occurred_at), Upsert("baselines", row)]


@_applies(ev.RunArchived)
def _(event: ev.RunArchived, seq: int) -> list[Change]:
    values = {"archived": True, "archived_by": event.archived_by, "archived_at": aware(event.occurred_at)}
    return [Update("runs", {"run_id": event.run_id}, values)]


@_applies(ev.RunUnarchived)
def _(event: ev.RunUnarchived, seq: int) -> list[Change]:
    return [Update("runs", {"run_id": event.run_id}, {"archived": False, "archived_by": None, "archived_at": None})]


@_applies(ev.RunNoteAdded)
def _(event: ev.RunNoteAdded, seq: int) -> list[Change]:
    row = {"note_id": event.note_id, "run_id": event.run_id, "text": event.text, "author": event.author,
           "created_at": aware(event.occurred_at)}
    return [Upsert("run_notes", row)]


@_applies(ev.RunTagsChanged)
def _(event: ev.RunTagsChanged, seq: int) -> list[Change]:
    """Removed after added: a tag named in both is gone. Rows are keyed by (run, tag) alone, so
    changes of one tag keep their order within a batch."""
    at = aware(event.occurred_at)
    added = [Upsert("run_tags", {"run_id": event.run_id, "tag": tag, "tagged_by": event.changed_by, "tagged_at": at})
             for tag in dict.fromkeys(event.added)]
    return [*added, *(Delete("run_tags", {"run_id": event.run_id, "tag": tag}) for tag in dict.fromkeys(event.removed))]


from services.run_registry import imports, review_projection  # noqa: F401 - register their facts' steps
