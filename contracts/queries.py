"""Queries on the run registry's read models (request/reply on ``scpln.qry.registry.*``).

Every reply carries ``last_seq`` (the stream sequence the read model has applied) and
``lag`` (how many events it is behind the stream). A query may pass ``min_seq`` to wait, for
a bounded time, until the read model has applied that sequence (read-your-writes).
"""

from datetime import datetime
from typing import Any, Literal

from pydantic import Field, model_validator

from contracts.distribution import KpiDistribution
from contracts.envelope import INT64_MAX, Contract
from contracts.events import ArtifactRef, JobState, JobType, RunWarning
from contracts.overrides import AppliedOverride, ConfigChange, Overrides, ScenarioOverride
from contracts.storage import StorageStatus

RunSort = Literal["started_at", "finished_at", "duration_ms", "fill_rate", "profit_total"]


class Consistency(Contract):
    min_seq: int = Field(default=0, ge=0, le=INT64_MAX, description="Wait until the read model has applied this stream sequence.")


class ReadModelPosition(Contract):
    last_seq: int = Field(default=0, description="Last stream sequence applied to the read model.")
    lag: int = Field(default=0, description="Events in the stream not yet applied.")


class ListRuns(Consistency):
    plan_version_id: str | None = Field(default=None, description="Only runs of this plan version.")
    plan_version_prefix: str | None = Field(default=None, max_length=200, description=(
        "Only runs of plan versions whose id starts with this (e.g. 'plan_c49'; a whole id matches its plan "
        "version, as plan version ids have one length)."))
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
    approved: bool | None = Field(default=None, description="Only approved runs (true) or only the others (false).")
    baseline: bool | None = Field(default=None, description="Only the scenarios' baseline runs (true) or only the "
                                                            "others (false).")
    archived: Literal["hide", "include", "only"] = Field(default="hide", description=(
        "Archived runs: hidden (the default), shown with the others, or only they."))
    tag: str | None = Field(default=None, max_length=200, description="Only runs carrying this tag (exact).")
    origin: Literal["imported", "legacy"] | None = Field(default=None, description=(
        "Only runs imported from the original scpln (imported), or only those of them it ran without a plan, by "
        "its retired scenario-run path (legacy)."))
    legacy_scenario_id: int | None = Field(default=None, ge=0, le=INT64_MAX, description=(
        "Only runs imported from the original scpln whose scenario there had this integer id."))
    legacy_config_version_id: int | None = Field(default=None, ge=0, le=INT64_MAX, description=(
        "Only runs imported from the original scpln whose config version there had this integer id."))
    legacy_source: str | None = Field(default=None, max_length=64, description=(
        "With legacy_scenario_id / legacy_config_version_id: only runs imported from this source database (its "
        "key, as `scpln legacy import` prints it); without it, from any."))


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
    replication: int | None = Field(default=None, description=(
        "Index of the run among its plan's replications (its seed derives from the plan's); None when its seed came "
        "from the request, or it ran before replications."))
    reason: str = ""
    summary: dict[str, Any] = Field(default_factory=dict)
    results: ArtifactRef | None = None
    approved: bool = Field(default=False, description="Approved (RunApproved); retention never drops it.")
    baseline: bool = Field(default=False, description="Its scenario's baseline (BaselinePromoted).")
    archived: bool = Field(default=False, description="Archived: the run history hides it unless asked for.")
    tags: list[str] = Field(default_factory=list, description="Its tags, sorted.")


class RunsPage(ReadModelPosition):
    runs: list[RunRow]
    total: int
    limit: int
    offset: int
    next_cursor: str | None = None


class GetRun(Consistency):
    run_id: str


class ImportOrigin(Contract):
    """Where an imported fact came from: a row of an original scpln database (LegacyRowImported)."""

    source: str = Field(description="Key of the source database (the namespace of the ids it was given here).")
    source_file: str = Field(description="Name of the database file imported.")
    imported_from: str = Field(description="sha256 of that file when the row was imported.")
    source_table: str = Field(description="The original's table: runs, plan_versions, scenarios, canonical_config_versions.")
    original_id: str = Field(description="The row's id in the original (its integer id, version_id or run_id).")


def _import_origins() -> Any:
    return Field(default_factory=dict, description=(
        "Where the facts shown came from, by kind (run, plan, scenario, config), for those imported from the "
        "original scpln."))


class RunDetail(ReadModelPosition):
    run: RunRow
    plan: dict[str, Any] | None = None
    scenario: dict[str, Any] | None = None
    config: dict[str, Any] | None = None
    imported: dict[str, ImportOrigin] = _import_origins()


