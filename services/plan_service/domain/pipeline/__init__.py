"""The planning pipeline (DESIGN §10): aggregate → allocate → mrp → reconcile → plan_final.

Each step yields one JSON-able artifact; the last one carries the plan's KPIs. Pure: no I/O.
Options: ``contracts.plan_options.PlanOptions`` (``tolerance`` of the roll-up check, ``ignore_capacity``).
"""

from collections.abc import Callable
from dataclasses import dataclass

from pydantic import ValidationError

from contracts.buckets import BucketError
from contracts.canonical import CanonicalConfig
from contracts.plan_options import PlanOptions
from services.plan_service.domain.pipeline.aggregate import aggregate, aggregate_artifact
from services.plan_service.domain.pipeline.allocate import allocate, allocate_artifact
from services.plan_service.domain.pipeline.errors import PipelineError
from services.plan_service.domain.pipeline.final import final_artifact, plan_kpis
from services.plan_service.domain.pipeline.inputs import planning_inputs
from services.plan_service.domain.pipeline.mrp import mrp, mrp_artifact
from services.plan_service.domain.pipeline.reconcile import reconcile
from services.plan_service.domain.pipeline.reconcile_artifact import reconcile_artifact

__all__ = ["STEPS", "PipelineError", "PipelineResult", "read_options", "run_pipeline"]

STEPS = ("aggregate", "allocate", "mrp", "reconcile", "plan_final")
StepListener = Callable[[str, int, int], None]


@dataclass(frozen=True)
class PipelineResult:
    artifacts: dict[str, dict]
    """One JSON-able document per step, keyed by step name, in step order."""
    kpis: dict[str, float]


def read_options(options: PlanOptions | dict) -> PlanOptions:
    """The options of a command, or as recorded with a request (``PlanOptions.recorded``);
    PipelineError (step "options") for a value ``PlanOptions`` refuses."""
    if isinstance(options, PlanOptions):
        return options
    try:
        return PlanOptions.recorded(options)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']} (not {e['input']!r})" for e in exc.errors())
        raise PipelineError("options", problems) from exc


def run_pipeline(config: CanonicalConfig, *, options: PlanOptions | dict, on_step: StepListener | None = None) -> PipelineResult:
    """Plan ``config``; ``on_step(step, index, count)`` is called before each step (index from 0).
    Raises PipelineError naming the step whose inputs cannot be planned."""
    read = read_options(options)
    tolerance, ignore_capacity = read.tolerance, read.ignore_capacity
    artifacts: dict[str, dict] = {}
    state: dict = {}

    def step(index: int) -> None:
        name = STEPS[index]
        if on_step:
            on_step(name, index, len(STEPS))
        try:
            artifacts[name] = RUNNERS[name](config, state, tolerance, ignore_capacity)
        except BucketError as exc:
            raise PipelineError(name, str(exc)) from exc

    for index in range(len(STEPS)):
        step(index)
    return PipelineResult(artifacts, state["kpis"])


def _aggregate(config, state, tolerance, ignore_capacity):
    try:
        state["inputs"] = inputs = planning_inputs(config, {"ignore_capacity": ignore_capacity})
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, BucketError):
            raise
        raise PipelineError("aggregate", f"malformed planning inputs ({type(exc).__name__}: {exc})") from exc
    state["plan"] = aggregate(inputs)
    return aggregate_artifact(inputs, state["plan"])


def _allocate(config, state, tolerance, ignore_capacity):
    state["allocation"] = allocate(state["inputs"], state["plan"])
    return allocate_artifact(state["inputs"], state["plan"], state["allocation"])


def _mrp(config, state, tolerance, ignore_capacity):
    state["mrp"] = mrp(config, state["inputs"], state["allocation"])
    return mrp_artifact(state["inputs"], state["mrp"])


def _reconcile(config, state, tolerance, ignore_capacity):
    state["reconciled"] = reconcile(state["inputs"], state["plan"], state["allocation"], tolerance)
    return reconcile_artifact(state["inputs"], state["plan"], state["reconciled"])


def _final(config, state, tolerance, ignore_capacity):
    inputs, rec = state["inputs"], state["reconciled"]
    state["kpis"] = plan_kpis(inputs, state["plan"], state["mrp"], rec)
    return final_artifact(inputs, state["allocation"], rec, state["kpis"])


RUNNERS = {"aggregate": _aggregate, "allocate": _allocate, "mrp": _mrp, "reconcile": _reconcile, "plan_final": _final}
