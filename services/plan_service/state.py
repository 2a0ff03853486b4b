"""What plan_service knows: a fold over its own events, restored from the log at start-up and kept
up with it live (services/plan_service/following.py)."""

from dataclasses import dataclass, field, replace
from datetime import datetime

from contracts.events import (
    AggregateRequested,
    ArtifactRef,
    ConfigVersionCreated,
    JobCancelled,
    MaintenanceEnded,
    MaintenanceStarted,
    PlanCreated,
    PlanRequested,
    PlanRevised,
    RunRequested,
    ScenarioArchived,
    ScenarioCreated,
    ScenarioLocked,
    ScenarioUnarchived,
    ScenarioUnlocked,
    ScenarioUpdated,
)
from contracts.overrides import Override, ScenarioOverride
from contracts.supply_plan import Execution, plan_execution
from runtime.maintenance import Maintenance
from services.plan_service.review_state import ReviewFold


@dataclass(frozen=True)
class Scenario:
    scenario_id: str
    name: str
    description: str = ""
    tag: str = ""
    parent_id: str | None = None
    locked_by: str | None = None
    locked_at: datetime | None = None
    archived: bool = False
    overrides: tuple[Override, ...] = ()


@dataclass(frozen=True)
class ConfigVersion:
    config_version_id: str
    name: str
    sha256: str
    document: ArtifactRef
    planning_days: int


@dataclass(frozen=True)
class Plan:
    plan_version_id: str
    config_version_id: str
    base_scenario_id: str
    scenario_name: str
    seed: int
    config: ArtifactRef
    replications: int = 1
    execution: Execution = "plan"
    supply_plan: ArtifactRef | None = None
    """How its runs execute it, and the supply plan they execute (contracts/supply_plan.py)."""


@dataclass
class PlanServiceState:
    scenarios: dict[str, Scenario] = field(default_factory=dict)
    configs: dict[str, ConfigVersion] = field(default_factory=dict)
    plans: dict[str, Plan] = field(default_factory=dict)
    plan_requests: dict[str, PlanRequested] = field(default_factory=dict)
    requests_by_client_id: dict[str, PlanRequested] = field(default_factory=dict)
    aggregate_requests: dict[str, AggregateRequested] = field(default_factory=dict)
    replications_asked: dict[str, set[int]] = field(default_factory=dict)
    """Per plan, the replication indices a run was asked for (contracts/replications.py)."""
    run_inputs: dict[str, tuple[int, int | None]] = field(default_factory=dict)
    """Per simulation job, the seed and replication it runs with (a retry runs them again)."""
    cancelled_jobs: set[str] = field(default_factory=set)
    """Jobs cancelled while queued: a planning job among them is not planned when it is taken."""
    maintenance: Maintenance = field(default_factory=Maintenance)
    reviews: ReviewFold = field(default_factory=ReviewFold)
    """Plan reviews (services/plan_service/review_state.py)."""
    positions: dict[str, int] = field(default_factory=dict)
    """Per aggregate (its subject filter, ``contracts.subjects.aggregate_filter``), the stream
    sequence of the last fact about it folded in: what its next fact expects (optimistic concurrency)."""

    def apply(self, event: object) -> None:
        """Fold one event in. Events of other types are ignored."""
        self.reviews.apply(event)
        match event:
            case ScenarioCreated():
                self.scenarios[event.scenario_id] = Scenario(
                    event.scenario_id, event.name, event.description, event.tag, event.parent_id,
                    overrides=tuple(event.overrides))
            case ScenarioUpdated() if event.scenario_id in self.scenarios:
                self._change(event.scenario_id, name=event.name, description=event.description,
                             tag=event.tag, parent_id=event.parent_id, overrides=tuple(event.overrides))
            case ScenarioLocked() if event.scenario_id in self.scenarios:
                self._change(event.scenario_id, locked_by=event.locked_by, locked_at=event.occurred_at)
            case ScenarioUnlocked() if event.scenario_id in self.scenarios:
                self._change(event.scenario_id, locked_by=None, locked_at=None)
            case ScenarioArchived() if event.scenario_id in self.scenarios:
                self._change(event.scenario_id, archived=True)
            case ScenarioUnarchived() if event.scenario_id in self.scenarios:
                self._change(event.scenario_id, archived=False)
            case ConfigVersionCreated():
                self.configs[event.config_version_id] = ConfigVersion(
                    event.config_version_id, event.name, event.sha256, event.document, event.planning_days)
            case PlanRequested():
                self.plan_requests[event.job_id] = event
                if event.request_id is not None:
                    self.requests_by_client_id.setdefault(event.request_id, event)
            case AggregateRequested():
                self.aggregate_requests[event.job_id] = event
            case PlanCreated():
                execution, supply_plan = plan_execution(event.options, event.artifacts)
                self.plans[event.plan_version_id] = Plan(
                    event.plan_version_id, event.config_version_id, event.base_scenario_id,
                    event.scenario_name, event.seed, event.config, event.replications,
                    execution=execution, supply_plan=supply_plan)
                self.replications_asked.setdefault(event.plan_version_id, set()).add(0)
                self.run_inputs[event.simulation_job_id] = (event.seed, 0)
            case RunRequested():
                self.run_inputs[event.job_id] = (event.seed, event.replication)
                if event.replication is not None:
                    self.replications_asked.setdefault(event.plan_version_id, set()).add(event.replication)
            case PlanRevised() if (plan := self.plans.get(event.plan_version_id)) and plan.supply_plan is not None:
                self.plans[event.plan_version_id] = replace(plan, supply_plan=event.supply_plan)
            case JobCancelled():
                self.cancelled_jobs.add(event.job_id)
            case MaintenanceStarted() | MaintenanceEnded():
                self.maintenance.apply(event)

    def _change(self, scenario_id: str, **values: object) -> None:
        self.scenarios[scenario_id] = replace(self.scenarios[scenario_id], **values)

    def overrides_of(self, scenario_id: str) -> list[ScenarioOverride]:
        """The what-ifs a plan of this scenario applies: its ancestors' first (the root's first), then its own."""
        chain: list[Scenario] = []
        found = self.scenarios.get(scenario_id)
        while found is not None and found not in chain:
            chain.append(found)
            found = self.scenarios.get(found.parent_id) if found.parent_id else None
        return [ScenarioOverride(scenario_id=s.scenario_id, override=o) for s in reversed(chain) for o in s.overrides]

    def next_replication(self, plan_id: str) -> int:
        """The first replication index of the plan that no run was asked for, past its first ones."""
        plan = self.plans.get(plan_id)
        asked = self.replications_asked.get(plan_id, set())
        return max(max(asked, default=-1) + 1, plan.replications if plan else 1)

    def config_by_sha(self, sha256: str) -> ConfigVersion | None:
        return next((c for c in self.configs.values() if c.sha256 == sha256), None)
