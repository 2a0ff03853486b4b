"""Where plan_service works on plan reviews: one lock per plan (its commands are decided one at a
time against the fold), the grids of the plans worked on lately (each with its plan_final
document and how many of the plan's PSI facts it holds), and the self-approval setting."""

import asyncio
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from services.plan_service.domain.psi.grid import PsiGrid


@dataclass
class Worked:
    grid: PsiGrid
    plan_final: dict[str, Any]
    applied: int = 0
    """How many of the plan's PSI facts (``PlanReview.psi_facts``) the grid holds."""


class PsiWorkspace:
    def __init__(self, allow_self_approval: bool = False, keep: int = 16) -> None:
        self.allow_self_approval = allow_self_approval
        self._keep = keep
        self._locks: dict[str, asyncio.Lock] = {}
        self._worked: OrderedDict[str, Worked] = OrderedDict()

    def lock(self, plan_version_id: str) -> asyncio.Lock:
        return self._locks.setdefault(plan_version_id, asyncio.Lock())

    def worked(self, plan_version_id: str) -> Worked | None:
        found = self._worked.get(plan_version_id)
        if found is not None:
            self._worked.move_to_end(plan_version_id)
        return found

    def keep(self, plan_version_id: str, worked: Worked) -> Worked:
        self._worked[plan_version_id] = worked
        self._worked.move_to_end(plan_version_id)
        while len(self._worked) > self._keep:
            self._worked.popitem(last=False)
        return worked
