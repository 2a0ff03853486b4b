"""Plan review, the owner's side: a plan's PSI opened in the log, its grid, the supply plan of a
revision, and the moves between review states (submit, approve, reject). Handlers are plain
async functions of ``(command, ports)``; each plan's commands are decided one at a time
(``ports.psi.lock``) against the fold, then recorded (published, then folded)."""

import json
import logging
from typing import Any

from contracts import subjects
from contracts.commands import ErrorReply
from contracts.events import (
    ArtifactRef,
    PlanReviewOpened,
    PlanRevised,
)
from contracts.review import OpenPsi, PsiOpened, ReviewAction, refusal
from runtime.objects import ObjectMissing, json_bytes
from services.plan_service.domain.psi.baseline import baseline_parts, event_id
from services.plan_service.domain.psi.grid import PsiGrid, grid_from_documents
from services.plan_service.domain.psi.revision import changed_cells, revised_plan_final
from services.plan_service.ports import PRODUCER, Ports
from services.plan_service.psi_workspace import Worked
from services.plan_service.review_state import PlanReview

log = logging.getLogger("plan_service.review")
DOCUMENTS = ("plan_final", "aggregate", "mrp")
"""The artifacts a plan's PSI is read from."""


class NotReviewable(Exception):
    def __init__(self, reply: ErrorReply) -> None:
        super().__init__(reply.message)
        self.reply = reply


async def open_psi(cmd: OpenPsi, ports: Ports) -> PsiOpened | ErrorReply:
    """Put the PSI of a plan planned before plan review in the log (idempotent)."""
    if cmd.plan_version_id in ports.state.reviews.reviews:
        return PsiOpened(plan_version_id=cmd.plan_version_id)
    async with ports.psi.lock(cmd.plan_version_id):
        try:
            seq = await _open(ports, cmd.plan_version_id, cmd.by)
        except NotReviewable as refused:
            return refused.reply
    return PsiOpened(plan_version_id=cmd.plan_version_id, recorded_seq=seq)


async def open_after_planning(ports: Ports, plan_version_id: str, documents: dict[str, Any]) -> None:
    """A plan just made: its PSI into the log from the pipeline's documents in hand. Never fails
    the plan: a PSI that cannot be opened now is opened when it is first asked for."""
    try:
        async with ports.psi.lock(plan_version_id):
            if plan_version_id not in ports.state.reviews.reviews:
                await _publish_open(ports, plan_version_id, {n: documents[n] for n in DOCUMENTS}, "plan_service")
    except Exception as exc:  # noqa: BLE001 - the plan stands; its PSI opens on first use
        log.warning("the PSI of plan %s is not in the log yet (%s: %s); it opens when first asked for",
                    plan_version_id, type(exc).__name__, exc)


async def reviewed(ports: Ports, plan_version_id: str, by: str) -> PlanReview:
    """The plan's review, opened first when the plan was planned before plan review existed.
    Call under the plan's lock; NotReviewable for a plan that is not ready."""
    review = ports.state.reviews.reviews.get(plan_version_id)
    if review is None:
        await _open(ports, plan_version_id, by)
        review = ports.state.reviews.reviews[plan_version_id]
    return review


async def _open(ports: Ports, plan_version_id: str, by: str) -> int:
    refs = ports.state.reviews.artifacts.get(plan_version_id)
    if plan_version_id not in ports.state.plans or refs is None:
        raise NotReviewable(ErrorReply(error="plan_not_found", message=(
            f"plan version {plan_version_id} does not exist or is not planned: it has no PSI")))
    if missing := [n for n in DOCUMENTS if n not in refs]:
        raise NotReviewable(ErrorReply(error="not_allowed", message=(
            f"plan {plan_version_id} has no {', '.join(missing)} artifact: it has no PSI to review")))
    return await _publish_open(ports, plan_version_id, await _documents(ports, plan_version_id), by)


