"""A plan's PSI as its pipeline made it, in facts the log can carry: ``PlanPsiBaselined`` parts
of at most ``SKUS_PER_PART`` SKUs each (an event stays well under 1 MiB), the aggregate rows in
part 1. Their event ids follow from the plan and the part: published twice, stored once. Pure."""

import uuid

from contracts.events import PlanPsiBaselined
from contracts.psi import PsiAggregateRow, PsiSkuRows, PsiSpan, PsiWeek
from services.plan_service.domain.psi.grid import PsiGrid
from services.plan_service.domain.psi.spread import quantity

SKUS_PER_PART = 200
_NAMESPACE = uuid.UUID("5b0d2c1e-7f3a-4c55-9a8e-2d4f6b1c9e07")


def event_id(plan_version_id: str, what: str) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, f"{plan_version_id}/{what}")


def baseline_parts(grid: PsiGrid, plan_version_id: str, producer: str) -> list[PlanPsiBaselined]:
    periods = [PsiSpan(**p) for p in grid.periods]
    weeks = [PsiWeek(**w, period=grid.periods[p]["label"] if p >= 0 else "") for w, p in zip(grid.weeks, grid.week_period)]
    aggregate = [PsiAggregateRow(period=grid.periods[p]["label"], family=family,
                                 demand=quantity(grid.base["aggregate"]["demand"][f][p]),
                                 supply=quantity(grid.base["aggregate"]["supply"][f][p]))
                 for f, family in enumerate(grid.families) for p in range(len(grid.periods))]
    rows = [PsiSkuRows(sku=sku, family=grid.families[grid.sku_family[s]], opening=quantity(grid.opening[s]),
                       demand=[quantity(v) for v in grid.base["det"]["demand"][s]],
                       supply=[quantity(v) for v in grid.base["det"]["supply"][s]])
            for s, sku in enumerate(grid.skus)]
    chunks = [rows[i:i + SKUS_PER_PART] for i in range(0, len(rows), SKUS_PER_PART)] or [[]]
    return [PlanPsiBaselined(event_id=event_id(plan_version_id, f"baseline/{n}"), correlation_id=plan_version_id,
                             producer=producer, plan_version_id=plan_version_id, part=n, parts=len(chunks),
                             periods=periods, weeks=weeks, aggregate=aggregate if n == 1 else [],
                             first_sku=(n - 1) * SKUS_PER_PART, skus=chunk)
            for n, chunk in enumerate(chunks, start=1)]
