"""Queries on the run registry's read models (request/reply on ``scpln.qry.registry.*``).

Every reply carries ``last_seq`` (the stream sequence the read model has applied) and
``lag`` (how many events it is behind the stream). A query may pass ``min_seq`` to wait, for
a bounded time, until the read model has applied that sequence (read-your-writes).
"""

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from contracts.envelope import INT64_MAX, Contract
from contracts.events import ArtifactRef, JobState, JobType

RunSort = Literal["started_at", "finished_at", "duration_ms", "fill_rate", "profit_total"]


class Consistency(Contract):
    min_seq: int = Field(default=0, ge=0, le=INT64_MAX, description="Wait until the read model has applied this stream sequence.")


class ReadModelPosition(Contract):
    last_seq: int = Field(default=0, description="Last stream sequence applied to the read model.")
    lag: int = Field(default=0, description="Events in the stream not yet applied.")


class ListRuns(Consistency):
    plan_version_id: str | None = Field(default=None, description="Only runs of this plan version.")
    scenario_id: str | None = Field(default=None, description="Only runs of this scenario.")
    scenario_name: str | None = Field(default=None, description="Scenario name contains this (any case).")
    config_version_id: str | None = Field(default=None, description="Only runs of this config version.")
    status: Literal["succeeded", "failed"] | None = Field(default=None, description="Run status.")
    since: datetime | None = Field(default=None, description="Started at or after.")
    until: datetime | None = Field(default=None, description="Started before.")
    sort: RunSort = Field(default="started_at", description="Sort key.")
    order: Literal["asc", "desc"] = Field(default="desc", description="Sort order.")
    limit: int = Field(default=50, ge=1, le=1000, description="Page size.")
    offset: int = Field(default=0, ge=0, le=INT64_MAX, description="Rows to skip (ignored with cursor).")
    cursor: str | None = Field(default=None, description="Opaque cursor from a previous page.")


class RunRow(Contract):
    run_id: str
    plan_version_id: str
    config_version_id: str
    scenario_id: str
    scenario_name: str
    job_id: str
    started_at: datetime
    finished_at: datetime
    duration_ms: float
    status: Literal["succeeded", "failed"]
    stub: bool = False
    seed: int | None = None
    reason: str = ""
    summary: dict[str, Any] = Field(default_factory=dict)
    results: ArtifactRef | None = None


class RunsPage(ReadModelPosition):
    runs: list[RunRow]
    total: int
    limit: int
    offset: int
    next_cursor: str | None = None


class GetRun(Consistency):
    run_id: str


class RunDetail(ReadModelPosition):
    run: RunRow
    plan: dict[str, Any] | None = None
    scenario: dict[str, Any] | None = None
    config: dict[str, Any] | None = None


class CompareRuns(Consistency):
    run_ids: list[str] = Field(min_length=2, max_length=20)
    base_id: str | None = None
    threshold: float = Field(default=0.05, ge=0, description="Relative difference that flags a KPI.")
    keys: list[str] | None = None


class KpiComparison(Contract):
    key: str
    values: dict[str, float | None]
    diff_abs: dict[str, float | None]
    diff_pct: dict[str, float | None]
    flagged: dict[str, bool]


class Comparison(ReadModelPosition):
    base_id: str
    runs: list[RunRow]
    kpis: list[KpiComparison]


PlanStatus = Literal["planning", "ready", "failed", "cancelled"]


class ListPlans(Consistency):
    base_scenario_id: str | None = None
    config_version_id: str | None = None
    status: PlanStatus | None = Field(default=None, description="Only plans in this state.")
    limit: int = Field(default=50, ge=1, le=1000)
    offset: int = Field(default=0, ge=0, le=INT64_MAX)


class PlanRow(Contract):
    plan_version_id: str
    config_version_id: str
    base_scenario_id: str
    scenario_name: str
    job_id: str
    status: PlanStatus = Field(description=(
        "planning (its planning job is queued or running), ready (planned: it can be simulated), failed or "
        "cancelled (its planning job ended without a plan; failed_step and reason say where and why)."))
    failed_step: str = Field(default="", description="The pipeline step a failed plan stopped at (e.g. 'mrp', "
                                                     "'options').")
    reason: str = Field(default="", description="Why a failed or cancelled plan has no plan: the planning job's "
                                                "last message.")
    seed: int | None = None
    options: dict[str, Any] = Field(default_factory=dict, description="Planner options it was requested with.")
    created_at: datetime
    artifacts: list[ArtifactRef] = Field(default_factory=list)
    kpis: dict[str, float] = Field(default_factory=dict)
    run_count: int = 0
    latest_run_id: str | None = None
    latest_fill_rate: float | None = None


