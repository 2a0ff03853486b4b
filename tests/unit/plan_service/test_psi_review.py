"""Plan review at its owner, plan_service, with in-memory fakes: a plan's PSI opened in the log,
edits distributed and rolled up, locks, reconciles, the states a plan moves through by role, and
the revision a run of an edited plan executes."""

import asyncio
import json

import pytest
from review_helpers import cell, edit, grid, move, new_ports, planned, reconcile, ref

from contracts.commands import ErrorReply, RerunPlan
from contracts.events import PlanPsiBaselined, PlanPsiEdited, PlanReviewOpened, PlanRevised, RunRequested
from contracts.psi import PsiWeight
from contracts.review import EditPsi, OpenPsi, ReviewDecided, SetPsiWeights
from services.plan_service import plans, psi_edits, review, review_moves
from services.plan_service.domain.psi.grid import PsiGrid
from services.plan_service.psi_workspace import PsiWorkspace
from services.plan_service.state import PlanServiceState


def total(g: PsiGrid, cells: list) -> int:
    return sum(g.get(c) for c in cells)


@pytest.fixture()
async def plan():  # type: ignore[no-untyped-def]
    ports, tasks = new_ports()
    plan_id = await planned(ports, tasks)
    return ports, plan_id


async def test_a_plan_is_a_draft_at_revision_0_its_psi_in_the_log_and_the_levels_agree(plan):
    ports, plan_id = plan
    baselines = ports.publisher.of_type("PlanPsiBaselined")
    opened = ports.publisher.of_type("PlanReviewOpened")
    assert len(baselines) == 1 and isinstance(baselines[0], PlanPsiBaselined) and len(baselines[0].skus) == 12
    assert len(opened) == 1 and isinstance(opened[0], PlanReviewOpened) and opened[0].source.name == "plan_final"
    assert (ports.state.reviews.reviews[plan_id].state, ports.state.reviews.reviews[plan_id].revision) == ("draft", 0)
    g = await grid(ports, plan_id)
    assert all(g.get(c) == total(g, g.below(c)) for c in g.aggregate_cells() if g.below(c))


async def test_an_aggregate_edit_is_spread_over_the_detail_below_exactly_rounded_and_locked_cells_kept(plan):
    ports, plan_id = plan
    g = await grid(ports, plan_id)
    target = g.cell(ref("aggregate", "M2", "FAM1", "supply"))
    below = g.below(target)
    kept = below[0]
    locked = await psi_edits.edit_psi(edit(plan_id, "det", [], lock="lock", lock_cells=[g.named(kept)]), ports)
    assert locked.locked and locked.revision == 0
    before = g.get(kept)
    done = await psi_edits.edit_psi(edit(plan_id, "aggregate", [cell("aggregate", "M2", "FAM1", "supply", 1000.5)],
                                         step=10), ports)
    g = await grid(ports, plan_id)
    assert (done.updated, done.revision) == (1, 1) and done.distributed > 0
    assert g.get(target) == total(g, below) == 1_000_500_000
    assert g.get(kept) == before
    off_step = [c for c in below if c != kept and g.get(c) % 10_000_000]
    largest = max(g.get(c) for c in below if c != kept)
    assert len(off_step) == 1 and largest - g.get(off_step[0]) < 10_000_000, "the remainder went to the largest cell"


