"""The read model keeps a scenario's what-ifs and a plan's applied what-ifs, effective digest and diff:
a pure projection (a rebuild gives the same tables), and events of schema 1 read as having none."""

import json

from registry_helpers import ART, T0, engine_for, messages, plan_created, scenario_created

from contracts import events as ev
from contracts import queries as q
from contracts.overrides import AppliedOverride, ConfigChange, ScenarioOverride
from services.run_registry import queries
from services.run_registry.digest import table_digests
from services.run_registry.writer import ReadModelWriter

ENV = {"correlation_id": "c", "producer": "t", "occurred_at": T0}
PEAK = [{"type": "demand_scale", "factor": 1.3, "from": "2025-02-01", "to": "2025-03-31"}]
MORE = [{"type": "lead_time_change", "arc": {"from_node": "F1", "to_node": "W1"}, "delta": 2}]


def history() -> list:
    applied = [AppliedOverride(scenario_id="peak", override=PEAK[0], changed=4),
               AppliedOverride(scenario_id="late", override=MORE[0], changed=1, note="n")]
    return [
        ev.ScenarioCreated(scenario_id="peak", name="Peak", overrides=PEAK, **ENV),
        ev.ScenarioCreated(scenario_id="late", name="Peak, late", parent_id="peak", **ENV),
        ev.ScenarioUpdated(scenario_id="late", name="Peak, late", parent_id="peak", overrides=MORE, **ENV),
        ev.PlanRequested(plan_version_id="p1", config_version_id="c1", base_scenario_id="late", scenario_name="x",
                         job_id="jp", seed=1, overrides=[ScenarioOverride(scenario_id=a.scenario_id, override=a.override)
                                                         for a in applied], **ENV),
        plan_created("p0"),
        ev.PlanCreated(plan_version_id="p1", config_version_id="c1", base_scenario_id="late", scenario_name="x",
                       job_id="jp", seed=1, config=ART | {"sha256": "e" * 64}, simulation_job_id="js",
                       effective_config_sha256="e" * 64, overrides=applied, config_changes=[ConfigChange(
                           what="lead_time", where="arc F1 → W1", measure="lead time (days)", before=3, after=5)],
                       **ENV),
    ]


def written(events: list):  # type: ignore[no-untyped-def]
    engine = engine_for("memory")
    ReadModelWriter(engine).apply_batch(messages(events))
    return engine


def test_a_scenario_row_holds_its_own_what_ifs_and_its_detail_those_it_inherits():
    with written(history()).connect() as conn:
        late = queries.get_scenario(conn, q.GetScenario(scenario_id="late"))
        listed = {s.scenario_id: s for s in queries.list_scenarios(conn, q.ListScenarios()).scenarios}
    assert [o.model_dump(mode="json", exclude_none=True) for o in late.scenario.overrides] == [
        {"type": "lead_time_change", "arc": {"from_node": "F1", "to_node": "W1"}, "delta": 2}]
    assert [(i.scenario_id, i.override.type) for i in late.inherited] == [("peak", "demand_scale")]
    assert listed["peak"].overrides[0].from_.isoformat() == "2025-02-01" and listed["late"].parent_id == "peak"


def test_a_plan_row_holds_what_it_applied_its_effective_digest_and_its_difference_from_the_config():
    with written(history()).connect() as conn:
        plan = queries.get_plan(conn, q.GetPlan(plan_version_id="p1")).plan
        old = queries.get_plan(conn, q.GetPlan(plan_version_id="p0")).plan
    assert [(a.scenario_id, a.changed, a.note) for a in plan.overrides] == [("peak", 4, ""), ("late", 1, "n")]  # type: ignore[union-attr]
    assert plan.effective_config_sha256 == "e" * 64
    assert [(c.where, c.before, c.after) for c in plan.config_changes] == [("arc F1 → W1", 3, 5)]
    assert old.overrides == [] and old.effective_config_sha256 is None


def test_a_requested_plan_shows_the_what_ifs_it_will_apply():
    with written(history()[:4]).connect() as conn:
        plan = queries.get_plan(conn, q.GetPlan(plan_version_id="p1")).plan
    assert plan.status == "planning" and [type(o).__name__ for o in plan.overrides] == ["ScenarioOverride"] * 2


def test_replaying_the_same_events_gives_identical_tables():
    assert table_digests(written(history())) == table_digests(written(history()))


def test_events_of_schema_1_read_as_scenarios_and_plans_without_what_ifs():
    old = [json.loads(ev.encode(e)) for e in (scenario_created("s9"), plan_created("p9"))]
    for raw in old:
        raw["schema_version"] = 1
        raw.pop("overrides", None), raw.pop("config_changes", None), raw.pop("effective_config_sha256", None)
    scenario, plan = (ev.decode(json.dumps(raw).encode()) for raw in old)
    assert scenario.overrides == [] and plan.overrides == []  # type: ignore[union-attr]
    assert plan.effective_config_sha256 == ART["sha256"], "a schema-1 plan's effective config is its config"  # type: ignore[union-attr]