class PlansPage(ReadModelPosition):
    plans: list[PlanRow]
    total: int


class GetPlan(Consistency):
    plan_version_id: str


class AggregateRow(Contract):
    """An aggregate job over one of the plan's runs, and the table it produced."""

    job_id: str
    run_id: str
    plan_version_id: str
    bucket: str
    group_by: str
    status: str
    artifact: ArtifactRef | None = None
    rows: int | None = None
    requested_at: datetime | None = None
    completed_at: datetime | None = None


class PlanDetail(ReadModelPosition):
    plan: PlanRow
    runs: list[RunRow]
    aggregates: list[AggregateRow] = Field(default_factory=list)


class ListJobs(Consistency):
    state: JobState | None = None
    job_type: JobType | None = None
    unfinished: bool = Field(default=False, description="Only jobs still queued or running.")
    updated_before: datetime | None = Field(default=None, description=(
        "Only jobs whose last change is older than this: with unfinished, the jobs without progress since."))
    limit: int = Field(default=100, ge=1, le=1000)
    offset: int = Field(default=0, ge=0, le=INT64_MAX)


class JobRow(Contract):
    job_id: str
    job_type: JobType
    state: JobState
    progress: float
    step: str
    message: str
    plan_version_id: str | None = None
    run_id: str | None = None
    created_at: datetime
    updated_at: datetime


class JobsPage(ReadModelPosition):
    jobs: list[JobRow]
    total: int


class GetJob(Consistency):
    job_id: str


class JobDetail(ReadModelPosition):
    job: JobRow


class ListScenarios(Consistency):
    include_archived: bool = True


class ScenarioRow(Contract):
    scenario_id: str
    name: str
    description: str = ""
    tag: str = ""
    parent_id: str | None = None
    locked: bool = False
    locked_by: str | None = None
    locked_at: datetime | None = None
    archived: bool = False
    archived_by: str | None = None
    archived_at: datetime | None = None
    created_at: datetime
    updated_at: datetime


class ScenariosPage(ReadModelPosition):
    scenarios: list[ScenarioRow]


class GetScenario(Consistency):
    scenario_id: str


class ScenarioDetail(ReadModelPosition):
    scenario: ScenarioRow


class ListConfigs(Consistency):
    limit: int = Field(default=100, ge=1, le=1000)
    offset: int = Field(default=0, ge=0, le=INT64_MAX)


class ConfigRow(Contract):
    config_version_id: str
    name: str
    version_tag: str = ""
    sha256: str
    planning_days: int
    counts: dict[str, int]
    warnings: list[dict[str, str]] = Field(default_factory=list)
    document: ArtifactRef
    created_at: datetime


class ConfigsPage(ReadModelPosition):
    configs: list[ConfigRow]
    total: int


class GetConfig(Consistency):
    config_version_id: str


class ConfigDetail(ReadModelPosition):
    config: ConfigRow


class DeadLetter(Contract):
    """A message of the log the registry set aside instead of applying (the log keeps it)."""

    seq: int = Field(description="Its stream sequence.")
    subject: str = Field(description="The subject it was stored on.")
    reason: str = Field(description="Why it was not applied: no event the registry reads (not JSON, an unknown "
                                    "type, the wrong subject, a schema version it does not know), or the error "
                                    "applying it raised.")
    attempts: int = Field(description="How many times applying it was tried; 0 when it could not be read.")
    recorded_at: datetime = Field(description="When the registry set it aside.")


class RegistryStatus(ReadModelPosition):
    runs: int = Field(description="Runs in the read model.")
    runs_dropped_by_retention: int = Field(default=0, description="Runs RUNS_DB_MAX_ROWS dropped (the log keeps them).")
    dead_letters: int = Field(default=0, description="Messages set aside in dead_letters instead of applied: "
                                                     "unreadable, or failing to apply.")
    events_undecodable: int = Field(default=0, description="Of those, messages of the log that are no event the "
                                                           "registry reads (also dead letters).")
    duplicate_final_facts: int = Field(default=0, description=(
        "RunCompleted or RunFailed events for a run that already had its final fact: the first stands, these "
        "changed nothing."))
    latest_dead_letters: list[DeadLetter] = Field(default_factory=list, description="The newest dead letters "
                                                                                      "(highest sequence first).")
