"""Which supply plan a run executes (contracts/supply_plan.py), read from its trigger.

A plan's first run (PlanCreated) executes the plan's ``plan_final`` artifact unless the plan's
options say ``execution: "policy"``; a run asked for later (RunRequested) executes the
``supply_plan`` it names, the plan's own or a revision of it. A run asked to execute a plan that
names no supply plan replays the inventory policies and says so in a warning.
"""

from dataclasses import dataclass

from contracts.events import ArtifactRef, PlanCreated, RunRequested, RunWarning
from contracts.supply_plan import Execution, SupplyPlan, plan_execution
from runtime.objects import ObjectStore

NO_SUPPLY_PLAN = RunWarning(code="no_supply_plan", message=(
    "The run was to execute its plan, but the plan names no supply plan (plan_final): the inventory policies "
    "acted everywhere."))


@dataclass(frozen=True)
class RunInput:
    execution: Execution
    ref: ArtifactRef | None = None
    plan: SupplyPlan | None = None
    warnings: tuple[RunWarning, ...] = ()


def requested(trigger: PlanCreated | RunRequested) -> tuple[Execution, ArtifactRef | None]:
    """The execution the trigger asks for and the supply plan document it names."""
    if isinstance(trigger, RunRequested):
        return trigger.execution, trigger.supply_plan
    return plan_execution(trigger.options, trigger.artifacts)


async def run_input(trigger: PlanCreated | RunRequested, objects: ObjectStore) -> RunInput:
    """The supply plan to execute, read and checked; a document that is no supply plan raises
    pydantic's ValidationError (the run fails, naming it)."""
    execution, ref = requested(trigger)
    if execution == "policy":
        return RunInput("policy")
    if ref is None:
        return RunInput("policy", warnings=(NO_SUPPLY_PLAN,))
    return RunInput("plan", ref, SupplyPlan.model_validate_json(await objects.get(ref.bucket, ref.key)))
