"""Forms post commands, redirect to what they started, and show every error they get back."""

import re

from markupsafe import escape

from contracts import subjects
from contracts.commands import (
    ConfigImported,
    ErrorReply,
    JobAccepted,
    PlanAccepted,
    RunDeletedReply,
    ScenarioAccepted,
)
from contracts.plan_options import PlanOptions


def test_creating_a_plan_redirects_to_its_live_job(client, bus):
    bus.replies[subjects.CMD_PLAN_CREATE] = PlanAccepted(plan_version_id="plan_9", job_id="job_9")
    answer = client.post("/ui/plans", data={"base_scenario_id": "scn_baseline", "config_version_id": "cfg_1",
                                            "seed": "7", "tolerance": "0.05", "ignore_capacity": "true"},
                         follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/ui/jobs?created=job_9&plan=plan_9"
    command = bus.requests(subjects.CMD_PLAN_CREATE)[0]
    assert (command.seed, command.options) == (7, PlanOptions(tolerance=0.05, ignore_capacity=True))
    client.post("/ui/plans", data={"base_scenario_id": "scn_baseline", "config_version_id": "cfg_1", "tolerance": ""})
    assert bus.requests(subjects.CMD_PLAN_CREATE)[1].options == PlanOptions(), "fields left as they are: the defaults"


def test_the_plan_form_chooses_how_the_plans_runs_execute_it(client, bus):
    page = client.get("/ui/plans").text
    assert '<select name="execution"><option value="plan" selected>plan</option>' in page
    bus.replies[subjects.CMD_PLAN_CREATE] = PlanAccepted(plan_version_id="plan_9", job_id="job_9")
    client.post("/ui/plans", data={"base_scenario_id": "scn_baseline", "config_version_id": "cfg_1",
                                   "execution": "policy"}, follow_redirects=False)
    assert bus.requests(subjects.CMD_PLAN_CREATE)[0].options == PlanOptions(execution="policy")
    page = client.post("/ui/plans", data={"base_scenario_id": "scn_baseline", "config_version_id": "cfg_1",
                                          "execution": "whatever"})
    assert page.status_code == 422 and "execution" in page.text


def test_a_refused_plan_shows_the_reason_and_keeps_the_choices(client, bus):
    bus.replies[subjects.CMD_PLAN_CREATE] = ErrorReply(error="scenario_locked", message="scenario 'Locked' was locked by lead")
    page = client.post("/ui/plans", data={"base_scenario_id": "scn_locked", "config_version_id": "cfg_1"})
    assert page.status_code == 409
    assert "was locked by lead" in page.text
    assert 'value="cfg_1" selected' in page.text


def test_bad_plan_options_are_explained_without_asking_anyone(client, bus):
    page = client.post("/ui/plans", data={"base_scenario_id": "scn_baseline", "config_version_id": "cfg_1",
                                          "tolerance": "5"})
    assert page.status_code == 422 and "tolerance" in page.text and "less than 1" in page.text
    assert 'name="tolerance" step="any" min="0" value="5"' in page.text, "the form keeps what was typed"
    assert not bus.requests(subjects.CMD_PLAN_CREATE)


def test_the_plan_form_lists_each_option_with_its_meaning(client):
    page = client.get("/ui/plans").text
    for name, field in PlanOptions.model_fields.items():
        assert f'name="{name}"' in page and str(escape(field.description)) in page
    assert '<input type="checkbox" name="ignore_capacity" value="true">' in page


def test_a_config_import_lists_every_validation_error(client, bus):
    errors = [{"code": "unknown_item", "path": "nodes[0].inventory_policies[0].item_code", "message": "no item X"},
              {"code": "bom_cycle", "path": "bom", "message": "P1 -> C1 -> P1"}]
    bus.replies[subjects.CMD_CONFIG_IMPORT] = ErrorReply(error="config_invalid", message="2 errors", details=errors)
    page = client.post("/ui/configs", files={"file": ("net.json", b'{"meta": {}}', "application/json")})
    assert page.status_code == 422
    for error in errors:
        assert error["path"] in page.text and error["message"].replace(">", "&gt;") in page.text


def test_an_imported_config_opens_its_version_once_the_registry_has_it(client, bus):
    bus.replies[subjects.CMD_CONFIG_IMPORT] = ConfigImported(config_version_id="cfg_1", sha256="c" * 64, created=True)
    answer = client.post("/ui/configs", files={"file": ("net.json", b"{}", "application/json")}, follow_redirects=False)
    assert answer.headers["location"].startswith("/ui/configs/cfg_1?min_seq=100")


def test_a_file_that_is_not_json_is_refused_with_its_name(client):
    page = client.post("/ui/configs", files={"file": ("net.json", b"not json", "application/json")})
    assert page.status_code == 422 and "net.json: not JSON" in page.text


def test_locking_a_scenario_returns_to_the_list_at_the_written_position(client, bus):
    bus.replies[subjects.CMD_SCENARIO_LOCK] = ScenarioAccepted(scenario_id="scn_baseline")
    answer = client.post("/ui/scenarios/scn_baseline/lock", data={"back": "/ui/scenarios"}, follow_redirects=False)
    assert answer.headers["location"].startswith("/ui/scenarios?min_seq=100")
    assert bus.requests(subjects.CMD_SCENARIO_LOCK)[0].scenario_id == "scn_baseline"


def test_a_scenario_is_archived_from_its_page_and_through_the_api(client, bus):
    bus.replies[subjects.CMD_SCENARIO_ARCHIVE] = ScenarioAccepted(scenario_id="scn_1")
    assert 'id="archive-scenario"' in client.get("/ui/scenarios/scn_1").text
    answer = client.post("/ui/scenarios/scn_1/archive", follow_redirects=False)
    assert answer.headers["location"].startswith("/ui/scenarios/scn_1?min_seq=100&flash=Scenario+scn_1+archived.")
    assert client.post("/scenarios/scn_1/archive", params={"by": "lead"}).status_code == 422
    assert client.post("/scenarios/scn_1/archive").json() == {"scenario_id": "scn_1"}
    assert [(a.scenario_id, a.by) for a in bus.requests(subjects.CMD_SCENARIO_ARCHIVE)] == [("scn_1", "admin"), ("scn_1", "admin")]


def test_selected_runs_are_deleted_one_by_one(client, bus):
    bus.replies[subjects.CMD_RUN_DELETE] = lambda r: RunDeletedReply(run_id=r.run_id)
    answer = client.post("/ui/runs/delete", data={"run_id": ["run_a", "run_b"]}, follow_redirects=False)
    assert answer.status_code == 303
    assert [r.run_id for r in bus.requests(subjects.CMD_RUN_DELETE)] == ["run_a", "run_b"]


def test_a_selection_with_a_run_that_does_not_exist_deletes_nothing(client, bus):
    bus.replies[subjects.CMD_RUN_DELETE] = lambda r: RunDeletedReply(run_id=r.run_id)
    page = client.post("/ui/runs/delete", data={"run_id": ["run_a", "nope", "run_b"]})
    assert page.status_code == 404 and "no run nope: nothing was deleted" in page.text
    assert bus.requests(subjects.CMD_RUN_DELETE) == []


def test_a_document_nested_too_deeply_is_a_422(client, bus):
    page = client.post("/ui/configs", files={"file": ("deep.json", b"[" * 100_000)})
    assert page.status_code == 422 and "deep.json: nested too deeply" in page.text
    deep = b'{"meta": ' + b"[" * 500 + b"]" * 500 + b"}"  # JSON reads it; no canonical document is like it
    page = client.post("/ui/configs", files={"file": ("deep.json", deep)})
    assert page.status_code == 422 and "nested more than 32 levels deep" in page.text
    answer = client.post("/configs", content=deep, headers={"content-type": "application/json"})
    assert answer.status_code == 422 and "nested more than 32 levels deep" in answer.text
    assert bus.requests(subjects.CMD_CONFIG_IMPORT) == []


def test_simulate_again_follows_the_new_job(client, bus):
    bus.replies[subjects.CMD_PLAN_RERUN] = JobAccepted(job_id="job_re")
    answer = client.post("/ui/plans/plan_1/runs", follow_redirects=False)
    assert answer.headers["location"] == "/ui/jobs?created=job_re&plan=plan_1"


def test_the_aggregate_form_shows_503_while_nobody_answers(client, bus):
    page = client.post("/ui/jobs/aggregate", data={"run_id": "run_a", "bucket": "month", "group_by": "node"})
    assert page.status_code == 503 and "no answer on scpln.cmd.plan.aggregate" in page.text
    assert 'The aggregate job was not started: no answer on scpln.cmd.plan.aggregate' in page.text  # at the top
    assert page.text.index("The aggregate job was not started") < page.text.index('id="jobs"')
    assert 'value="run_a"' in page.text


def test_run_history_filters_become_the_registry_query(client, bus):
    client.get("/ui/runs?plan_version_id=plan_1&scenario_name=peak&status=failed&since=2026-03-01&until=2026-03-02"
               "&sort=fill_rate&order=asc&offset=50")
    query = bus.requests(subjects.QRY_RUNS_LIST)[0]
    assert (query.plan_version_prefix, query.scenario_name, query.status) == ("plan_1", "peak", "failed")
    assert query.plan_version_id is None  # the box matches ids that start with what it holds
    assert (query.sort, query.order, query.offset) == ("fill_rate", "asc", 50)
    assert query.since.isoformat() == "2026-03-01T00:00:00+00:00"
    assert query.until.isoformat() == "2026-03-03T00:00:00+00:00"


def test_comparing_needs_two_runs(client):
    page = client.get("/ui/runs/compare?run_id=run_a")
    assert page.status_code == 422 and "at least two runs" in page.text


def test_the_compare_page_highlights_differences_beyond_the_threshold(client, bus):
    from contracts.queries import Comparison, KpiComparison
    from tests.unit.ui_gateway.fakes import run_row

    kpi = KpiComparison(key="profit_total", values={"run_a": 100.0, "run_b": 120.0}, diff_abs={"run_a": 0.0, "run_b": 20.0},
                        diff_pct={"run_a": 0.0, "run_b": 0.2}, flagged={"run_a": False, "run_b": True})
    bus.replies[subjects.QRY_RUNS_COMPARE] = Comparison(base_id="run_a", runs=[run_row("run_a"), run_row("run_b")], kpis=[kpi])
    page = client.get("/ui/runs/compare?run_id=run_a&run_id=run_b&threshold=0.1")
    assert page.status_code == 200
    assert 'class="num flagged"' in page.text and "+20.00 (+20.0%)" in page.text
    assert '<script type="application/json" id="overlay-runs">["run_a", "run_b"]</script>' in page.text
    sent = bus.requests(subjects.QRY_RUNS_COMPARE)[0]
    assert (sent.run_ids, sent.threshold) == (["run_a", "run_b"], 0.1)


def test_the_compare_page_names_kpis_and_colours_a_difference_by_whether_it_is_better(client, bus):
    from contracts.queries import Comparison, KpiComparison
    from tests.unit.ui_gateway.fakes import run_row

    def kpi(key: str, base: float, other: float) -> KpiComparison:
        return KpiComparison(key=key, values={"run_a": base, "run_b": other}, diff_abs={"run_b": other - base},
                             diff_pct={"run_b": (other - base) / base}, flagged={"run_b": True})

    bus.replies[subjects.QRY_RUNS_COMPARE] = Comparison(base_id="run_a", runs=[run_row("run_a"), run_row("run_b")], kpis=[
        kpi("cost_total", 176_628.12, 27_140.0), kpi("fill_rate", 0.975, 0.978), kpi("profit_total", 100.0, 90.0)])
    page = client.get("/ui/runs/compare?run_id=run_a&run_id=run_b&threshold_pct=2.5").text
    assert '<th title="cost_total: Cost of goods + SG&amp;A' in page and ">Cost</th>" in page and "176,628.12" in page
    assert '<small class="better">-149,488.12 (-84.6%)</small>' in page  # less cost is better
    assert '<small class="better">+0.3 pp (+0.3%)</small>' in page and "97.8%" in page
    assert '<small class="worse">-10.00 (-10.0%)</small>' in page
    assert bus.requests(subjects.QRY_RUNS_COMPARE)[0].threshold == 0.025 and 'value="2.5"' in page


def test_the_run_history_pages_keep_their_filters(client, bus):
    from contracts.queries import RunsPage
    from tests.unit.ui_gateway.fakes import run_row

    bus.replies[subjects.QRY_RUNS_LIST] = RunsPage(runs=[run_row()], total=1000, limit=50, offset=50)
    page = client.get("/ui/runs?scenario_name=peak&sort=fill_rate&offset=50").text
    assert "51–100 of 1000" in page
    assert 'href="?scenario_name=peak&amp;sort=fill_rate&amp;offset=100">Next' in page
    assert 'href="?scenario_name=peak&amp;sort=fill_rate&amp;offset=0">← Previous' in page


def test_the_run_history_says_when_its_dates_are_crossed_or_its_page_is_past_the_end(client, bus):
    from contracts.queries import RunsPage

    crossed = client.get("/ui/runs?since=2026-03-05&until=2026-03-01")
    assert crossed.status_code == 422 and "is after the &#39;to&#39; date" in crossed.text
    assert client.get("/ui/runs?since=2026-03-01&until=2026-03-01").status_code == 200  # one whole day
    bus.replies[subjects.QRY_RUNS_LIST] = RunsPage(runs=[], total=3, limit=50, offset=100, last_seq=7)
    past = client.get("/ui/runs?status=failed&offset=100").text
    assert "This page is past the last of 3 runs" in past and 'href="?status=failed&amp;offset=0"' in past


def test_a_plan_request_carries_an_id_so_that_sending_it_twice_makes_one_plan(client, bus):
    bus.replies[subjects.CMD_PLAN_CREATE] = PlanAccepted(plan_version_id="plan_9", job_id="job_9")
    form = client.get("/ui/plans").text
    request_id = re.search(r'name="request_id" value="(form_[0-9a-f]{32})"', form).group(1)
    assert request_id not in client.get("/ui/plans").text, "each form gets its own"
    client.post("/ui/plans", data={"base_scenario_id": "scn_baseline", "config_version_id": "cfg_1",
                                   "request_id": request_id}, follow_redirects=False)
    body = {"base_scenario_id": "scn_baseline", "config_version_id": "cfg_1"}
    client.post("/plans", json=body, headers={"Idempotency-Key": "order-17"})
    client.post("/plans", json=body | {"request_id": "own"}, headers={"Idempotency-Key": "order-17"})
    client.post("/plans", json=body)
    assert [c.request_id for c in bus.requests(subjects.CMD_PLAN_CREATE)] == [request_id, "order-17", "own", None]
