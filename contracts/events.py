"""Events: past-tense facts published to the ``SCPLN_EVENTS`` stream.

The event contracts are a public API. Every model here has a JSON Schema checked in under
``contracts/schemas/``; changing a model means a new ``schema_version`` plus an upcaster in
``contracts.upcast``, never an edit of what old events meant.
"""

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, Union

from pydantic import Field, TypeAdapter, ValidationError

from contracts import subjects
from contracts.envelope import Contract, Envelope, schema_version_field
from contracts.identity import (
    IDENTITY_EVENTS,
    TokenIssued,  # noqa: F401 - re-exported: readers find every event here
    TokenRevoked,  # noqa: F401 - re-exported: readers find every event here
    UserAdded,  # noqa: F401 - re-exported: readers find every event here
    UserDisabled,  # noqa: F401 - re-exported: readers find every event here
    UserEnabled,  # noqa: F401 - re-exported: readers find every event here
    UserPasswordChanged,  # noqa: F401 - re-exported: readers find every event here
    UserRoleChanged,  # noqa: F401 - re-exported: readers find every event here
)
from contracts.kpis import KPI_BY_KEY
from contracts.legacy import LEGACY_EVENTS
from contracts.overrides import OVERRIDES_MAX, AppliedOverride, ConfigChange, Overrides, ScenarioOverride
from contracts.psi import (
    PsiAggregateRow,
    PsiCell,
    PsiCellValue,
    PsiDistribution,
    PsiRounding,
    PsiSkuRows,
    PsiSpan,
    PsiWeek,
    PsiWeight,
)
from contracts.run_meta import (
    RUN_META_EVENTS,
    BaselinePromoted,  # noqa: F401 - re-exported: readers find every event here
    RunApproved,  # noqa: F401 - re-exported: readers find every event here
    RunArchived,  # noqa: F401 - re-exported: readers find every event here
    RunNoteAdded,  # noqa: F401 - re-exported: readers find every event here
    RunTagsChanged,  # noqa: F401 - re-exported: readers find every event here
    RunUnarchived,  # noqa: F401 - re-exported: readers find every event here
)
from contracts.stored_objects import STORED_OBJECT_EVENTS, StoredObjectsDeleted  # noqa: F401 - re-exported
from contracts.supply_plan import EXECUTION_DESCRIPTION, Execution, PlanShortfall
from contracts.upcast import UPCASTERS, upcast_json, upcaster


class JobType(StrEnum):
    planning = "planning"
    simulation = "simulation"
    aggregate = "aggregate"
    rebuild = "rebuild"