class CompareRuns(Consistency):
    run_ids: list[str] = Field(min_length=1, max_length=20, description=(
        "The runs to compare: at least two, or one with base 'baseline'."))
    base_id: str | None = None
    base: Literal["baseline"] | None = Field(default=None, description=(
        "'baseline': each run is compared with its scenario's baseline run (which the comparison adds), instead "
        "of one base run; base_id is then the first run's baseline."))
    threshold: float = Field(default=0.05, ge=0, description="Relative difference that flags a KPI.")
    keys: list[str] | None = None

    @model_validator(mode="after")
    def _two_runs_or_baselines(self) -> "CompareRuns":
        if len(set(self.run_ids)) < 2 and self.base != "baseline":
            raise ValueError("compare at least two runs (or one with base 'baseline')")
        return self


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
    bases: dict[str, str] = Field(default_factory=dict, description=(
        "With base 'baseline': each compared run's base, its scenario's baseline run (runs whose scenario has "
        "none are left out, and their differences are null)."))
    without_baseline: list[str] = Field(default_factory=list, description=(
        "With base 'baseline': the runs whose scenario has no baseline."))


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
    overrides: list[AppliedOverride | ScenarioOverride] = Field(default_factory=list, description=(
        "The what-ifs the plan applies to its config, in order (its scenario's ancestors' first); once planned, "
        "each with what it changed."))
    effective_config_sha256: str | None = Field(default=None, description=(
        "Digest of the config the plan was made from after its overrides (sha256 of the canonical JSON); None "
        "until planned."))
    config_changes: list[ConfigChange] = Field(default_factory=list, description=(
        "How the effective config differs from the config version (at most 200 figures)."))
    replications: int = Field(default=1, description="How many runs the plan was requested with.")
    warnings: list[RunWarning] = Field(default_factory=list, description=(
        "Findings about the effective config at plan time, e.g. components without a source (contracts.sourcing)."))
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
    distribution: list[KpiDistribution] = Field(default_factory=list, description=(
        "Each numeric run KPI over the plan's succeeded runs (count, mean, P10, P50, P90, min, max; "
        "contracts/distribution.py), in the order of contracts/kpis.py."))
    imported: dict[str, ImportOrigin] = _import_origins()


class ComparePlans(Contract):
    """Compare plans by the distributions of their runs' KPIs."""

    plan_version_ids: list[str] = Field(min_length=2, max_length=5, description="The plans; the first is the base.")
    keys: list[str] | None = Field(default=None, description="Only these KPIs (all numeric ones when omitted).")


class PlanDistributions(Contract):
    plan: PlanRow = Field(description="The plan.")
    distribution: list[KpiDistribution] = Field(description="Its runs' KPI distributions.")


class KpiPlanComparison(Contract):
    key: str = Field(description="The KPI.")
    mean_diff: dict[str, float | None] = Field(description=(
        "Per plan: its mean minus the base plan's (None for the base, or when either has no value)."))
    p50_diff: dict[str, float | None] = Field(description="Per plan: its P50 minus the base plan's.")
    overlap: dict[str, bool | None] = Field(description=(
        "Per plan: whether its P10–P90 range overlaps the base plan's (a difference inside the runs' spread)."))


class PlanComparison(Contract):
    base_id: str = Field(description="The base plan: differences are against it.")
    plans: list[PlanDistributions] = Field(description="The plans compared, base first.")
    kpis: list[KpiPlanComparison] = Field(description="Per KPI that some plan reports, the differences.")


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
    history: bool = Field(default=False, description="Also the job's steps and messages (JobDetail.steps, .messages).")


class JobStep(Contract):
    """A stretch of a job under one step: its reports in a row that name it ('day 3/90' and 'day 4/90' are
    both step 'day'). The report that ends the job closes the step it was in."""

    step: str = Field(description="The step's name, its counter left out; 'queued' before the first step.")
    first: str = Field(description="The step as first reported, e.g. 'day 1/90'.")
    last: str = Field(description="The step as last reported, e.g. 'day 90/90'.")
    state: JobState = Field(description="The job's state at the step's last report.")
    progress: float = Field(description="The job's progress at the step's last report (0..1).")
    started_at: datetime = Field(description="When the step was first reported.")
    ended_at: datetime | None = Field(default=None, description="When the next step began or the job ended; "
                                                                 "none while the step goes on.")
    duration_ms: float | None = Field(default=None, description="ended_at - started_at; none while it goes on.")
    reports: int = Field(description="How many reports the step had.")
    message: str = Field(default="", description="The step's last message.")


class JobMessage(Contract):
    """A message a job reported (a repeat of the one before it is left out)."""

    at: datetime
    state: JobState
    step: str
    message: str
    after_end: bool = Field(default=False, description="Reported after the job had ended: it changed nothing.")


