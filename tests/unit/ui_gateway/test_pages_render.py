"""Every page renders with its links; errors of pages are pages, errors of the API stay JSON."""

import re

import pytest

from contracts import subjects
from contracts.queries import ConfigDetail, ConfigsPage, ScenariosPage
from tests.unit.ui_gateway.fakes import config_row, scenario_row

PAGES = {
    "/ui/plans": ["/ui/plans/plan_1", "/ui/configs/cfg_1", "/ui/scenarios/scn_baseline", "/ui/runs/run_a"],
    "/ui/plans/plan_1": ["/ui/configs/cfg_1", "/ui/scenarios/scn_baseline", "/ui/runs/run_a", "/ui/jobs/job_plan",
                         "/ui/plans/plan_1/artifacts/aggregate"],
    "/ui/runs": ["/ui/runs/run_a", "/ui/plans/plan_1", "/ui/scenarios/scn_baseline", "/ui/configs/cfg_1"],
    "/ui/runs/run_a": ["/ui/plans/plan_1", "/ui/scenarios/scn_baseline", "/ui/configs/cfg_1",
                       "/runs/run_a/results?format=csv&amp;part=pnl", "/static/vendor/uplot/uPlot.iife.min.js"],
    "/ui/jobs": ["/ui/jobs/job_plan", "/ui/plans/plan_1", "/ui/jobs/aggregate", "/static/jobs.js"],
    "/ui/jobs/job_plan": ["/ui/plans/plan_1"],
    "/ui/scenarios": ["/ui/scenarios/scn_baseline", "/ui/plans?base_scenario_id=scn_baseline",
                      "/ui/scenarios/scn_locked/unlock"],
    "/ui/scenarios/scn_baseline": ["/ui/plans?base_scenario_id=scn_baseline", "/ui/plans/plan_1"],
    "/ui/configs": ["/ui/configs/cfg_1", "/configs/cfg_1/document?download=true"],
    "/ui/configs/cfg_1": ["/configs/cfg_1/document?download=true", "/ui/plans/plan_1"],
}
NAV = ["/ui/plans", "/ui/runs", "/ui/jobs", "/ui/scenarios", "/ui/configs"]


@pytest.mark.parametrize("path", sorted(PAGES))
def test_every_page_renders_with_the_nav_bar_and_its_links(client, path):
    page = client.get(path)
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    for href in NAV + PAGES[path]:
        assert f'="{href}' in page.text, href


def test_the_plan_form_preselects_the_base_scenario_and_disables_locked_ones(client):
    page = client.get("/ui/plans?base_scenario_id=scn_baseline").text
    assert re.search(r'<option value="scn_baseline"\s+selected', page)
    assert re.search(r'<option value="scn_locked"\s+disabled', page)


def test_a_locked_scenario_asked_for_in_the_plan_form_is_not_selected_and_says_why(client):
    page = client.get("/ui/plans?base_scenario_id=scn_locked").text
    assert not re.search(r'<option value="scn_locked"\s+selected', page)
    assert re.search(r'id="scenario-closed">\s*Locked is locked by lead', page)
    assert 'id="scenario-closed"' not in client.get("/ui/plans?base_scenario_id=scn_baseline").text


def test_an_archived_scenario_is_shown_as_archived_with_nothing_to_do(client, bus):
    bus.replies[subjects.QRY_SCENARIOS_LIST] = ScenariosPage(scenarios=[scenario_row(scenario_id="scn_old", archived=True)])
    row = re.search(r'<tr data-scenario="scn_old">.*?</tr>', client.get("/ui/scenarios").text, re.DOTALL).group(0)
    assert "badge archived" in row and "badge open" not in row
    assert "/lock" not in row and "Create plan" not in row and ">View</a>" in row


def test_times_say_they_are_utc(client):
    assert re.search(r'<time datetime="2026-03-01T09:30:00\+00:00">2026-03-01 09:30:00 UTC</time>', client.get("/ui/runs").text)


@pytest.mark.parametrize("method", ["get", "post"])
def test_the_retired_scenario_run_path_answers_403_with_a_banner_to_the_plan_ui(client, method):
    page = getattr(client, method)("/ui/scenarios/scn_peak/run")
    assert page.status_code == 403
    assert 'class="banner warn retired"' in page.text
    assert 'href="/ui/plans?base_scenario_id=scn_peak"' in page.text


def test_an_unknown_run_is_a_404_page_and_an_unknown_api_run_is_json(client):
    page = client.get("/ui/runs/nope")
    assert page.status_code == 404 and "<h1>Not found</h1>" in page.text
    api = client.get("/runs/nope")
    assert api.status_code == 404 and api.json() == {"detail": "run does not exist"}


def test_a_silent_registry_is_a_503_page(client, bus):
    del bus.replies[subjects.QRY_RUNS_LIST]
    page = client.get("/ui/runs")
    assert page.status_code == 503 and "Service unavailable" in page.text


def test_the_home_page_leads_to_the_plans(client):
    assert client.get("/", follow_redirects=False).headers["location"] == "/ui/plans"


def test_a_config_from_the_original_format_lists_what_was_mapped_and_what_is_kept_unused(client, bus):
    notes = [{"code": "original_mapped", "path": "$.hierarchies[*].node_key", "message": "→ key"},
             {"code": "original_unused", "path": "$.calendars", "message": "1 calendar(s) kept in the document"},
             {"code": "duplicate_arc", "path": "$.arcs[1]", "message": "a duplicate arc"}]
    bus.replies[subjects.QRY_CONFIG_GET] = ConfigDetail(config=config_row(warnings=notes))
    page = client.get("/ui/configs/cfg_1").text
    section = page.split('id="original-format"')[1].split("</section>")[0]
    assert "Mapped" in section and "node_key</code> → key" in section
    assert "Kept, not used" in section and "$.calendars" in section and "duplicate_arc" not in section
    assert "Validation warnings <span class=\"muted\">(1)</span>" in page
    bus.replies[subjects.QRY_CONFIGS_LIST] = ConfigsPage(configs=[config_row(warnings=notes)], total=1)
    assert "original format" in client.get("/ui/configs").text
