"""A plan of the largest sample made with in-memory fakes, and the commands of its review."""

import asyncio
from pathlib import Path
from typing import Any

from contracts.commands import CreatePlan
from contracts.psi import PsiCell, PsiDistribution, PsiRounding
from contracts.review import EditPsi, PsiEditCell, ReconcilePsi, ReviewPlan
from runtime.objects import InMemoryObjectStore
from runtime.publisher import InMemoryPublisher
from services.plan_service import plans, review
from services.plan_service.domain.psi.grid import PsiGrid
from services.plan_service.ports import Ports
from services.plan_service.psi_workspace import PsiWorkspace
from services.plan_service.sample_data import load_samples

SAMPLES = Path(__file__).resolve().parents[3] / "samples"


def new_ports(allow_self_approval: bool = False, objects: InMemoryObjectStore | None = None) -> tuple[Ports, list]:
    tasks: list = []
    ports = Ports(publisher=InMemoryPublisher(), objects=objects or InMemoryObjectStore(),
                  spawn=lambda coro: tasks.append(asyncio.ensure_future(coro)),
                  psi=PsiWorkspace(allow_self_approval))
    return ports, tasks


async def planned(ports: Ports, tasks: list, scenario: str = "scn_baseline") -> str:
    """A plan of the largest sample config (12 SKUs, 3 families, 12 months, 53 weeks)."""
    if not ports.state.configs:
        await load_samples(ports, SAMPLES)
    config = max(ports.state.configs.values(), key=lambda c: c.planning_days).config_version_id
    accepted = await plans.create_plan(CreatePlan(base_scenario_id=scenario, config_version_id=config), ports)
    await asyncio.gather(*tasks)
    tasks.clear()
    return accepted.plan_version_id


async def grid(ports: Ports, plan_id: str) -> PsiGrid:
    return (await review.worked(ports, ports.state.reviews.reviews[plan_id])).grid


def cell(level: str, period: str, key: str, measure: str, value: float | None = 0.0) -> PsiEditCell:
    return PsiEditCell(level=level, period=period, key=key, measure=measure, value=value)  # type: ignore[arg-type]


def ref(level: str, period: str, key: str, measure: str) -> PsiCell:
    return PsiCell(level=level, period=period, key=key, measure=measure)  # type: ignore[arg-type]


def edit(plan_id: str, level: str, cells: list[PsiEditCell], by: str = "pat", role: str = "planner",
         step: float | None = None, **more: Any) -> EditPsi:
    rounding = {"demand": PsiRounding(step=step), "supply": PsiRounding(step=step)} if step else {}
    more.setdefault("distribution", PsiDistribution(rounding=rounding))
    return EditPsi(plan_version_id=plan_id, by=by, role=role, level=level, cells=cells, **more)  # type: ignore[arg-type]


def move(plan_id: str, action: str, by: str, role: str, note: str = "") -> ReviewPlan:
    return ReviewPlan(plan_version_id=plan_id, action=action, by=by, role=role, note=note)  # type: ignore[arg-type]


def reconcile(plan_id: str, by: str = "pat", role: str = "planner", **more: Any) -> ReconcilePsi:
    return ReconcilePsi(plan_version_id=plan_id, by=by, role=role, **more)  # type: ignore[arg-type]