class JobState(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"


FINAL_JOB_STATES = frozenset({JobState.succeeded, JobState.failed, JobState.cancelled})


class ArtifactRef(Contract):
    """A document kept in the NATS object store."""

    name: str = Field(description="What the artifact holds, e.g. 'aggregate' or 'daily_results'.")
    bucket: str = Field(description="Object store bucket.")
    key: str = Field(description="Object key inside the bucket.")
    sha256: str = Field(description="Hex sha256 of the stored bytes.")
    size: int = Field(ge=0, description="Size of the stored bytes.")
    content_type: str = Field(default="application/json", description="Media type of the stored bytes.")


def _kpi(key: str) -> str:
    return KPI_BY_KEY[key].formula


class RunWarning(Contract):
    """A finding about the simulated config that explains a result (contracts.sourcing)."""

    code: str = Field(description="Kind of finding, e.g. component_without_source.")
    node: str = Field(default="", description="Node code it is about.")
    item: str = Field(default="", description="Item code it is about.")
    message: str = Field(description="What a planner reads.")


class RunSummary(Contract):
    """Summary KPIs of a run. contracts/kpis.py defines each one (label, unit, formula); money is
    in ``currency``. Since RunCompleted schema 2: fields a schema-1 run cannot give are None."""

    planning_days: int = Field(ge=0, description=_kpi("planning_days"))
    fill_rate: float = Field(ge=0, le=1, description=_kpi("fill_rate"))
    fill_rate_on_time: float | None = Field(default=None, ge=0, le=1, description=_kpi("fill_rate_on_time"))
    store_demand_total: float = Field(description=_kpi("store_demand_total"))
    store_sales_total: float = Field(description=_kpi("store_sales_total"))
    store_sales_on_time: float | None = Field(default=None, description=_kpi("store_sales_on_time"))
    store_sales_late: float | None = Field(default=None, description=_kpi("store_sales_late"))
    lost_sales_total: float | None = Field(default=None, description=_kpi("lost_sales_total") + " None in a schema-1 run.")
    backorder_open_end: float | None = Field(default=None, description=_kpi("backorder_open_end") + " None in a schema-1 run.")
    customer_shortage_total: float = Field(description=_kpi("customer_shortage_total"))
    network_shortage_total: float | None = Field(description=_kpi("network_shortage_total") + (
        " None in a schema-1 run, which counted a component shortage again on every day it lasted."))
    avg_on_hand_by_type: dict[str, float] = Field(description=_kpi("avg_on_hand_by_type"))
    backorder_peak: float = Field(description=_kpi("backorder_peak"))
    backorder_peak_day: int = Field(description=_kpi("backorder_peak_day"))
    revenue_total: float = Field(description=_kpi("revenue_total"))
    cost_total: float = Field(description=_kpi("cost_total"))
    penalty_total: float = Field(description=_kpi("penalty_total"))
    profit_total: float = Field(description=_kpi("profit_total"))
    profit_per_day_avg: float = Field(description=_kpi("profit_per_day_avg"))
    top_shortage_items: list[dict[str, Any]] = Field(default_factory=list, description=_kpi("top_shortage_items"))
    currency: str = Field(default="", description=_kpi("currency"))
    warnings: list[RunWarning] = Field(default_factory=list, description=_kpi("warnings"))
    plan_attainment: float | None = Field(default=None, ge=0, le=1, description=_kpi("plan_attainment") + (
        " None when the run did not execute a supply plan (execution \"policy\", a stub run, or a run of RunCompleted "
        "schema 3 or older)."))
    plan_shortfalls: list[PlanShortfall] = Field(default_factory=list, description=_kpi("plan_shortfalls"))


@upcaster("RunCompleted", 1)
def run_completed_v1(raw: dict[str, Any]) -> dict[str, Any]:
    """Schema 1 → 2. Schema 1's customer_shortage_total was store demand not served on its day,
    so the on-time and late sales follow from it; schema 2's is demand − sales. Schema 1's
    network shortage counted a lasting component shortage every day: not comparable, None."""
    summary = dict(raw.get("summary") or {})
    demand, sales, unserved = (summary.get(k) for k in ("store_demand_total", "store_sales_total",
                                                        "customer_shortage_total"))
    if all(isinstance(v, int | float) for v in (demand, sales, unserved)):
        on_time = demand - unserved
        summary |= {"store_sales_on_time": round(on_time, 4), "store_sales_late": round(sales - on_time, 4),
                    "fill_rate_on_time": round(min(1.0, max(0.0, on_time / demand)), 4) if demand > 0 else 1.0,
                    "customer_shortage_total": round(demand - sales, 4)}
    summary["network_shortage_total"] = None
    return {**raw, "schema_version": 2, "summary": summary}


_OWN_OVERRIDES = (
    "The scenario's own what-ifs (contracts/overrides.py), applied in order on top of the config when a plan is "
    f"made, after those of the scenario it derives from; at most {OVERRIDES_MAX}.")


class ScenarioCreated(Envelope):
    """A base scenario was created."""

    event_type: Literal["ScenarioCreated"] = "ScenarioCreated"
    schema_version: int = schema_version_field(2)
    scenario_id: str = Field(description="Id of the new scenario.")
    name: str = Field(description="Display name.")
    description: str = Field(default="", description="Free text.")
    tag: str = Field(default="", description="Short label.")
    parent_id: str | None = Field(default=None, description="Scenario this one derives from.")
    overrides: Overrides = Field(default_factory=list, description=_OWN_OVERRIDES)


class ScenarioUpdated(Envelope):
    """A scenario changed: its descriptive fields and its overrides, each as it is now."""

    event_type: Literal["ScenarioUpdated"] = "ScenarioUpdated"
    schema_version: int = schema_version_field(2)
    scenario_id: str = Field(description="Id of the scenario.")
    name: str = Field(description="Display name.")
    description: str = Field(default="", description="Free text.")
    tag: str = Field(default="", description="Short label.")
    parent_id: str | None = Field(default=None, description="Scenario this one derives from.")
    overrides: Overrides = Field(default_factory=list, description=_OWN_OVERRIDES)


@upcaster("ScenarioCreated", 1)
@upcaster("ScenarioUpdated", 1)
def scenario_v1(raw: dict[str, Any]) -> dict[str, Any]:
    """Schema 1 → 2: scenarios held no overrides before schema 2."""
    return {**raw, "schema_version": 2, "overrides": []}


class ScenarioLocked(Envelope):
    """A scenario was locked: no plan may be created from it until it is unlocked."""

    event_type: Literal["ScenarioLocked"] = "ScenarioLocked"
    scenario_id: str = Field(description="Id of the scenario.")
    locked_by: str = Field(description="Who locked it.")


class ScenarioUnlocked(Envelope):
    """A scenario was unlocked."""

    event_type: Literal["ScenarioUnlocked"] = "ScenarioUnlocked"
    scenario_id: str = Field(description="Id of the scenario.")
    unlocked_by: str = Field(description="Who unlocked it.")


class ScenarioArchived(Envelope):
    """A scenario was archived: it stays readable, no plan may be created from it."""

    event_type: Literal["ScenarioArchived"] = "ScenarioArchived"
    scenario_id: str = Field(description="Id of the scenario.")
    archived_by: str = Field(description="Who archived it.")


class ScenarioUnarchived(Envelope):
    """An archived scenario was brought back: plans may be made from it again."""

    event_type: Literal["ScenarioUnarchived"] = "ScenarioUnarchived"
    scenario_id: str = Field(description="Id of the scenario.")
    unarchived_by: str = Field(description="Who brought it back.")


class ConfigVersionCreated(Envelope):
    """A canonical configuration document validated and became an immutable version."""

    event_type: Literal["ConfigVersionCreated"] = "ConfigVersionCreated"
    config_version_id: str = Field(description="Id of the new config version.")
    name: str = Field(description="meta.name of the document.")
    version_tag: str = Field(default="", description="meta.version_tag of the document.")
    sha256: str = Field(description="sha256 of the canonical document bytes.")
    document: ArtifactRef = Field(description="Where the document is stored.")
    planning_days: int = Field(ge=0, description="Horizon of the config in days.")
    counts: dict[str, int] = Field(description="Number of items, nodes, arcs, bom lines, demands.")
    warnings: list[dict[str, str]] = Field(default_factory=list, description="Validation warnings: code, path, message.")


_REPLICATIONS = (
    "How many runs the plan was asked for: replications 0..N-1, seeds derived from the plan's seed "
    "(contracts/replications.py).")
_REPLICATION = (
    "Index of this run among its plan's replications: its seed is contracts.replications.replication_seed(the plan's "
    "seed, replication). None when the run's seed came from the request (or it was asked for before replications).")


class PlanRequested(Envelope):
    """A planner asked for a plan version; its planning job is queued."""

    event_type: Literal["PlanRequested"] = "PlanRequested"
    schema_version: int = schema_version_field(3)
    plan_version_id: str = Field(description="Id the plan version will have.")
    config_version_id: str = Field(description="Config version to plan with.")
    base_scenario_id: str = Field(description="Scenario the plan starts from.")
    scenario_name: str = Field(description="Name of that scenario at request time.")
    job_id: str = Field(description="The planning job.")
    seed: int = Field(description="Seed of the plan's simulation.")
    options: dict[str, Any] = Field(default_factory=dict, description="Planner options.")
    requested_by: str = Field(default="planner", description="Who asked.")
    request_id: str | None = Field(default=None, description="The client's id of the request, when it gave one.")
    overrides: list[ScenarioOverride] = Field(default_factory=list, description=(
        "The what-ifs the plan applies to the config, in order, as its scenario held them at request time: those "
        "of the scenario's ancestors first (the root's first), then the scenario's own."))
    replications: int = Field(default=1, ge=1, description=_REPLICATIONS)


class PlanCreated(Envelope):
    """A plan version finished its planning pipeline and is ready to be simulated."""

    event_type: Literal["PlanCreated"] = "PlanCreated"
    schema_version: int = schema_version_field(3)
    plan_version_id: str = Field(description="Id of the plan version.")
    config_version_id: str = Field(description="Config version the plan was built from.")
    base_scenario_id: str = Field(description="Scenario the plan was built from.")
    scenario_name: str = Field(description="Name of that scenario when the plan was created.")
    job_id: str = Field(description="The planning job that produced the plan.")
    seed: int = Field(description="Seed of the plan's simulation.")
    options: dict[str, Any] = Field(default_factory=dict, description="Planner options given at creation.")
    config: ArtifactRef = Field(description=(
        "The effective config document the plan was made from and its runs simulate: the config version's "
        "canonical document after the overrides (the config version's own document when there are none)."))
    artifacts: list[ArtifactRef] = Field(default_factory=list, description="One artifact per pipeline step.")
    kpis: dict[str, float] = Field(default_factory=dict, description="Plan KPIs: demand, supply, backlog, utilisation, fill-rate estimate.")
    simulation_job_id: str = Field(description="Job id the simulator uses for this plan's first run.")
    effective_config_sha256: str | None = Field(default=None, description=(
        "Digest of the effective config: sha256 of its canonical JSON (sorted keys, no spaces, UTF-8) after the "
        "overrides; the config version's own sha256 when there are none. Equals config.sha256."))
    overrides: list[AppliedOverride] = Field(default_factory=list, description=(
        "The what-ifs applied to the config, in order (see PlanRequested.overrides), each with what it changed."))
    config_changes: list[ConfigChange] = Field(default_factory=list, max_length=200, description=(
        "How the effective config differs from the config version, figure by figure (demand per family and "
        "month, capacity, lead times, prices, costs, opening stock); at most the first 200."))
    replications: int = Field(default=1, ge=1, description=_REPLICATIONS + (
        " This event starts replication 0 (simulation_job_id); plan_service requests the others as RunRequested."))
    warnings: list[RunWarning] = Field(default_factory=list, description=(
        "Findings about the effective config a planner should know before trusting the plan, e.g. a BOM component "
        "with no source whose opening stock does not cover the horizon (contracts.sourcing)."))


@upcaster("PlanRequested", 1)
def plan_requested_v1(raw: dict[str, Any]) -> dict[str, Any]:
    """Schema 1 → 2: plans applied no overrides before schema 2."""
    return {**raw, "schema_version": 2, "overrides": []}


@upcaster("PlanCreated", 1)
def plan_created_v1(raw: dict[str, Any]) -> dict[str, Any]:
    """Schema 1 → 2: a plan of schema 1 applied no overrides, so the config version's document it points to
    is its effective config."""
    config = raw.get("config")
    digest = config.get("sha256") if isinstance(config, dict) else None
    return {**raw, "schema_version": 2, "overrides": [], "config_changes": [], "effective_config_sha256": digest}


@upcaster("PlanRequested", 2)
def plan_requested_v2(raw: dict[str, Any]) -> dict[str, Any]:
    """Schema 2 → 3: a plan was simulated once before replications."""
    return {**raw, "schema_version": 3, "replications": 1}


@upcaster("PlanCreated", 2)
def plan_created_v2(raw: dict[str, Any]) -> dict[str, Any]:
    """Schema 2 → 3: one replication, and no plan-time warnings (none were looked for)."""
    return {**raw, "schema_version": 3, "replications": 1, "warnings": []}


_SUPPLY_PLAN = (
    "The supply plan document the run executes (contracts/supply_plan.py): the plan's plan_final artifact, or a later "
    "revision of the plan in the same layout. None: the run replays the inventory policies (execution \"policy\").")


class RunRequested(Envelope):
    """A run of an existing plan was asked for: "simulate again", a retry, or one of the
    replications a plan was requested with beyond the first."""

    event_type: Literal["RunRequested"] = "RunRequested"
    schema_version: int = schema_version_field(3)
    plan_version_id: str = Field(description="Plan to simulate.")
    config_version_id: str = Field(description="Config version of that plan.")
    base_scenario_id: str = Field(description="Scenario of that plan.")
    scenario_name: str = Field(description="Name of that scenario.")
    job_id: str = Field(description="The simulation job this request starts.")
    seed: int = Field(description="Seed of this run.")
    config: ArtifactRef = Field(description="The canonical config document.")
    replication: int | None = Field(default=None, ge=0, description=_REPLICATION)
    execution: Execution = Field(default="plan", description=EXECUTION_DESCRIPTION)
    supply_plan: ArtifactRef | None = Field(default=None, description=_SUPPLY_PLAN)


@upcaster("RunRequested", 1)
def run_requested_v1(raw: dict[str, Any]) -> dict[str, Any]:
    """Schema 1 → 2: runs asked for before replications are of no known replication."""
    return {**raw, "schema_version": 2, "replication": None}


@upcaster("RunRequested", 2)
def run_requested_v2(raw: dict[str, Any]) -> dict[str, Any]:
    """Schema 2 → 3: a run asked for before plans were executed replayed the inventory policies."""
    return {**raw, "schema_version": 3, "execution": "policy", "supply_plan": None}


class JobProgress(Envelope):
    """Progress of a job. States only move forward: queued → running → a final state
    (succeeded, failed, cancelled); a job may be seen first when it already runs."""

    event_type: Literal["JobProgress"] = "JobProgress"
    job_id: str = Field(description="Id of the job.")
    job_type: JobType = Field(description="planning, simulation, aggregate or rebuild.")
    state: JobState = Field(description="queued, running, succeeded, failed or cancelled.")
    progress: float = Field(ge=0, le=1, description="Fraction done, 0..1.")
    step: str = Field(default="", description="Current step, e.g. 'mrp' or 'day 120/365'.")
    message: str = Field(default="", description="Human-readable detail; the reason when failed.")
    plan_version_id: str | None = Field(default=None, description="Plan the job belongs to.")
    run_id: str | None = Field(default=None, description="Run the job produces or reads.")


class JobCancelled(Envelope):
    """A queued job was cancelled. Workers follow these facts and skip a cancelled job when they
    pick it up; its ``JobProgress(state=cancelled)`` tells everyone else."""

    event_type: Literal["JobCancelled"] = "JobCancelled"
    job_id: str = Field(description="Id of the job.")
    job_type: JobType = Field(description="planning, simulation, aggregate or rebuild.")
    plan_version_id: str | None = Field(default=None, description="Plan the job belongs to.")
    cancelled_by: str = Field(default="", description="Who cancelled it.")


class RunCompleted(Envelope):
    """A simulation finished and its results are stored."""

    event_type: Literal["RunCompleted"] = "RunCompleted"
    schema_version: int = Field(default=4, ge=4, le=4, description=(
        "Version of this event type's schema: 2 since the KPIs of contracts/kpis.py, 3 since replications, 4 since "
        "runs execute their plan (older ones are upcast)."))
    run_id: str = Field(description="Id of the run, derived from the event that triggered it.")
    plan_version_id: str = Field(description="Plan version that was simulated.")
    config_version_id: str = Field(description="Config version of that plan.")
    scenario_id: str = Field(description="Base scenario of that plan.")
    scenario_name: str = Field(description="Name of that scenario.")
    job_id: str = Field(description="The simulation job.")
    seed: int = Field(description="Seed used.")
    started_at: datetime = Field(description="When the simulation started.")
    finished_at: datetime = Field(description="When it finished.")
    duration_ms: float = Field(ge=0, description="Wall time of the simulation.")
    summary: RunSummary = Field(description="Summary KPIs.")
    results: ArtifactRef | None = Field(default=None, description=(
        "Daily PSI results: gzip JSON (schema DailyResults) in the object store bucket and key given; also served "
        "by GET /runs/{run_id}/results. None for a stub run. Kept when the run is deleted from the history."))
    simulator_version: str = Field(description="Version of the simulator that produced the run.")
    stub: bool = Field(default=False, description="True when the closed-form stub produced the summary.")
    replication: int | None = Field(default=None, ge=0, description=_REPLICATION + " From the trigger: 0 for a "
                                    "plan's first run (PlanCreated).")
    execution: Execution = Field(default="policy", description=(
        "How the run was simulated: \"plan\" when it executed the supply plan ``supply_plan``, \"policy\" when it "
        "replayed the config's inventory policies (asked for, or the plan named no supply plan)."))
    supply_plan: ArtifactRef | None = Field(default=None, description=(
        "The supply plan document the run executed (the plan's plan_final artifact or a revision of it); None with "
        "execution \"policy\"."))


@upcaster("RunCompleted", 2)
def run_completed_v2(raw: dict[str, Any]) -> dict[str, Any]:
    """Schema 2 → 3: runs completed before replications are of no known replication."""
    return {**raw, "schema_version": 3, "replication": None}


@upcaster("RunCompleted", 3)
def run_completed_v3(raw: dict[str, Any]) -> dict[str, Any]:
    """Schema 3 → 4: runs completed before plans were executed replayed the inventory policies, so they
    have no plan attainment."""
    summary = dict(raw.get("summary") or {}) | {"plan_attainment": None, "plan_shortfalls": []}
    return {**raw, "schema_version": 4, "summary": summary, "execution": "policy", "supply_plan": None}


class RunFailed(Envelope):
    """A simulation could not complete."""

    event_type: Literal["RunFailed"] = "RunFailed"
    run_id: str = Field(description="Id the run would have had.")
    plan_version_id: str = Field(description="Plan version that was simulated.")
    config_version_id: str = Field(description="Config version of that plan.")
    scenario_id: str = Field(description="Base scenario of that plan.")
    scenario_name: str = Field(default="", description="Name of that scenario.")
    job_id: str = Field(description="The simulation job.")
    reason: str = Field(description="Why it failed.")
    started_at: datetime = Field(description="When the simulation started.")
    finished_at: datetime = Field(description="When it failed.")


class RunDeleted(Envelope):
    """A run was removed from the run history (the log keeps its events)."""

    event_type: Literal["RunDeleted"] = "RunDeleted"
    run_id: str = Field(description="Id of the deleted run.")
    deleted_by: str = Field(default="", description="Who deleted it.")


class AggregateRequested(Envelope):
    """A planner asked to aggregate a run's daily results."""

    event_type: Literal["AggregateRequested"] = "AggregateRequested"
    job_id: str = Field(description="The aggregate job.")
    run_id: str = Field(description="Run whose results are aggregated.")
    plan_version_id: str = Field(description="Plan of that run.")
    bucket: Literal["day", "week", "month"] = Field(description="Time bucket.")
    group_by: Literal["item", "family", "node", "region"] = Field(description="Grouping.")


class AggregateCompleted(Envelope):
    """An aggregate job finished; its table is stored as an artifact linked to the plan."""

    event_type: Literal["AggregateCompleted"] = "AggregateCompleted"
    job_id: str = Field(description="The aggregate job.")
    run_id: str = Field(description="Run whose results were aggregated.")
    plan_version_id: str = Field(description="Plan of that run.")
    bucket: Literal["day", "week", "month"] = Field(description="Time bucket.")
    group_by: Literal["item", "family", "node", "region"] = Field(description="Grouping.")
    artifact: ArtifactRef = Field(description="The aggregated table.")
    rows: int = Field(ge=0, description="Rows in the table.")


class ReadModelReplaced(Envelope):
    """An operator swapped a rebuilt or restored database in as the run registry's live read
    model (``scpln registry rebuild`` or ``restore``); the registry resumes from its checkpoint."""

    event_type: Literal["ReadModelReplaced"] = "ReadModelReplaced"
    by: str = Field(description="The operator who asked, as the scpln command named them (SCPLN_OPERATOR, else "
                                "their login); only the bus's operator user may ask for a swap.")
    reason: Literal["rebuild", "restore"] = Field(description="Why the read model was replaced.")
    path: str = Field(description="The staged database file that became the live read model.")
    last_seq: int = Field(ge=0, description="Checkpoint of the read model now live: it applies the log after it.")
    replaced_seq: int | None = Field(default=None, ge=0, description="Checkpoint of the read model it replaced; "
                                                                     "None when there was none.")


MAINTENANCE_MESSAGE_MAX = 500


class MaintenanceStarted(Envelope):
    """An operator put the system in maintenance (the fallback runbook, e.g. during a restore of
    the run registry): until ``MaintenanceEnded``, plan_service creates no plan and simulates no
    plan again, and every page shows the message. Reads keep working. Started again while on,
    it changes the message."""

    event_type: Literal["MaintenanceStarted"] = "MaintenanceStarted"
    message: str = Field(min_length=1, max_length=MAINTENANCE_MESSAGE_MAX,
                         description="What planners are told on every page and in each refusal.")
    by: str = Field(description="Who switched it on: the signed-in operator, or the scpln command's SCPLN_OPERATOR "
                                "(else their login).")


class MaintenanceEnded(Envelope):
    """Maintenance is over: plans and reruns are accepted again."""

    event_type: Literal["MaintenanceEnded"] = "MaintenanceEnded"
    by: str = Field(description="Who switched it off.")


# Plan review (contracts/review.py, contracts/psi.py): every change of a plan's PSI and every move of
# its review is a fact of plan_service's, with who, when and why; the audit trail is the log itself.
_REVISION = ("The plan's revision after this fact: 0 is the pipeline's plan_final; each fact that changes cells "
             "adds one.")
_BY = "The signed-in user who asked."
_NOTE = "Why, in their words (may be empty)."


class PlanPsiBaselined(Envelope):
    """Part of a plan's PSI as its pipeline made it (from plan_final, the opening stock from mrp):
    the periods and weeks, and the rows of some SKUs (the aggregate rows come with part 1). A
    plan's parts precede its ``PlanReviewOpened``."""

    event_type: Literal["PlanPsiBaselined"] = "PlanPsiBaselined"
    plan_version_id: str = Field(description="The plan.")
    part: int = Field(ge=1, description="Which part, from 1.")
    parts: int = Field(ge=1, description="How many parts the plan's PSI has.")
    periods: list[PsiSpan] = Field(description="The aggregate level's periods, in order.")
    weeks: list[PsiWeek] = Field(description="The detail level's weeks, in order, each with its period.")
    aggregate: list[PsiAggregateRow] = Field(default_factory=list, description=(
        "Part 1: every aggregate row (family × period), the sum of the detail below it."))
    first_sku: int = Field(ge=0, description="Where this part's first SKU is among the plan's (from 0).")
    skus: list[PsiSkuRows] = Field(description="This part's SKUs, their demand and supply plan week by week.")


class PlanReviewOpened(Envelope):
    """A plan's PSI is in the log (its ``PlanPsiBaselined`` parts) and the plan is a draft under
    review, at revision 0."""

    event_type: Literal["PlanReviewOpened"] = "PlanReviewOpened"
    plan_version_id: str = Field(description="The plan.")
    base_scenario_id: str = Field(description="Its scenario (one approved plan per scenario).")
    parts: int = Field(ge=1, description="How many PlanPsiBaselined parts hold its PSI.")
    source: ArtifactRef = Field(description="The plan_final artifact the PSI was read from.")
    by: str = Field(description="plan_service when the plan was made; else who first asked for its PSI.")


class PlanPsiEdited(Envelope):
    """A planner set cells of one level of a draft's PSI. Aggregate edits were distributed to the
    detail cells below them, detail edits rolled up into their unlocked aggregate cells (unless
    asked not to); every value is the cell's value from this fact on."""

    event_type: Literal["PlanPsiEdited"] = "PlanPsiEdited"
    plan_version_id: str = Field(description="The plan.")
    revision: int = Field(ge=1, description=_REVISION)
    by: str = Field(description=_BY)
    note: str = Field(default="", description=_NOTE)
    level: Literal["aggregate", "det"] = Field(description="The level the planner edited.")
    cells: list[PsiCellValue] = Field(description="The cells the planner set.")
    distributed: list[PsiCellValue] = Field(default_factory=list, description="Detail cells the distribution set.")
    rolled_up: list[PsiCellValue] = Field(default_factory=list, description="Aggregate cells the roll-up set.")
    distribution: PsiDistribution | None = Field(default=None, description="How aggregate edits were distributed.")


class PlanPsiLocksChanged(Envelope):
    """Cells of a draft's PSI were locked or unlocked: distributions and reconciles never change
    a locked cell, and edits skip it."""

    event_type: Literal["PlanPsiLocksChanged"] = "PlanPsiLocksChanged"
    plan_version_id: str = Field(description="The plan.")
    revision: int = Field(ge=0, description=_REVISION)
    by: str = Field(description=_BY)
    note: str = Field(default="", description=_NOTE)
    locked: list[PsiCell] = Field(default_factory=list, description="Cells locked by this fact.")
    unlocked: list[PsiCell] = Field(default_factory=list, description="Cells unlocked by this fact.")


class PlanPsiReconciled(Envelope):
    """The levels of a draft's PSI agree again: unlocked detail cells below a locked aggregate cell
    were rebalanced to its value; other aggregate cells became the sum of their detail."""

    event_type: Literal["PlanPsiReconciled"] = "PlanPsiReconciled"
    plan_version_id: str = Field(description="The plan.")
    revision: int = Field(ge=1, description=_REVISION)
    by: str = Field(description=_BY)
    note: str = Field(default="", description=_NOTE)
    groups: int = Field(ge=0, description="Aggregate cells whose detail disagreed with them.")
    cells: list[PsiCellValue] = Field(description="Every cell set, at both levels.")
    rounding: dict[Literal["demand", "supply"], PsiRounding] = Field(default_factory=dict, description="Rounding used.")


class PlanPsiWeightsSet(Envelope):
    """Weights of a draft's rows for distributions by weights (``weight_mode: weights``)."""

    event_type: Literal["PlanPsiWeightsSet"] = "PlanPsiWeightsSet"
    plan_version_id: str = Field(description="The plan.")
    revision: int = Field(ge=0, description=_REVISION)
    by: str = Field(description=_BY)
    note: str = Field(default="", description=_NOTE)
    weights: list[PsiWeight] = Field(description="The rows' weights from this fact on (rows not named keep theirs).")


class PlanRevised(Envelope):
    """The supply plan of a revision of a plan is stored (plan_final's layout, contracts/supply_plan.py):
    a run of that revision executes it (``RunRequested.supply_plan``). Stored when the revision is
    submitted or simulated."""

    event_type: Literal["PlanRevised"] = "PlanRevised"
    plan_version_id: str = Field(description="The plan.")
    revision: int = Field(ge=1, description="The revision whose supply plan this is.")
    supply_plan: ArtifactRef = Field(description="The document: plan_final with the revision's demand and supply.")
    changed_cells: int = Field(ge=0, description="Detail cells whose demand or supply differs from plan_final.")


class PlanSubmitted(Envelope):
    """A planner submitted a draft for approval: its PSI is frozen at this revision."""

    event_type: Literal["PlanSubmitted"] = "PlanSubmitted"
    plan_version_id: str = Field(description="The plan.")
    base_scenario_id: str = Field(description="Its scenario.")
    revision: int = Field(ge=0, description="The revision submitted.")
    supply_plan: ArtifactRef = Field(description="Its supply plan (plan_final for revision 0).")
    by: str = Field(description=_BY)
    note: str = Field(default="", description=_NOTE)


class PlanApproved(Envelope):
    """An approver approved a submitted plan: it is immutable from now on, and the plan the
    scenario had approved before (``supersedes``) is superseded."""

    event_type: Literal["PlanApproved"] = "PlanApproved"
    plan_version_id: str = Field(description="The plan.")
    base_scenario_id: str = Field(description="Its scenario.")
    revision: int = Field(ge=0, description="The revision approved (the one submitted).")
    supply_plan: ArtifactRef = Field(description="Its supply plan.")
    submitted_by: str = Field(description="Who submitted it.")
    supersedes: str | None = Field(default=None, description="The scenario's plan approved before, now superseded.")
    by: str = Field(description=_BY)
    note: str = Field(default="", description=_NOTE)


class PlanRejected(Envelope):
    """An approver sent a submitted plan back: it is a draft again, to be edited and submitted anew."""

    event_type: Literal["PlanRejected"] = "PlanRejected"
    plan_version_id: str = Field(description="The plan.")
    base_scenario_id: str = Field(description="Its scenario.")
    revision: int = Field(ge=0, description="The revision rejected.")
    submitted_by: str = Field(description="Who submitted it.")
    by: str = Field(description=_BY)
    reason: str = Field(min_length=1, description="Why it was rejected.")


PLAN_REVIEW_FACTS: tuple[type[Envelope], ...] = (
    PlanPsiBaselined, PlanReviewOpened, PlanPsiEdited, PlanPsiLocksChanged, PlanPsiReconciled, PlanPsiWeightsSet,
    PlanRevised, PlanSubmitted, PlanApproved, PlanRejected)


EVENT_TYPES: tuple[type[Envelope], ...] = (
    ScenarioCreated, ScenarioUpdated, ScenarioLocked, ScenarioUnlocked, ScenarioArchived, ScenarioUnarchived,
    ConfigVersionCreated, PlanRequested, PlanCreated, RunRequested, JobProgress, JobCancelled, RunCompleted, RunFailed,
    RunDeleted, AggregateRequested, AggregateCompleted, ReadModelReplaced, MaintenanceStarted, MaintenanceEnded,
    *STORED_OBJECT_EVENTS,
    *IDENTITY_EVENTS, *RUN_META_EVENTS, *PLAN_REVIEW_FACTS, *LEGACY_EVENTS,
)

SUBJECT_OF: dict[str, str] = {
    "ScenarioCreated": subjects.SCENARIO_CREATED,
    "ScenarioUpdated": subjects.SCENARIO_UPDATED,
    "ScenarioLocked": subjects.SCENARIO_LOCKED,
    "ScenarioUnlocked": subjects.SCENARIO_UNLOCKED,
    "ScenarioArchived": subjects.SCENARIO_ARCHIVED,
    "ScenarioUnarchived": subjects.SCENARIO_UNARCHIVED,
    "ConfigVersionCreated": subjects.CONFIG_VERSION_CREATED,
    "PlanRequested": subjects.PLAN_REQUESTED,
    "PlanCreated": subjects.PLAN_CREATED,
    "RunRequested": subjects.RUN_REQUESTED,
    "JobProgress": subjects.JOB_PROGRESS,
    "JobCancelled": subjects.JOB_CANCELLED,
    "RunCompleted": subjects.RUN_COMPLETED,
    "RunFailed": subjects.RUN_FAILED,
    "RunDeleted": subjects.RUN_DELETED,
    "AggregateRequested": subjects.AGGREGATE_REQUESTED,
    "AggregateCompleted": subjects.AGGREGATE_COMPLETED,
    "ReadModelReplaced": subjects.READ_MODEL_REPLACED,
    "StoredObjectsDeleted": subjects.STORED_OBJECTS_DELETED,
    "MaintenanceStarted": subjects.MAINTENANCE_STARTED,
    "MaintenanceEnded": subjects.MAINTENANCE_ENDED,
    "UserAdded": subjects.USER_ADDED,
    "UserRoleChanged": subjects.USER_ROLE_CHANGED,
    "UserPasswordChanged": subjects.USER_PASSWORD_CHANGED,
    "UserDisabled": subjects.USER_DISABLED,
    "UserEnabled": subjects.USER_ENABLED,
    "TokenIssued": subjects.TOKEN_ISSUED,
    "TokenRevoked": subjects.TOKEN_REVOKED,
    "RunApproved": subjects.RUN_APPROVED,
    "BaselinePromoted": subjects.BASELINE_PROMOTED,
    "RunArchived": subjects.RUN_ARCHIVED,
    "RunUnarchived": subjects.RUN_UNARCHIVED,
    "RunNoteAdded": subjects.RUN_NOTE_ADDED,
    "RunTagsChanged": subjects.RUN_TAGS_CHANGED,
    "PlanPsiBaselined": subjects.PSI_BASELINED,
    "PlanReviewOpened": subjects.PSI_OPENED,
    "PlanPsiEdited": subjects.PSI_EDITED,
    "PlanPsiLocksChanged": subjects.PSI_LOCKS_CHANGED,
    "PlanPsiReconciled": subjects.PSI_RECONCILED,
    "PlanPsiWeightsSet": subjects.PSI_WEIGHTS_SET,
    "PlanRevised": subjects.PLAN_REVISED,
    "PlanSubmitted": subjects.PLAN_SUBMITTED,
    "PlanApproved": subjects.PLAN_APPROVED,
    "PlanRejected": subjects.PLAN_REJECTED,
    "LegacyRowImported": subjects.LEGACY_ROW_IMPORTED,
}

Event = Annotated[Union[EVENT_TYPES], Field(discriminator="event_type")]  # type: ignore[valid-type]  # noqa: UP007 - a Union over the tuple of event types
_EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)


