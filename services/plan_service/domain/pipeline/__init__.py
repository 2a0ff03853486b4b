"""The planning pipeline (DESIGN §10): aggregate → allocate → mrp → reconcile → plan_final.

Each step yields one JSON-able artifact; the last one carries the plan's KPIs. Pure: no I/O.
Options: ``tolerance`` (relative, of the roll-up check; default 0.01) and ``ignore_capacity`` (bool).
"""

from collections.abc import Callable
from dataclasses import dataclass

from contracts.buckets import BucketError
from contracts.canonical import CanonicalConfig
from services.plan_service.domain.pipeline.aggregate import aggregate, aggregate_artifact
from services.plan_service.domain.pipeline.allocate import allocate, allocate_artifact
from services.plan_service.domain.pipeline.errors import PipelineError
from services.plan_service.domain.pipeline.final import final_artifact, plan_kpis
from services.plan_service.domain.pipeline.inputs import planning_inputs
from services.plan_service.domain.pipeline.mrp import mrp, mrp_artifact
from services.plan_service.domain.pipeline.reconcile import reconcile
from services.plan_service.domain.pipeline.reconcile_artifact import reconcile_artifact

__all__ = ["STEPS", "PipelineError", "PipelineResult", "run_pipeline"]

STEPS = ("aggregate", "allocate", "mrp", "reconcile", "plan_final")
StepListener = Callable[[str, int, int], None]


@dataclass(frozen=True)
class PipelineResult:
    artifacts: dict[str, dict]
    """One JSON-able document per step, keyed by step name, in step order."""
    kpis: dict[str, float]


def read_options(options: dict) -> tuple[float, bool]:
    tolerance, ignore = options.get("tolerance", 0.01), options.get("ignore_capacity", False)
    if isinstance(tolerance, bool) or not isinstance(tolerance, int | float) or not 0 <= tolerance < 1:
        raise PipelineError("options", f"tolerance must be a number in [0, 1), not {tolerance!r}")
    if not isinstance(ignore, bool):
        raise PipelineError("options", f"ignore_capacity must be true or false, not {ignore!r}")
    return float(tolerance), ignore


def run_pipeline(config: CanonicalConfig, *, options: dict, on_step: StepListener | None = None) -> PipelineResult:
    """Plan ``config``; ``on_step(step, index, count)`` is called before each step (index from 0).
    Raises PipelineError naming the step whose inputs cannot be planned."""
    tolerance, ignore_capacity = read_options(options or {})
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
