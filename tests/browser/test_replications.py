"""A plan's spread over its replications in the browser, at a laptop's 1280 px and a phone's
390 px: the distribution table, the fan chart drawn from its JSON (a pair chosen redraws it),
"simulate again ×N", plans compared by their runs, run cards with the new KPIs and the KPI table;
nothing wider than the window."""

import re

import pytest

from tests.browser.conftest import shot

pytestmark = pytest.mark.browser
WIDTHS = (1280, 390)


@pytest.fixture(scope="module")
def plans(system):  # type: ignore[no-untyped-def]
    """Two plans of the shortest config, three replications each, all simulated."""
    ids = []
    with system.client() as client:
        configs = client.get("/configs").json()["configs"]
        config_id = min(configs, key=lambda c: c["planning_days"])["config_version_id"]
        for seed in (1, 2):
            accepted = client.post("/plans", json={"base_scenario_id": "scn_baseline", "config_version_id": config_id,
                                                   "seed": seed, "replications": 3})
            assert accepted.status_code == 202, accepted.text
            ids.append(accepted.json()["plan_version_id"])
    for plan_id in ids:
        system.wait_for(f"/runs?plan_version_id={plan_id}",
                        lambda body: body["total"] == 3 and all(r["status"] == "succeeded" for r in body["runs"]),
                        timeout=180)
    return ids


def at_width(context, width: int):  # type: ignore[no-untyped-def]
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    return page


def fits(page) -> bool:  # type: ignore[no-untyped-def]
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def within(page, selector: str) -> bool:  # type: ignore[no-untyped-def]
    """The element's box ends inside the window (what is wider scrolls inside it)."""
    return page.evaluate(f"document.querySelector({selector!r}).getBoundingClientRect().right <= window.innerWidth + 1")


@pytest.mark.parametrize("width", WIDTHS)
def test_the_plan_page_shows_the_spread_and_the_fan_chart(context, plans, width):
    page = at_width(context, width)
    page.goto(f"/ui/plans/{plans[0]}")
    rows = page.locator("#distribution tbody tr")
    assert rows.count() >= 5 and page.locator('#distribution tr[data-kpi="fill_rate"] td').first.inner_text() == "3"
    assert re.fullmatch(r"\d+\.\d%", page.locator('#distribution tr[data-kpi="fill_rate"] td').nth(3).inner_text())
    page.wait_for_selector('#fan[data-ready="1"]')
    assert page.locator("#fan-stock canvas").count() == 1 and page.locator("#fan-shortage canvas").count() == 1
    assert "3 runs" in page.locator("#fan-stock .u-title").inner_text()
    page.select_option("#fan-pair", index=1)
    page.wait_for_selector('#fan[data-ready="1"]')
    assert "all nodes" not in page.locator("#fan-stock .u-title").inner_text()
    assert page.locator("#plan-kpis").is_visible() and "Capacity utilisation" in page.locator("#plan-kpis").inner_text()
    assert page.locator("#rerun-replications").is_visible() and page.locator("#rerun-reproduce").is_visible()
    for part in ("#spread", "#distribution", "#fan-stock", "#simulate-again-form", "#plan-kpis"):
        assert within(page, part), f"{part} is no wider than the window"
    shot(page, f"plan-spread-{width}")


def test_simulate_again_three_times_adds_three_runs_with_new_seeds(context, system, plans):
    page = at_width(context, 1280)
    page.goto(f"/ui/plans/{plans[1]}")
    page.fill("#rerun-replications", "3")
    page.click("#simulate-again")
    page.wait_for_url(re.compile(r"/ui/jobs\?created="))
    body = system.wait_for(f"/runs?plan_version_id={plans[1]}", lambda b: b["total"] == 6, timeout=120)
    assert len({r["seed"] for r in body["runs"]}) == 6
    assert sorted(r["replication"] for r in body["runs"]) == [0, 1, 2, 3, 4, 5]


@pytest.mark.parametrize("width", WIDTHS)
def test_two_plans_compared_by_their_runs(context, plans, width):
    page = at_width(context, width)
    page.goto(f"/ui/plans/{plans[0]}")
    page.click("#compare-plans")
    page.wait_for_url(re.compile(r"/ui/plans/compare\?plan="))
    page.locator('#choose-plans select[name="plan"]').nth(1).select_option(plans[1])
    page.click("#choose-plans button[type=submit]")
    page.wait_for_selector("#plan-comparison")
    row = page.locator('#plan-comparison tr[data-kpi="fill_rate"]')
    assert "mean" in row.inner_text() and "P50" in row.inner_text()
    assert fits(page)
    shot(page, f"plan-compare-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_run_cards_show_the_new_kpis_and_lead_to_the_kpi_table(context, system, plans, width):
    with system.client() as client:
        run_id = client.get(f"/runs?plan_version_id={plans[0]}").json()["runs"][0]["run_id"]
    page = at_width(context, width)
    page.goto(f"/ui/runs/{run_id}")
    cards = page.locator("#kpis").inner_text()
    for label in ("On-time fill rate", "Sales on time", "Late sales", "Lost sales", "Open backorders at end"):
        assert label in cards
    assert page.locator("#replication").inner_text().startswith("#")
    assert fits(page)
    page.click("#kpi-docs")
    page.wait_for_url("**/docs/kpis")
    assert page.locator("#run-kpi-table #kpi-fill_rate_on_time").is_visible()
    assert page.locator("#plan-kpi-table #plan-kpi-rollup_ok").count() == 1
    assert fits(page)
    shot(page, f"kpi-table-{width}")