class UnknownEvent(ValueError):
    """Raised for bytes that are not a known event type; projections skip such messages."""


class UnknownSchemaVersion(UnknownEvent):
    """An event of a known type in a schema version this reader does not know: newer than its
    model, or older with no upcaster. It is not read as the version the reader knows."""

    def __init__(self, event_type: str, version: object, known: int) -> None:
        super().__init__(f"{event_type} schema_version {version} is unknown to this reader (it reads version {known})")
        self.event_type, self.version, self.known = event_type, version, known


AGGREGATE_ID_OF: dict[str, str] = {
    "ScenarioCreated": "scenario_id", "ScenarioUpdated": "scenario_id", "ScenarioLocked": "scenario_id",
    "ScenarioUnlocked": "scenario_id", "ScenarioArchived": "scenario_id", "ScenarioUnarchived": "scenario_id",
    "ConfigVersionCreated": "config_version_id", "PlanRequested": "plan_version_id", "PlanCreated": "plan_version_id",
}
"""The field naming the aggregate a fact is about, for the types stored per aggregate
(``subjects.AGGREGATE_SUBJECTS``)."""


def subject_for(event: Envelope) -> str:
    """Where the event is stored: its type's subject, and for a fact about an aggregate, its id."""
    subject = SUBJECT_OF[event.event_type]  # type: ignore[attr-defined]
    field = AGGREGATE_ID_OF.get(event.event_type)  # type: ignore[attr-defined]
    return subject if field is None else subjects.aggregate_subject(subject, getattr(event, field))


