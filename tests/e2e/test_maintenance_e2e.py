"""Maintenance mode with the whole system as processes: the fallback runbook's banner and pause
of new plans, switched by the operator's `scpln maintenance` and the operator-only API, and
around `scpln registry rebuild --maintenance`."""

import asyncio
import html
import json
import re
import time

import httpx
import nats
import pytest

from contracts import subjects
from runtime.log_reader import read_log

pytestmark = pytest.mark.e2e
MESSAGE = "Restoring the run history from last night's backup; back by 14:00"
BANNER = re.compile(r'id="maintenance-banner">(.*?)</div>', re.DOTALL)


def banner(client: httpx.Client, path: str = "/ui/runs") -> str | None:
    page = client.get(path)
    assert page.status_code == 200, page.text
    found = BANNER.search(page.text)
    return html.unescape(found.group(1)) if found else None


def wait_for_banner(client: httpx.Client, shown: bool, timeout: float = 15.0) -> None:
    """The gateway follows the maintenance facts of the log: the page shows them once it has read them."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (banner(client) is not None) == shown:
            return
        time.sleep(0.1)
    raise AssertionError(f"the banner was {'not ' if shown else ''}shown within {timeout}s")


def a_plan(config_id: str) -> dict[str, str]:
    return {"base_scenario_id": "scn_baseline", "config_version_id": config_id}


def test_maintenance_pauses_new_plans_with_a_banner_and_plans_work_again_after(system):
    with system.client("planner") as planner, system.client("operator") as operator:
        config_id = planner.get("/configs").json()["configs"][0]["config_version_id"]
        said = system.scpln("maintenance", "on", "--message", MESSAGE).stdout
        assert "maintenance is ON since" in said and f"by e2e-tests: {MESSAGE}" in said
        wait_for_banner(planner, shown=True)
        for path in ("/ui/plans", "/ui/jobs", "/ui/operations"):
            assert MESSAGE in banner(planner, path), path

        refused = planner.post("/plans", json=a_plan(config_id))
        assert refused.status_code == 503 and MESSAGE in refused.json()["detail"]
        page = planner.post("/ui/plans", data={**a_plan(config_id), "seed": "7"})
        assert page.status_code == 503 and MESSAGE in html.unescape(page.text)
        assert planner.get("/plans").status_code == 200 and planner.get("/runs").status_code == 200
        assert "maintenance is ON" in system.scpln("maintenance", "status").stdout

        off = operator.post("/maintenance", json={"on": False})
        assert off.status_code == 200 and off.json()["on"] is False and off.json()["by"] == "e2e-operator"
        assert banner(operator) is None  # the gateway answered once it had folded the fact
        accepted = planner.post("/plans", json=a_plan(config_id))
        assert accepted.status_code == 202, accepted.text
    plan_id = accepted.json()["plan_version_id"]
    system.wait_for(f"/runs?plan_version_id={plan_id}", lambda body: body["total"] == 1)
    assert "switched off by e2e-operator" in system.scpln("maintenance", "status").stdout


def test_a_rebuild_with_maintenance_is_recorded_between_its_start_and_end(system):
    said = system.scpln("registry", "rebuild", "--maintenance").stdout
    assert "maintenance on for the registry rebuild" in said and said.rstrip().endswith("maintenance off")
    with system.client("viewer") as viewer:
        assert viewer.get("/maintenance").json()["on"] is False
    facts = asyncio.run(maintenance_and_swaps(system.nats_url))
    assert facts[-3:] == ["MaintenanceStarted", "ReadModelReplaced", "MaintenanceEnded"], facts


async def maintenance_and_swaps(nats_url: str) -> list[str]:
    """The event types of the maintenance facts and read-model swaps, in the log's order."""
    nc = await nats.connect(nats_url)
    try:
        wanted = (subjects.MAINTENANCE_EVENTS, subjects.READ_MODEL_REPLACED)
        return [json.loads(m.data)["event_type"] async for batch in read_log(nc.jetstream(), filter_subjects=wanted)
                for m in batch]
    finally:
        await nc.close()