async def test_a_detail_edit_rolls_up_unless_its_aggregate_cell_is_locked_which_a_reconcile_then_keeps(plan):
    ports, plan_id = plan
    g = await grid(ports, plan_id)
    agg = g.cell(ref("aggregate", "M2", "FAM1", "demand"))
    detail = g.below(agg)
    name = g.named(detail[1])
    done = await psi_edits.edit_psi(edit(plan_id, "det", [cell("det", name.period, name.key, "demand", 7)]), ports)
    assert done.rolled_up == 1 and g.get(agg) == total(g, detail)
    await psi_edits.edit_psi(edit(plan_id, "aggregate", [], lock="lock", lock_cells=[g.named(agg)]), ports)
    pinned = g.get(agg)
    await psi_edits.edit_psi(edit(plan_id, "det", [cell("det", name.period, name.key, "demand", 500)], lock="lock"), ports)
    assert g.get(agg) == pinned != total(g, detail), "a locked aggregate cell does not follow its detail"
    rebalanced = await psi_edits.reconcile_psi(reconcile(plan_id, note="levels agree again"), ports)
    assert rebalanced.groups == 1 and rebalanced.cells > 0
    g = await grid(ports, plan_id)
    assert g.get(agg) == pinned == total(g, detail) and g.get(detail[1]) == 500_000_000


async def test_locked_cells_that_make_a_total_impossible_are_refused_and_nothing_is_recorded(plan):
    ports, plan_id = plan
    g = await grid(ports, plan_id)
    agg = g.cell(ref("aggregate", "M3", "FAM2", "supply"))
    locks = [g.named(c) for c in g.below(agg)]
    await psi_edits.edit_psi(edit(plan_id, "det", [], lock="lock", lock_cells=locks), ports)
    events = len(ports.publisher.events)
    refused = await psi_edits.edit_psi(edit(plan_id, "aggregate", [cell("aggregate", "M3", "FAM2", "supply", 1)]), ports)
    assert isinstance(refused, ErrorReply) and refused.error == "not_allowed" and "FAM2 M3 supply" in refused.message
    assert len(ports.publisher.events) == events
    skipped = await psi_edits.edit_psi(edit(plan_id, "det", [cell("det", locks[0].period, locks[0].key, "supply", 1)]),
                                       ports)
    assert skipped.updated == 0 and skipped.skipped == [f"det:week={locks[0].period},sku={locks[0].key}:field=supply_plan"]


async def test_unknown_cells_are_refused_as_invalid(plan):
    ports, plan_id = plan
    refused = await psi_edits.edit_psi(edit(plan_id, "det", [cell("det", "W99", "P1", "demand", 1)]), ports)
    assert isinstance(refused, ErrorReply) and refused.error == "validation_failed" and "W99" in refused.message
    weights = await psi_edits.set_weights(SetPsiWeights(plan_version_id=plan_id, by="pat", role="planner",
                                                        weights=[PsiWeight(key="det:week=W1,sku=NOPE", weight=1)]), ports)
    assert isinstance(weights, ErrorReply) and weights.error == "validation_failed"


async def test_distribution_by_given_weights_follows_them(plan):
    ports, plan_id = plan
    g = await grid(ports, plan_id)
    agg = g.cell(ref("aggregate", "M1", "FAM1", "demand"))
    rows = [g.row_key(c) for c in g.below(agg)]
    await psi_edits.set_weights(SetPsiWeights(plan_version_id=plan_id, by="pat", role="planner", note="mix",
                                              weights=[PsiWeight(key=rows[0], weight=3), PsiWeight(key=rows[1], weight=1)]),
                                ports)
    done = await psi_edits.edit_psi(EditPsi(plan_version_id=plan_id, by="pat", role="planner", level="aggregate",
                                            cells=[cell("aggregate", "M1", "FAM1", "demand", 400)],
                                            distribution={"weight_mode": "weights"}), ports)  # type: ignore[arg-type]
    assert done.revision == 1
    values = [g.get(c) for c in g.below(agg)]
    assert values[:2] == [300_000_000, 100_000_000] and not any(values[2:])


ROLES = ("viewer", "planner", "approver", "admin")