def aggregate_filter_for(event: Envelope) -> str | None:
    """Every stored fact about the aggregate this event is about (None: it is about no aggregate)."""
    field = AGGREGATE_ID_OF.get(event.event_type)  # type: ignore[attr-defined]
    if field is None:
        return None
    return subjects.aggregate_filter(SUBJECT_OF[event.event_type], getattr(event, field))  # type: ignore[attr-defined]


def encode(event: Envelope) -> bytes:
    return event.model_dump_json().encode()


_VALIDATOR_OF: dict[bytes, Any] = {
    cls.model_fields["event_type"].default.encode(): cls.__pydantic_validator__ for cls in EVENT_TYPES}
_VALIDATOR_OF_SUBJECT: dict[str, Any] = {
    SUBJECT_OF[cls.model_fields["event_type"].default]: cls.__pydantic_validator__ for cls in EVENT_TYPES}
_TYPE_KEY = b'"event_type":"'


def decode(data: bytes | str, subject: str | None = None) -> Event:
    """Parse an event of any known type and schema version (old versions are upcast). Read
    from an event subject (``subject`` given), it must be that subject's event type: anything
    else raises ``UnknownEvent``. A schema version the reader does not know (newer than the
    model's, or older with no upcaster) raises ``UnknownSchemaVersion``; anything else that is
    no valid event raises pydantic's ``ValidationError``. All three are ``ValueError``s.

    The JSON is validated straight from bytes (the replay hot path) by the model its subject
    (when given) or its ``"event_type"`` key names, which succeeds only for an event of that
    type in its current version. Anything else (an old version to upcast, another type, an
    error) is read again the careful way: upcast when upcasters are registered, then validated
    by the discriminated union, which gives the same result or the error."""
    if subject is not None and subject not in _VALIDATOR_OF_SUBJECT:
        subject = subjects.type_subject(subject)
    validator = _VALIDATOR_OF_SUBJECT.get(subject) if subject is not None else None
    if validator is None and isinstance(data, bytes):
        validator = _named_validator(data)
    if validator is not None:
        try:
            return validator.validate_json(data)  # type: ignore[no-any-return]
        except ValidationError:
            pass
    try:
        if UPCASTERS:
            return _of_subject(_EVENT_ADAPTER.validate_python(upcast_json(data)), subject)
        return _of_subject(_EVENT_ADAPTER.validate_json(data), subject)
    except ValidationError as invalid:
        raise _unknown_version(invalid) or invalid