async def _documents(ports: Ports, plan_version_id: str) -> dict[str, Any]:
    """The plan's artifacts a PSI is read from; NotReviewable when the object store no longer
    holds them (removed by the storage sweep)."""
    refs = ports.state.reviews.artifacts[plan_version_id]
    try:
        return {n: json.loads(await ports.objects.get(refs[n].bucket, refs[n].key)) for n in DOCUMENTS}
    except ObjectMissing as gone:
        raise NotReviewable(ErrorReply(error="not_allowed", message=(
            f"plan {plan_version_id}: its {', '.join(DOCUMENTS)} artifacts are no longer stored ({gone}); its PSI "
            "can be read but not changed"))) from None


async def _publish_open(ports: Ports, plan_version_id: str, documents: dict[str, Any], by: str) -> int:
    grid = grid_from_documents(documents["plan_final"], documents["aggregate"], documents["mrp"])
    parts = baseline_parts(grid, plan_version_id, PRODUCER)
    for part in parts:
        await ports.publisher.publish(part)
    source = ports.state.reviews.artifacts[plan_version_id]["plan_final"]
    opened = PlanReviewOpened(
        event_id=event_id(plan_version_id, "opened"), correlation_id=plan_version_id, producer=PRODUCER,
        plan_version_id=plan_version_id, base_scenario_id=ports.state.reviews.scenario_of[plan_version_id],
        parts=len(parts), source=source, by=by)
    seq = await ports.record(opened)
    ports.psi.keep(plan_version_id, Worked(grid, documents["plan_final"]))
    return seq


async def worked(ports: Ports, review: PlanReview) -> Worked:
    """The plan's grid with every PSI fact of the fold applied (read from its artifacts when not kept);
    NotReviewable when they are gone."""
    found = ports.psi.worked(review.plan_version_id)
    if found is None:
        documents = await _documents(ports, review.plan_version_id)
        grid = grid_from_documents(documents["plan_final"], documents["aggregate"], documents["mrp"])
        found = ports.psi.keep(review.plan_version_id, Worked(grid, documents["plan_final"]))
    for fact in review.psi_facts[found.applied:]:
        found.grid.apply(fact)
    found.applied = len(review.psi_facts)
    return found


def refused(review: PlanReview, action: ReviewAction, by: str, role: str, ports: Ports) -> ErrorReply | None:
    why = refusal(action, review.state, role, by, review.submitted_by, ports.psi.allow_self_approval)
    return None if why is None else ErrorReply(error=why[0], message=f"plan {review.plan_version_id}: {why[1]}")


async def supply_plan(ports: Ports, review: PlanReview) -> ArtifactRef:
    """The supply plan of the plan's current revision, stored (and recorded, ``PlanRevised``) when
    it is not yet."""
    if (stored := review.supply_plans.get(review.revision)) is not None:
        return stored
    work = await worked(ports, review)
    return await _store_revision(ports, review, work.grid, work.plan_final)


async def _store_revision(ports: Ports, review: PlanReview, grid: PsiGrid, plan_final: dict[str, Any]) -> ArtifactRef:
    plan_id, revision = review.plan_version_id, review.revision
    document = revised_plan_final(plan_final, grid, plan_id, revision, review.source.sha256)
    ref = await ports.objects.put("plan_final", subjects.ARTIFACTS_BUCKET, f"{plan_id}/plan_final.r{revision}.json",
                                  json_bytes(document))
    await ports.record(PlanRevised(event_id=event_id(plan_id, f"revised/{revision}"), correlation_id=plan_id,
                                   producer=PRODUCER, plan_version_id=plan_id, revision=revision, supply_plan=ref,
                                   changed_cells=changed_cells(grid)))
    return ref


async def prepare_run(ports: Ports, plan_version_id: str) -> None:
    """Before a plan is simulated again: the supply plan of its current revision is stored, so the
    run executes the plan as edited (the fold points the plan at it)."""
    review = ports.state.reviews.reviews.get(plan_version_id)
    if review is None or review.revision == 0:
        return
    async with ports.psi.lock(plan_version_id):
        try:
            await supply_plan(ports, review)
        except NotReviewable as refusal_:
            log.warning("plan %s is simulated as last stored: %s", plan_version_id, refusal_.reply.message)