@pytest.mark.parametrize("role", ROLES)
async def test_who_may_edit_and_submit_a_draft(plan, role):
    ports, plan_id = plan
    edited = await psi_edits.edit_psi(edit(plan_id, "det", [cell("det", "W1", "P1", "demand", 1)], by="u", role=role), ports)
    submitted = await review_moves.review_plan(move(plan_id, "submit", "u", role), ports)
    if role == "viewer":
        assert edited.error == submitted.error == "forbidden"  # type: ignore[union-attr]
    else:
        assert edited.updated == 1 and isinstance(submitted, ReviewDecided) and submitted.status == "submitted"  # type: ignore[union-attr]


@pytest.mark.parametrize("role", ROLES)
async def test_who_may_approve_or_reject_a_submitted_plan_and_never_their_own_submission(plan, role):
    ports, plan_id = plan
    await review_moves.review_plan(move(plan_id, "submit", "sub", "planner"), ports)
    own = await review_moves.review_plan(move(plan_id, "approve", "sub", "admin"), ports)
    assert isinstance(own, ErrorReply) and own.error == "forbidden" and "SCPLN_ALLOW_SELF_APPROVAL" in own.message
    rejected = await review_moves.review_plan(move(plan_id, "reject", "other", role, "FAM2 too low"), ports)
    if role in ("viewer", "planner"):
        assert rejected.error == "forbidden"  # type: ignore[union-attr]
    else:
        assert rejected.status == "draft" and ports.state.reviews.reviews[plan_id].state == "draft"  # type: ignore[union-attr]


async def test_only_a_draft_changes_and_an_approved_plan_is_immutable(plan):
    ports, plan_id = plan
    assert (await review_moves.review_plan(move(plan_id, "approve", "al", "approver"), ports)).error == "not_allowed"  # type: ignore[union-attr]
    await review_moves.review_plan(move(plan_id, "submit", "pat", "planner"), ports)
    frozen = await psi_edits.edit_psi(edit(plan_id, "det", [cell("det", "W1", "P1", "demand", 1)]), ports)
    assert frozen.error == "not_allowed" and "only a draft" in frozen.message  # type: ignore[union-attr]
    assert (await review_moves.review_plan(move(plan_id, "reject", "al", "approver"), ports)).error == "validation_failed"  # type: ignore[union-attr]
    await review_moves.review_plan(move(plan_id, "approve", "al", "approver"), ports)
    for pending in (psi_edits.edit_psi(edit(plan_id, "det", []), ports), psi_edits.reconcile_psi(reconcile(plan_id), ports),
                    review_moves.review_plan(move(plan_id, "submit", "pat", "planner"), ports)):
        assert (await pending).error == "not_allowed"  # type: ignore[union-attr]


async def test_self_approval_when_allowed():
    ports, tasks = new_ports(allow_self_approval=True)
    plan_id = await planned(ports, tasks)
    await review_moves.review_plan(move(plan_id, "submit", "lee", "approver"), ports)
    assert (await review_moves.review_plan(move(plan_id, "approve", "lee", "approver"), ports)).status == "approved"  # type: ignore[union-attr]


async def test_approving_a_plan_supersedes_the_scenarios_plan_approved_before(plan):
    ports, first = plan
    tasks: list = []
    ports.spawn = lambda coro: tasks.append(asyncio.ensure_future(coro))
    second = await planned(ports, tasks)
    for plan_id in (first, second):
        await review_moves.review_plan(move(plan_id, "submit", "pat", "planner"), ports)
        approved = await review_moves.review_plan(move(plan_id, "approve", "al", "approver"), ports)
    assert approved.supersedes == first  # type: ignore[union-attr]
    assert ports.state.reviews.reviews[first].state == "superseded"
    assert ports.state.reviews.reviews[second].state == "approved"


