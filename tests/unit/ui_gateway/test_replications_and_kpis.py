"""Replications through the gateway (POST /plans, simulate again ×N with reproduce), a plan's
spread over its runs (distribution, fan chart), plans compared by their runs, and KPIs labelled
and formatted from contracts/kpis.py (run page, plan KPIs, the KPI table page)."""

import copy
import statistics

import pytest

from contracts import queries as q
from contracts import subjects
from contracts.commands import PlanAccepted, RunsAccepted
from contracts.distribution import distribution
from contracts.events import ArtifactRef
from contracts.kpis import KPIS, PLAN_KPIS
from services.ui_gateway.pages.kpis import formatted, kpi_diff
from tests.unit.ui_gateway.fakes import gz, not_found, plan_row, results_doc, run_row

SUMMARY = {"fill_rate": 0.975, "fill_rate_on_time": 0.9, "profit_total": 1234.5, "planning_days": 3,
           "store_demand_total": 1000.0, "store_sales_total": 975.0, "store_sales_on_time": 900.0,
           "store_sales_late": 75.0, "lost_sales_total": 5.0, "backorder_open_end": 20.0,
           "customer_shortage_total": 25.0, "currency": "EUR",
           "warnings": [{"code": "component_without_source", "node": "F", "item": "C",
                         "message": "component C at F has no source"}]}


def test_a_plan_asks_for_its_replications_and_refuses_a_count_out_of_range(client, bus):
    bus.replies[subjects.CMD_PLAN_CREATE] = PlanAccepted(plan_version_id="plan_9", job_id="job_9")
    body = {"base_scenario_id": "scn_baseline", "config_version_id": "cfg_1"}
    assert client.post("/plans", json=body | {"replications": 20}).status_code == 202
    assert bus.requests(subjects.CMD_PLAN_CREATE)[0].replications == 20
    client.post("/plans", json=body)
    assert bus.requests(subjects.CMD_PLAN_CREATE)[1].replications == 1
    for wrong in (0, 101, "many"):
        assert client.post("/plans", json=body | {"replications": wrong}).status_code == 422
    assert len(bus.requests(subjects.CMD_PLAN_CREATE)) == 2


def test_simulate_again_takes_replications_and_reproduce_and_answers_every_job(client, bus):
    bus.replies[subjects.CMD_PLAN_RERUN] = RunsAccepted(job_id="job_1", job_ids=["job_1", "job_2", "job_3"])
    answer = client.post("/plans/plan_1/runs", json={"replications": 3, "reproduce": True})
    assert answer.status_code == 202 and answer.json()["job_ids"] == ["job_1", "job_2", "job_3"]
    command = bus.requests(subjects.CMD_PLAN_RERUN)[0]
    assert (command.plan_version_id, command.replications, command.reproduce, command.seed) == ("plan_1", 3, True, None)
    client.post("/plans/plan_1/runs")  # no body: one run with a new seed
    assert bus.requests(subjects.CMD_PLAN_RERUN)[1].model_dump(exclude={"plan_version_id"}) == {
        "seed": None, "replications": 1, "reproduce": False}
    client.post("/plans/plan_1/runs?seed=9", json={"replications": 2})
    assert (bus.requests(subjects.CMD_PLAN_RERUN)[2].seed, bus.requests(subjects.CMD_PLAN_RERUN)[2].replications) == (9, 2)
    for wrong in ({"replications": 101}, {"replications": 0}, {"reproduce": "maybe"}, {"copies": 2}):
        assert client.post("/plans/plan_1/runs", json=wrong).status_code == 422
    assert client.post("/plans/plan_1/runs?seed=9", json={"seed": 8}).status_code == 422
    assert len(bus.requests(subjects.CMD_PLAN_RERUN)) == 3


