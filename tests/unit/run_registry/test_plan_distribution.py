"""A plan's runs taken together in the read model: each run's replication index, the plan's
replications and warnings, and each KPI's distribution over its succeeded runs (P50 = median)."""

import json
import statistics
from datetime import timedelta

import pytest
from registry_helpers import T0, config_created, engine_for, messages, plan_created, run_completed, run_failed

from contracts import events as ev
from contracts import queries as q
from services.run_registry import queries
from services.run_registry.writer import ReadModelWriter

FILL_RATES = [0.91, 0.72, 0.85, 0.6, 0.97]


def replicated(run: ev.RunCompleted, replication: int | None) -> ev.RunCompleted:
    return run.model_copy(update={"replication": replication})


@pytest.fixture()
def conn():
    engine = engine_for("memory")
    plan = plan_created("p1").model_copy(update={"replications": 5, "warnings": [
        ev.RunWarning(code="component_without_source", node="F", item="C", message="no source")]})
    runs = [replicated(run_completed(f"r{i}", started=T0 + timedelta(minutes=i), fill_rate=rate, profit=100.0 * i), i)
            for i, rate in enumerate(FILL_RATES)]
    events = [config_created("c1"), plan, *runs, run_failed("r9", started=T0 + timedelta(hours=1)),
              run_completed("other", pv="p2", fill_rate=0.1)]
    ReadModelWriter(engine).apply_batch(messages(events))
    with engine.connect() as connection:
        yield connection


def test_the_plans_distribution_is_over_its_succeeded_runs_and_p50_is_their_median(conn):
    detail = queries.get_plan(conn, q.GetPlan(plan_version_id="p1"))
    by_key = {d.key: d for d in detail.distribution}
    fill = by_key["fill_rate"]
    assert fill.count == 5  # the failed run and the other plan's run are not in it
    assert fill.p50 == pytest.approx(statistics.median(FILL_RATES))
    assert fill.mean == pytest.approx(statistics.fmean(FILL_RATES))
    assert (fill.min, fill.max) == (0.6, 0.97) and fill.p10 < fill.p50 < fill.p90
    assert by_key["profit_total"].p50 == pytest.approx(200.0)
    assert list(by_key)[:2] == ["planning_days", "fill_rate"]  # the order of contracts/kpis.py


def test_each_run_keeps_its_replication_and_the_plan_its_replications_and_warnings(conn):
    detail = queries.get_plan(conn, q.GetPlan(plan_version_id="p1"))
    assert {r.run_id: r.replication for r in detail.runs} == {"r0": 0, "r1": 1, "r2": 2, "r3": 3, "r4": 4, "r9": None}
    assert detail.plan.replications == 5
    assert [(w.code, w.node, w.item) for w in detail.plan.warnings] == [("component_without_source", "F", "C")]
    assert queries.get_run(conn, q.GetRun(run_id="r3")).run.replication == 3


def test_a_plan_without_succeeded_runs_has_no_distribution():
    engine = engine_for("memory")
    ReadModelWriter(engine).apply_batch(messages([config_created("c1"), plan_created("p1"), run_failed("r1")]))
    with engine.connect() as conn:
        assert queries.get_plan(conn, q.GetPlan(plan_version_id="p1")).distribution == []


def test_runs_and_plans_recorded_before_replications_are_read_with_none_and_one():
    old_run = json.loads(ev.encode(run_completed("r1")))
    old_run.update(schema_version=2)
    del old_run["replication"]
    assert ev.decode(json.dumps(old_run).encode()).replication is None
    old_plan = json.loads(ev.encode(plan_created("p1")))
    old_plan.update(schema_version=2)
    del old_plan["replications"], old_plan["warnings"]
    upcast = ev.decode(json.dumps(old_plan).encode())
    assert (upcast.replications, upcast.warnings, upcast.schema_version) == (1, [], 3)
