"""Which runs a plan gets: its replications' indices and seeds (contracts/replications.py), and
the warnings a plan carries about its effective config."""

import logging
import uuid

from contracts.canonical import CanonicalConfig
from contracts.commands import RerunPlan
from contracts.events import RunWarning
from contracts.replications import replication_seeds
from contracts.sourcing import unsourced_components
from services.plan_service.ids import NAMESPACE
from services.plan_service.state import Plan, PlanServiceState

log = logging.getLogger("plan_service.replications")


def plan_warnings(config: CanonicalConfig) -> list[RunWarning]:
    """Components the plan's production needs that nothing replenishes and the opening stock does
    not cover. A check that cannot read the config warns of nothing: it never fails a plan."""
    try:
        found = unsourced_components(config)
    except Exception:  # a warning's check, not the plan's
        log.warning("the sourcing check could not read config %s", config.meta.name, exc_info=True)
        return []
    return [RunWarning(code=w.code, node=w.node, item=w.item, message=w.message) for w in found]


def job_id_of(plan_id: str, replication: int) -> str:
    """The job of one of a plan's first replications: the same on every attempt to ask for it."""
    return f"job_{uuid.uuid5(NAMESPACE, f'{plan_id}/replication/{replication}').hex[:16]}"


def missing_initial(state: PlanServiceState, plan: Plan) -> list[tuple[int, int]]:
    """``(replication, seed)`` of the plan's first replications (1..N-1) no run was asked for yet."""
    asked = state.replications_asked.get(plan.plan_version_id, set())
    return [(i, seed) for i, seed in replication_seeds(plan.seed, 0, plan.replications) if i and i not in asked]


def rerun_seeds(state: PlanServiceState, plan: Plan, cmd: RerunPlan) -> list[tuple[int | None, int]]:
    """``(replication, seed)`` of the runs a "simulate again" asks for: seeds derived from the
    request's seed (no replication index), the plan's replications 0..N-1 again (``reproduce``),
    or the next N indices the plan has not used, reserved at once (two requests never share one)."""
    if cmd.seed is not None:
        return [(None, seed) for _, seed in replication_seeds(cmd.seed, 0, cmd.replications)]
    if cmd.reproduce:
        return list(replication_seeds(plan.seed, 0, cmd.replications))
    chosen = replication_seeds(plan.seed, state.next_replication(plan.plan_version_id), cmd.replications)
    state.replications_asked.setdefault(plan.plan_version_id, set()).update(i for i, _ in chosen)
    return list(chosen)