class JobDetail(ReadModelPosition):
    job: JobRow
    steps: list[JobStep] = Field(default_factory=list, description="With GetJob.history: its steps, in order.")
    messages: list[JobMessage] = Field(default_factory=list, description=(
        "With GetJob.history: its messages, oldest first; the newest 200 when there are more."))
    messages_total: int = Field(default=0, description="How many messages it reported in all.")


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
    overrides: Overrides = Field(default_factory=list, description="The scenario's own what-ifs, in order.")
    created_at: datetime
    updated_at: datetime


class ScenariosPage(ReadModelPosition):
    scenarios: list[ScenarioRow]


class GetScenario(Consistency):
    scenario_id: str


class ScenarioDetail(ReadModelPosition):
    scenario: ScenarioRow
    inherited: list[ScenarioOverride] = Field(default_factory=list, description=(
        "What-ifs its ancestors hold, applied before its own (the root's first)."))
    imported: dict[str, ImportOrigin] = _import_origins()


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
    imported: dict[str, ImportOrigin] = _import_origins()


class DeadLetter(Contract):
    """A message of the log the registry set aside instead of applying (the log keeps it)."""

    seq: int = Field(description="Its stream sequence.")
    subject: str = Field(description="The subject it was stored on.")
    reason: str = Field(description="Why it was not applied: no event the registry reads (not JSON, an unknown "
                                    "type, the wrong subject, a schema version it does not know), or the error "
                                    "applying it raised.")
    attempts: int = Field(description="How many times applying it was tried; 0 when it could not be read.")
    recorded_at: datetime = Field(description="When the registry set it aside.")


RETENTION_RULE = ("RUNS_DB_MAX_ROWS keeps at most that many runs besides the approved and baseline runs, "
                  "dropping the oldest first; it never drops an approved or baseline run (the log keeps every run).")


class BucketSize(Contract):
    bucket: str = Field(description="Object store bucket.")
    bytes: int = Field(description="Bytes its stream stores (documents, their metadata, markers of deleted ones).")
    messages: int = Field(description="Messages its stream stores (chunks and metadata).")


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
    approved_runs: int = Field(default=0, description=(
        "Approved runs in the read model (baselines are approved too): retention never drops them."))
    retention: str = Field(default=RETENTION_RULE, description="What RUNS_DB_MAX_ROWS keeps and drops.")
    storage: list[StorageStatus] = Field(default_factory=list, description=(
        "How each service's writes fare, the registry's first: free space of its data directory, the reserve "
        "below which new work is refused, whether writes fail and the last write error."))
    pending_object_deletions: int = Field(default=0, description=(
        "Stored objects nothing needs any more (results and aggregates of runs deleted or dropped, artifacts of "
        "plans without runs), removed OBJECT_GRACE_HOURS after that."))
    object_store: list[BucketSize] = Field(default_factory=list, description=(
        "Size of each object store bucket, from its stream's info (measured every OBJECT_SWEEP_S)."))


class RunNote(Contract):
    note_id: str
    text: str = Field(description="The note as written (Markdown).")
    author: str
    created_at: datetime


class RunMeta(Contract):
    """A run's governance: approval, baseline, archive, tags and notes (oldest note first)."""

    run_id: str
    scenario_id: str | None = Field(default=None, description="None for a run the read model does not hold.")
    approved: bool = False
    approved_by: str | None = None
    approved_at: datetime | None = None
    baseline: bool = Field(default=False, description="The run is its scenario's baseline now.")
    baseline_by: str | None = None
    baseline_at: datetime | None = None
    archived: bool = False
    archived_by: str | None = None
    archived_at: datetime | None = None
    tags: list[str] = Field(default_factory=list)
    notes: list[RunNote] = Field(default_factory=list)


class GetRunMeta(Consistency):
    run_ids: list[str] = Field(min_length=1, max_length=200)
    must_exist: bool = Field(default=True, description=(
        "A run the read model does not hold is run_not_found; false: answered with an empty meta."))


class RunMetas(ReadModelPosition):
    metas: dict[str, RunMeta] = Field(description="By run id, in the order asked.")


class ListBaselines(Consistency):
    scenario_id: str | None = Field(default=None, description="Only this scenario's baseline.")


class BaselineRow(Contract):
    scenario_id: str
    scenario_name: str
    run_id: str = Field(description="The scenario's baseline run.")
    promoted_by: str
    promoted_at: datetime
    latest_run_id: str | None = Field(default=None, description=(
        "The scenario's newest succeeded run that is not archived (it may be the baseline itself)."))


class BaselinesPage(ReadModelPosition):
    baselines: list[BaselineRow] = Field(description="One per scenario that has a baseline, by scenario name.")
