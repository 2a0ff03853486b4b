"""The registry's projection of plan review facts, fed by what plan_service really publishes (with
fakes): the PSI grid of each level with its derived measures, locks, the review state, the audit
trail, the revision each run executed; and a replay in other batches gives the same tables."""

import itertools
from datetime import UTC, datetime

import pytest
from registry_helpers import engine_for, messages, plan_created, run_completed

from contracts.commands import RerunPlan
from contracts.events import RunRequested
from contracts.psi import PsiWeight
from contracts.review import SetPsiWeights
from contracts.review_queries import GetPsi, GetPsiAudit, GetPsiState, GetPsiWeights
from services.plan_service import plans, psi_edits, review_moves
from services.run_registry import review_queries
from services.run_registry.digest import table_digests
from services.run_registry.writer import ReadModelWriter
from tests.unit.plan_service.review_helpers import cell, edit, move, new_ports, planned


@pytest.fixture()
async def reviewed():  # type: ignore[no-untyped-def]
    """A plan edited at both levels, locked, weighted, simulated again, submitted and approved,
    and a second plan of the scenario approved after it."""
    ports, tasks = new_ports()
    first = await planned(ports, tasks)
    await psi_edits.edit_psi(edit(first, "aggregate", [cell("aggregate", "M2", "FAM1", "supply", 1000)], step=1,
                                  note="capacity cut"), ports)
    await psi_edits.edit_psi(edit(first, "det", [cell("det", "W1", "P1", "demand", 0)], lock="lock", note="promo off"),
                             ports)
    await psi_edits.set_weights(SetPsiWeights(plan_version_id=first, by="pat", role="planner",
                                              weights=[PsiWeight(key="det:week=W2,sku=P2", weight=2)]), ports)
    await plans.rerun_plan(RerunPlan(plan_version_id=first), ports)
    await review_moves.review_plan(move(first, "submit", "pat", "planner", "ready"), ports)
    await review_moves.review_plan(move(first, "approve", "al", "approver", "ok"), ports)
    second = await planned(ports, tasks)
    await review_moves.review_plan(move(second, "submit", "pat", "planner"), ports)
    await review_moves.review_plan(move(second, "approve", "al", "approver"), ports)
    events = list(ports.publisher.events)
    jobs = [e.job_id for e in events if isinstance(e, RunRequested) and e.plan_version_id == first]
    first_job = next(e.simulation_job_id for e in events if e.event_type == "PlanCreated" and e.plan_version_id == first)
    events += [run_completed("run_r0", pv=first, job=first_job), run_completed("run_r2", pv=first, job=jobs[-1])]
    return events, first, second


def project(events, batch: int):  # type: ignore[no-untyped-def]
    engine = engine_for("memory")
    writer = ReadModelWriter(engine)
    all_messages = messages(events)
    for start in range(0, len(all_messages), batch):
        outcome = writer.apply_batch(all_messages[start:start + batch])
        assert not outcome.dead_lettered and not outcome.undecodable
    return engine


def test_a_replay_in_any_batches_makes_the_same_tables(reviewed):
    events, _, _ = reviewed
    assert table_digests(project(events, 1000)) == table_digests(project(events, 1))


def test_the_grid_holds_both_levels_with_original_edited_locked_and_derived_values(reviewed):
    events, first, _ = reviewed
    with project(events, 50).connect() as conn:
        agg = review_queries.get_psi(conn, GetPsi(plan_version_id=first, level="aggregate", q="m2 fam1"))
        det = review_queries.get_psi(conn, GetPsi(plan_version_id=first, level="det", q="p1", limit=60))
    row = agg.rows[0]
    assert (agg.total, row["period"], row["family"], row["supply"]) == (1, "M2", "FAM1", 1000.0)
    assert row["edited"] == ["supply"] and row["original"]["supply"] > 1000 and row["agrees"]
    assert row["backlog"] == pytest.approx(row["demand"] - row["supply"])
    w1 = next(r for r in det.rows if r["week"] == "W1" and r["sku"] == "P1")
    assert w1["demand"] == 0 and w1["locked"] == ["demand", "supply_plan"] and w1["edited"] == ["demand"]
    assert "det:week=W1,sku=P1" in det.locks
    p1 = [r for r in det.rows if r["sku"] == "P1"]
    for before, after in itertools.pairwise(p1):
        assert after["on_hand_start"] == pytest.approx(before["on_hand_end"])
    backlog_before = 0.0
    for r in p1:
        net_start, net_end = r["on_hand_start"] - backlog_before, r["on_hand_end"] - r["backlog"]
        assert net_end == pytest.approx(net_start + r["supply_plan"] - r["demand"]), "stock and backorders flow"
        assert min(r["on_hand_end"], r["backlog"]) == 0
        backlog_before = r["backlog"]


def test_the_review_state_runs_revisions_and_the_scenarios_superseded_plan(reviewed):
    events, first, second = reviewed
    with project(events, 50).connect() as conn:
        one = review_queries.get_psi_state(conn, GetPsiState(plan_version_id=first))
        two = review_queries.get_psi_state(conn, GetPsiState(plan_version_id=second))
        weights = review_queries.get_psi_weights(conn, GetPsiWeights(plan_version_id=first))
    assert (one.state, one.revision, one.superseded_by, one.submitted_by, one.approved_by) == (
        "superseded", 2, second, "pat", "al")
    assert (two.state, two.revision, two.last_decision) == ("approved", 0, "approved")
    assert [r.revision for r in one.revisions] == [2]
    assert one.run_revisions == {"run_r0": 0, "run_r2": 2}
    assert [(w.key, w.weight) for w in weights.rows] == [("det:week=W2,sku=P2", 2.0)]


def test_the_audit_trail_is_every_fact_with_who_when_and_why_newest_first(reviewed):
    events, first, _ = reviewed
    with project(events, 50).connect() as conn:
        audit = review_queries.get_psi_audit(conn, GetPsiAudit(plan_version_id=first))
        promo = review_queries.get_psi_audit(conn, GetPsiAudit(plan_version_id=first, q="PROMO"))
    kinds = [e.event_type for e in reversed(audit.events)]
    assert kinds == ["open", "edit", "edit", "lock", "weight", "revise", "submit", "approve", "superseded"]
    edit_ = audit.events[-2]
    assert (edit_.actor, edit_.notes, edit_.level, edit_.revision) == ("pat", "capacity cut", "aggregate", 1)
    assert edit_.key_hash == "agg:period=M2,family=FAM1:field=supply" and edit_.payload["distributed"] > 0
    assert edit_.timestamp <= int(datetime.now(UTC).timestamp() * 1000)
    assert [e.notes for e in promo.events] == ["promo off", "promo off"]


def test_a_plan_without_a_review_answers_not_opened_with_its_status():
    engine = engine_for("memory")
    ReadModelWriter(engine).apply_batch(messages([plan_created("p1")]))
    with engine.connect() as conn:
        page = review_queries.get_psi(conn, GetPsi(plan_version_id="p1"))
    assert (page.opened, page.plan_status, page.rows) == (False, "ready", [])

