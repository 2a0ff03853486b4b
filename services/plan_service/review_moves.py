"""The moves of a plan's review: submit (its revision's supply plan stored first), approve (the
scenario's plan approved before superseded) and reject (with a reason), each checked against the
plan's state and the user's role (``contracts.review.refusal``), then recorded."""

from contracts.commands import ErrorReply
from contracts.events import PlanApproved, PlanRejected, PlanSubmitted
from contracts.review import NEXT_STATE, ReviewDecided, ReviewPlan
from services.plan_service.ports import PRODUCER, Ports
from services.plan_service.review import NotReviewable, refused, reviewed, supply_plan
from services.plan_service.review_state import PlanReview


async def review_plan(cmd: ReviewPlan, ports: Ports) -> ReviewDecided | ErrorReply:
    if cmd.action == "reject" and not cmd.note.strip():
        return ErrorReply(error="validation_failed", message="a rejection says why: give a reason")
    async with ports.psi.lock(cmd.plan_version_id):
        try:
            review = await reviewed(ports, cmd.plan_version_id, cmd.by)
        except NotReviewable as refusal_:
            return refusal_.reply
        if (no := refused(review, cmd.action, cmd.by, cmd.role, ports)) is not None:
            return no
        try:
            return await _decide(cmd, review, ports)
        except NotReviewable as refusal_:
            return refusal_.reply


async def _decide(cmd: ReviewPlan, review: PlanReview, ports: Ports) -> ReviewDecided:
    plan_id, common = review.plan_version_id, {"correlation_id": review.plan_version_id, "producer": PRODUCER}
    supersedes, ref = None, None
    if cmd.action == "submit":
        ref = await supply_plan(ports, review)
        seq = await ports.record(PlanSubmitted(**common, plan_version_id=plan_id, base_scenario_id=review.base_scenario_id,
                                               revision=review.revision, supply_plan=ref, by=cmd.by, note=cmd.note))
    elif cmd.action == "approve":
        ref = review.supply_plans[review.revision]
        earlier = ports.state.reviews.approved.get(review.base_scenario_id)
        supersedes = earlier if earlier != plan_id else None
        seq = await ports.record(PlanApproved(
            **common, plan_version_id=plan_id, base_scenario_id=review.base_scenario_id, revision=review.revision,
            supply_plan=ref, submitted_by=review.submitted_by or "", supersedes=supersedes, by=cmd.by, note=cmd.note))
    else:
        seq = await ports.record(PlanRejected(**common, plan_version_id=plan_id, base_scenario_id=review.base_scenario_id,
                                              revision=review.revision, submitted_by=review.submitted_by or "",
                                              by=cmd.by, reason=cmd.note.strip()))
    return ReviewDecided(status=NEXT_STATE[cmd.action], revision=review.revision, supersedes=supersedes,
                         supply_plan=ref, recorded_seq=seq)