def test_simulate_again_needs_its_permission(client, bus):
    bus.replies[subjects.CMD_PLAN_RERUN] = RunsAccepted(job_id="job_1", job_ids=["job_1"])
    viewer = {"Authorization": f"Bearer {bus.tokens['viewer']}"}
    assert client.post("/plans/plan_1/runs", json={"replications": 2}, headers=viewer).status_code == 403
    assert not bus.requests(subjects.CMD_PLAN_RERUN)
    assert 'id="simulate-again-form"' not in client.get("/ui/plans/plan_1", headers=viewer).text


def test_the_pages_forms_ask_for_replications_and_reproduce(client, bus):
    bus.replies[subjects.CMD_PLAN_RERUN] = RunsAccepted(job_id="job_7", job_ids=["job_7", "job_8"])
    bus.replies[subjects.CMD_PLAN_CREATE] = PlanAccepted(plan_version_id="plan_9", job_id="job_9")
    answer = client.post("/ui/plans/plan_1/runs", data={"replications": "2", "reproduce": "true"}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/ui/jobs?created=job_7&plan=plan_1"
    command = bus.requests(subjects.CMD_PLAN_RERUN)[0]
    assert (command.replications, command.reproduce) == (2, True)
    client.post("/ui/plans/plan_1/runs", data={}, follow_redirects=False)
    assert (bus.requests(subjects.CMD_PLAN_RERUN)[1].replications, bus.requests(subjects.CMD_PLAN_RERUN)[1].reproduce) == (1, False)
    client.post("/ui/plans", data={"base_scenario_id": "scn_baseline", "config_version_id": "cfg_1", "replications": "5"},
                follow_redirects=False)
    assert bus.requests(subjects.CMD_PLAN_CREATE)[0].replications == 5
    page = client.get("/ui/plans").text
    assert 'name="replications" min="1" max="100" value="1"' in page


def _detail(plan_id: str, rates: list[float], **plan: object) -> q.PlanDetail:
    runs = [run_row(f"run_{plan_id}_{k}", plan_version_id=plan_id, replication=k,
                    summary=SUMMARY | {"fill_rate": rate, "profit_total": 1000.0 * rate}) for k, rate in enumerate(rates)]
    dist = [distribution("fill_rate", rates), distribution("profit_total", [1000.0 * r for r in rates])]
    return q.PlanDetail(plan=plan_row(plan_version_id=plan_id, **plan), runs=runs, distribution=dist)


@pytest.fixture()
def plans(bus):  # type: ignore[no-untyped-def]
    details = {"plan_1": _detail("plan_1", [0.9, 0.8, 0.95, 0.7, 0.85], replications=5, kpis={
                   "capacity_utilisation": 0.7253, "rollup_ok": 1.0, "demand_total": 1200.0, "families": 2.0},
                   warnings=[{"code": "component_without_source", "node": "F", "item": "C", "message": "C has no source"}]),
               "plan_2": _detail("plan_2", [0.5, 0.6, 0.55])}
    bus.replies[subjects.QRY_PLAN_GET] = lambda r: details.get(r.plan_version_id) or not_found("plan")
    return details


def test_the_plan_page_shows_the_spread_of_its_runs_and_plan_kpis_like_run_kpis(client, plans):
    page = client.get("/ui/plans/plan_1").text
    assert 'id="distribution"' in page and "P50 (median)" in page
    p50 = statistics.median([0.9, 0.8, 0.95, 0.7, 0.85])
    assert f'data-p50="{p50}">85.0%</td>' in page
    assert "850.00 EUR" in page  # profit's median, in the runs' currency
    assert 'id="fan" data-plan="plan_1"' in page and '<script src="/static/charts.js"></script>' in page
    assert 'id="rerun-replications"' in page and 'name="reproduce" value="true"' in page
    assert 'id="plan-warnings"' in page and "C has no source" in page
    assert "5 requested" in page
    assert "Capacity utilisation" in page and "72.5%" in page and "capacity_utilisation</th>" not in page
    assert "Roll-up check" in page and ">yes</td>" in page and ">1,200</td>" in page
    assert 'href="/docs/kpis' in page and 'href="/ui/plans/compare?plan=plan_1"' in page


def test_a_plan_without_runs_says_so_and_draws_no_fan(client, bus):
    bus.replies[subjects.QRY_PLAN_GET] = q.PlanDetail(plan=plan_row(), runs=[])
    page = client.get("/ui/plans/plan_1").text
    assert "No succeeded runs yet" in page and 'id="fan"' not in page and "charts.js" not in page


def test_get_plan_gives_the_distribution(client, plans):
    body = client.get("/plans/plan_1").json()
    fill = next(d for d in body["distribution"] if d["key"] == "fill_rate")
    assert (fill["count"], fill["p50"]) == (5, 0.85)
    assert body["plan"]["replications"] == 5 and body["plan"]["warnings"][0]["code"] == "component_without_source"


def _results(bus, run_id: str, end: list[float], shortage: list[float]) -> ArtifactRef:  # type: ignore[no-untyped-def]
    doc = copy.deepcopy(results_doc(run_id))
    warehouse, store = doc["series"]
    warehouse["end"], store["end"], store["shortage"] = [100.0] * 3, end, shortage
    warehouse["shortage"] = [1000.0] * 3  # upstream: not in the store shortage
    ref = ArtifactRef(name="daily_results", bucket=subjects.RESULTS_BUCKET, key=f"{run_id}.json.gz",
                      sha256=run_id.ljust(64, "0"), size=10, content_type="application/gzip")
    bus.objects[(ref.bucket, ref.key)] = gz(doc)
    return ref


def test_the_fan_gives_each_days_percentiles_across_the_succeeded_runs_and_is_cached(client, bus, plans):
    refs = [_results(bus, "run_x", [10.0, 5.0, 0.0], [0.0, 1.0, 2.0]),
            _results(bus, "run_y", [20.0, 15.0, 10.0], [0.0, 0.0, 0.0]),
            _results(bus, "run_z", [30.0, 25.0, 20.0], [4.0, 3.0, 8.0])]
    runs = [run_row(ref.key.split(".")[0], results=ref) for ref in refs]
    bus.replies[subjects.QRY_RUNS_LIST] = lambda r: q.RunsPage(runs=runs, total=3, limit=r.limit, offset=0)
    fan = client.get("/plans/plan_1/fan").json()
    asked = bus.requests(subjects.QRY_RUNS_LIST)[-1]
    assert (asked.plan_version_id, asked.status) == ("plan_1", "succeeded")
    assert fan["runs"] == 3 and fan["days"] == 3 and fan["start_date"] == "2025-01-01" and fan["pair"] is None
    assert fan["stock"]["p50"] == [120.0, 115.0, 110.0]  # the store's median plus the warehouse's 100
    assert fan["stock"]["p10"][0] == pytest.approx(112.0) and fan["stock"]["p90"][0] == pytest.approx(128.0)
    assert fan["shortage"]["p50"] == [0.0, 1.0, 2.0]  # the stores' shortage only
    one = client.get("/plans/plan_1/fan?node=W1&item=P1").json()
    assert one["pair"] == {"node": "W1", "item": "P1"} and one["shortage"]["p50"] == [1000.0] * 3
    for ref in refs:
        del bus.objects[(ref.bucket, ref.key)]
    assert client.get("/plans/plan_1/fan").json() == fan, "the same runs: the fan is not computed again"
    assert client.get("/plans/plan_9/fan").status_code == 404


def test_plans_are_compared_by_their_distributions(client, plans):
    answer = client.post("/plans/compare", json={"plan_version_ids": ["plan_1", "plan_2"]})
    assert answer.status_code == 200
    body = answer.json()
    fill = next(k for k in body["kpis"] if k["key"] == "fill_rate")
    assert body["base_id"] == "plan_1" and fill["mean_diff"]["plan_2"] == pytest.approx(0.55 - 0.84)
    assert fill["p50_diff"]["plan_2"] == pytest.approx(0.55 - 0.85) and fill["overlap"]["plan_2"] is False
    only = client.post("/plans/compare", json={"plan_version_ids": ["plan_1", "plan_2"], "keys": ["fill_rate"]}).json()
    assert [k["key"] for k in only["kpis"]] == ["fill_rate"]
    assert client.post("/plans/compare", json={"plan_version_ids": ["plan_1", "plan_1"]}).status_code == 422
    assert client.post("/plans/compare", json={"plan_version_ids": ["plan_1"]}).status_code == 422
    assert client.post("/plans/compare", json={"plan_version_ids": ["plan_1", "plan_9"]}).status_code == 404


def test_the_compare_page_puts_two_plans_side_by_side_or_asks_for_them(client, plans):
    page = client.get("/ui/plans/compare?plan=plan_1&plan=plan_2").text
    assert 'id="plan-comparison"' in page and "Fill rate" in page and "-29.0 pp mean" in page
    assert "beyond spread" in page and '<span class="badge base">base</span>' in page
    chooser = client.get("/ui/plans/compare?plan=plan_1").text
    assert 'id="choose-plans"' in chooser and "Choose a second plan" in chooser and 'id="plan-comparison"' not in chooser


def test_the_run_page_shows_the_new_kpis_the_currency_the_warnings_and_the_replication(client, bus):
    bus.replies[subjects.QRY_RUN_GET] = q.RunDetail(run=run_row(summary=SUMMARY, replication=3))
    page = client.get("/ui/runs/run_a").text
    for label in ("On-time fill rate", "Sales on time", "Late sales", "Lost sales", "Open backorders at end"):
        assert f"<span>{label}</span>" in page
    assert "<strong>90.0%</strong>" in page and "<strong>1,234.50 EUR</strong>" in page
    assert "<strong>1,000</strong>" in page  # whole units
    assert 'id="run-warnings"' in page and "component C at F has no source" in page
    assert "#3 of the plan's replications" in page and 'href="/docs/kpis"' in page


def test_the_kpi_table_page_lists_every_run_and_plan_kpi(client):
    page = client.get("/docs/kpis")
    assert page.status_code == 200
    for k in (*KPIS, *PLAN_KPIS):
        assert f"<code>{k.key}</code>" in page.text
    assert 'id="plan-kpis"' in page.text


@pytest.mark.parametrize(("value", "unit", "shown"), [
    (0.975, "fraction", "97.5%"), (1234.5, "money", "1,234.50 EUR"), (1000.0, "units", "1,000"),
    (12.345, "units", "12.35"), (30.0, "days", "30"), (1.0, "flag", "yes"), (0.0, "flag", "no"), (None, "units", "–")])
def test_each_unit_has_its_format(value, unit, shown):
    assert formatted(value, unit, "EUR") == shown


def test_differences_are_in_points_for_rates_and_in_the_currency_for_money():
    assert (kpi_diff(-0.29, "fill_rate"), kpi_diff(12.0, "profit_total", "EUR"), kpi_diff(-3.0, "lost_sales_total")) == (
        "-29.0 pp", "+12.00 EUR", "-3")


def test_the_run_page_says_where_the_plan_fell_short_and_why(client, bus):
    shortfall = {"node": "F5", "item": "P5", "kind": "production", "stated": True, "planned": 1000.0, "attained": 455.0,
                 "shortfall": 545.0, "weeks_short": 12, "first_week": "W1", "first_day": 1, "reason": "capacity",
                 "reasons": {"capacity": 545.0}}
    row = run_row(summary={"fill_rate": 0.97, "plan_attainment": 0.993, "plan_shortfalls": [shortfall]})
    bus.replies[subjects.QRY_RUN_GET] = q.RunDetail(run=row)
    page = client.get("/ui/runs/run_a").text
    assert 'id="plan-shortfalls"' in page and "plan attainment 99.3%" in page
    assert "<code>F5</code>" in page and "capacity 545" in page and "W1 (day 1)" in page