async def test_a_run_of_an_edited_plan_executes_its_revision_stored_once(plan):
    ports, plan_id = plan
    await psi_edits.edit_psi(edit(plan_id, "det", [cell("det", "W2", "P1", "supply", 12.5)], note="rush"), ports)
    await plans.rerun_plan(RerunPlan(plan_version_id=plan_id), ports)
    await plans.rerun_plan(RerunPlan(plan_version_id=plan_id), ports)
    revised = ports.publisher.of_type("PlanRevised")
    requested = [e for e in ports.publisher.events if isinstance(e, RunRequested)]
    assert len(revised) == 1 and isinstance(revised[0], PlanRevised) and revised[0].revision == 1
    assert {r.supply_plan for r in requested[-2:]} == {revised[0].supply_plan}
    document = json.loads(await ports.objects.get(revised[0].supply_plan.bucket, revised[0].supply_plan.key))
    p1 = [i["item"] for i in document["items"]].index("P1")
    assert document["revision"] == 1 and document["supply"][p1][1] == 12.5 and revised[0].changed_cells == 1


async def test_a_restarted_plan_service_folds_the_same_review_from_the_log(plan):
    ports, plan_id = plan
    await psi_edits.edit_psi(edit(plan_id, "aggregate", [cell("aggregate", "M4", "FAM3", "supply", 99)], step=1), ports)
    await psi_edits.edit_psi(edit(plan_id, "det", [], lock="lock", lock_cells=[ref("det", "W3", "P2", "demand")]), ports)
    before = await grid(ports, plan_id)
    restarted, _ = new_ports(objects=ports.objects)
    restarted.state = PlanServiceState()
    for event in ports.publisher.events:
        restarted.state.apply(event)
    after = await grid(restarted, plan_id)
    assert after.values == before.values and after.locked == before.locked
    assert restarted.state.reviews.reviews[plan_id].revision == 1


async def test_a_plan_planned_before_plan_review_gets_its_psi_when_first_asked(plan):
    ports, plan_id = plan
    older, _ = new_ports(objects=ports.objects)
    for event in ports.publisher.events:
        if event.event_type not in ("PlanPsiBaselined", "PlanReviewOpened"):
            older.state.apply(event)
    assert plan_id not in older.state.reviews.reviews
    opened = await review.open_psi(OpenPsi(plan_version_id=plan_id, by="viv"), older)
    again = await review.open_psi(OpenPsi(plan_version_id=plan_id, by="viv"), older)
    assert opened.recorded_seq is not None and again.recorded_seq is None  # type: ignore[union-attr]
    assert [e.event_type for e in older.publisher.events] == ["PlanPsiBaselined", "PlanReviewOpened"]
    assert older.publisher.events[1].by == "viv"  # type: ignore[attr-defined]
    assert (await grid(older, plan_id)).values == (await grid(ports, plan_id)).values


async def test_an_edit_records_who_when_why_and_the_cells_it_set(plan):
    ports, plan_id = plan
    await psi_edits.edit_psi(edit(plan_id, "aggregate", [cell("aggregate", "M1", "FAM2", "demand", 10)], note="promo"),
                             ports)
    fact = ports.publisher.events[-1]
    assert isinstance(fact, PlanPsiEdited) and (fact.by, fact.note, fact.revision, fact.level) == ("pat", "promo", 1, "aggregate")
    assert fact.cells[0].value == 10 and sum(c.value for c in fact.distributed) == pytest.approx(10)


async def test_a_plan_whose_artifacts_were_removed_is_refused_with_why_not_an_internal_error(plan):
    ports, plan_id = plan
    ports.psi = PsiWorkspace()
    for key in [k for k in ports.objects.objects if k[1].startswith(f"{plan_id}/")]:
        del ports.objects.objects[key]
    refused = await psi_edits.edit_psi(edit(plan_id, "det", [cell("det", "W1", "P1", "demand", 1)]), ports)
    assert isinstance(refused, ErrorReply) and refused.error == "not_allowed" and "no longer stored" in refused.message
    submitted = await review_moves.review_plan(move(plan_id, "submit", "pat", "planner"), ports)
    assert submitted.status == "submitted", "revision 0 is plan_final itself: nothing to compute"  # type: ignore[union-attr]