_VERSION_ERRORS = frozenset({"greater_than_equal", "less_than_equal"})
_VERSION_OF: dict[str, int] = {
    cls.model_fields["event_type"].default: cls.model_fields["schema_version"].default for cls in EVENT_TYPES}


def _unknown_version(invalid: ValidationError) -> UnknownSchemaVersion | None:
    """An event of a known type refused for its ``schema_version``: the rest of it is not
    judged by a schema it does not follow."""
    for error in invalid.errors(include_url=False):
        loc = error["loc"]
        if len(loc) == 2 and loc[1] == "schema_version" and error["type"] in _VERSION_ERRORS:
            return UnknownSchemaVersion(str(loc[0]), error["input"], _VERSION_OF[str(loc[0])])
    return None


def _of_subject(event: Event, subject: str | None) -> Event:
    expected = SUBJECT_OF[event.event_type]  # type: ignore[union-attr]
    if subject is not None and subject in _VALIDATOR_OF_SUBJECT and subject != expected:
        raise UnknownEvent(f"a {event.event_type} on {subject}; its subject is {expected}")  # type: ignore[union-attr]
    return event


def _named_validator(data: bytes) -> Any:
    start = data.find(_TYPE_KEY)
    if start < 0:
        return None
    start += len(_TYPE_KEY)
    return _VALIDATOR_OF.get(data[start: data.find(b'"', start)])
