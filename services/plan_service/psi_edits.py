"""Changing a draft's PSI: edits (with their distribution or roll-up) and locks, reconciles, and
weights. Each command is checked against the plan's review state and the signed-in user's role,
decided against the plan's grid (``domain.psi.decide``), then recorded as one fact per kind of
change; a refusal records nothing."""

from collections.abc import Awaitable, Callable
from typing import Any

from contracts.commands import ErrorReply
from contracts.events import PlanPsiEdited, PlanPsiLocksChanged, PlanPsiReconciled, PlanPsiWeightsSet
from contracts.psi import MEASURES, PsiCell, PsiWeight, cell_key, parse_key, row_key
from contracts.review import (
    EditPsi,
    PsiCommand,
    PsiEdited,
    PsiReconciled,
    PsiWeightsSet,
    ReconcilePsi,
    SetPsiWeights,
)
from services.plan_service.domain.psi.decide import Refused, decide_edit, decide_reconcile
from services.plan_service.domain.psi.grid import Cell, PsiGrid, UnknownCell
from services.plan_service.ports import PRODUCER, Ports
from services.plan_service.review import NotReviewable, refused, reviewed, worked
from services.plan_service.review_state import PlanReview

Decide = Callable[[PlanReview, PsiGrid], Awaitable[Any]]


async def _as_draft_edit(cmd: PsiCommand, ports: Ports, decide: Decide) -> Any:
    """Run ``decide`` under the plan's lock once the plan is a draft the user may edit."""
    async with ports.psi.lock(cmd.plan_version_id):
        try:
            review = await reviewed(ports, cmd.plan_version_id, cmd.by)
            if (no := refused(review, "edit", cmd.by, cmd.role, ports)) is not None:
                return no
            grid = (await worked(ports, review)).grid
        except NotReviewable as refusal_:
            return refusal_.reply
        try:
            return await decide(review, grid)
        except UnknownCell as unknown:
            return ErrorReply(error="validation_failed", message=str(unknown.args[0]))
        except Refused as no_way:
            return ErrorReply(error=no_way.code, message=no_way.message)  # type: ignore[arg-type]


def _common(cmd: PsiCommand) -> dict[str, Any]:
    return {"correlation_id": cmd.plan_version_id, "producer": PRODUCER, "plan_version_id": cmd.plan_version_id,
            "by": cmd.by, "note": cmd.note}


async def edit_psi(cmd: EditPsi, ports: Ports) -> PsiEdited | ErrorReply:
    async def decide(review: PlanReview, grid: PsiGrid) -> PsiEdited | ErrorReply:
        if any(c.level != cmd.level for c in cmd.cells):
            return ErrorReply(error="validation_failed", message=f"every edited cell is of the level {cmd.level}")
        edits = [(grid.cell(c), c.value) for c in cmd.cells]
        outcome = decide_edit(grid, edits, lock=cmd.lock, lock_cells=[grid.cell(c) for c in cmd.lock_cells],
                              distribution=cmd.distribution, auto=cmd.auto)
        seq, revision = None, review.revision
        if outcome.changes_values:
            revision += 1
            seq = await ports.record(PlanPsiEdited(
                **_common(cmd), revision=revision, level=cmd.level,
                cells=[grid.named(c, v) for c, v in outcome.cells],  # type: ignore[misc]
                distributed=[grid.named(c, v) for c, v in outcome.distributed],  # type: ignore[misc]
                rolled_up=[grid.named(c, v) for c, v in outcome.rolled_up],  # type: ignore[misc]
                distribution=cmd.distribution if outcome.distributed else None))
        if outcome.locked or outcome.unlocked:
            seq = await ports.record(PlanPsiLocksChanged(
                **_common(cmd), revision=revision, locked=[grid.named(c) for c in outcome.locked],
                unlocked=[grid.named(c) for c in outcome.unlocked]))
        grid = (await worked(ports, review)).grid
        return PsiEdited(updated=len(outcome.cells), skipped=[cell_key(grid.named(c)) for c in outcome.skipped],
                         locked=lock_keys(grid, cmd.level), distributed=len(outcome.distributed),
                         rolled_up=len(outcome.rolled_up), revision=revision, recorded_seq=seq)

    return await _as_draft_edit(cmd, ports, decide)


async def reconcile_psi(cmd: ReconcilePsi, ports: Ports) -> PsiReconciled | ErrorReply:
    async def decide(review: PlanReview, grid: PsiGrid) -> PsiReconciled:
        outcome = decide_reconcile(grid, cmd.rounding, cmd.family)
        if not outcome.cells:
            return PsiReconciled(groups=0, cells=0, revision=review.revision)
        seq = await ports.record(PlanPsiReconciled(
            **_common(cmd), revision=review.revision + 1, groups=outcome.groups,
            cells=[grid.named(c, v) for c, v in outcome.cells], rounding=cmd.rounding))  # type: ignore[misc]
        return PsiReconciled(groups=outcome.groups, cells=len(outcome.cells), revision=review.revision,
                             recorded_seq=seq)

    return await _as_draft_edit(cmd, ports, decide)


async def set_weights(cmd: SetPsiWeights, ports: Ports) -> PsiWeightsSet | ErrorReply:
    async def decide(review: PlanReview, grid: PsiGrid) -> PsiWeightsSet | ErrorReply:
        weights = []
        for given in cmd.weights:
            try:
                level, period, key, measure = parse_key(given.key)
            except ValueError as bad:
                return ErrorReply(error="validation_failed", message=str(bad))
            if measure is not None:
                return ErrorReply(error="validation_failed", message=f"{given.key}: weights are of rows, not of one field")
            grid.cell(PsiCell(level=level, period=period, key=key, measure="demand"))
            weights.append(PsiWeight(key=row_key(level, period, key), weight=given.weight))
        seq = await ports.record(PlanPsiWeightsSet(**_common(cmd), revision=review.revision, weights=weights))
        return PsiWeightsSet(count=len(weights), recorded_seq=seq)

    return await _as_draft_edit(cmd, ports, decide)


def lock_keys(grid: PsiGrid, level: str) -> list[str]:
    """The level's locked cells by key: a row's key when every measure of it is locked."""
    rows: dict[tuple[int, int], list[Cell]] = {}
    for cell in grid.locked:
        if cell[0] == level:
            rows.setdefault((cell[2], cell[3]), []).append(cell)
    keys = []
    for cells in rows.values():
        if len(cells) == len(MEASURES):
            keys.append(grid.row_key(cells[0]))
        else:
            keys.extend(cell_key(grid.named(c)) for c in cells)
    return sorted(keys)
