"""Replications with the system as processes (full simulation): a plan asked for N runs gets N
runs with N distinct seeds derived from its seed, its distribution's P50 is the median of the
runs, "simulate again ×N" takes new seeds and "reproduce" repeats the first run exactly."""

import statistics
from collections.abc import Iterator

import pytest

from contracts.replications import replication_seed
from tests.e2e.system import System, permission_violations, start_system, stop_system

pytestmark = pytest.mark.e2e
SEED, N = 123, 4


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    running = start_system(tmp_path_factory.mktemp("replications"), {"SCPLN_SKIP_SIMULATION_API": "0"})
    try:
        yield running
    finally:
        stop_system(running)
    assert not permission_violations(running), permission_violations(running)


def settled(total: int):  # type: ignore[no-untyped-def]
    return lambda body: body["total"] == total and all(r["status"] == "succeeded" for r in body["runs"])


def test_n_replications_give_n_seeds_and_the_distribution_of_their_kpis(system):
    with system.client() as client:
        configs = client.get("/configs").json()["configs"]
        config_id = min(configs, key=lambda c: c["planning_days"])["config_version_id"]
        accepted = client.post("/plans", json={"base_scenario_id": "scn_baseline", "config_version_id": config_id,
                                               "seed": SEED, "replications": N})
        assert accepted.status_code == 202, accepted.text
        plan_id = accepted.json()["plan_version_id"]

    runs = system.wait_for(f"/runs?plan_version_id={plan_id}&limit=100", settled(N), timeout=180)["runs"]
    assert sorted(r["replication"] for r in runs) == list(range(N))
    assert {r["seed"] for r in runs} == {replication_seed(SEED, i) for i in range(N)}  # N distinct seeds
    assert all(r["results"] is not None and r["stub"] is False for r in runs)

    with system.client() as client:
        detail = client.get(f"/plans/{plan_id}").json()
        assert detail["plan"]["replications"] == N
        spread = {d["key"]: d for d in detail["distribution"]}
        for key in ("fill_rate", "profit_total", "customer_shortage_total"):
            values = [r["summary"][key] for r in runs]
            assert spread[key]["count"] == N
            assert spread[key]["p50"] == pytest.approx(statistics.median(values))
            assert spread[key]["p10"] <= spread[key]["p50"] <= spread[key]["p90"]
        assert len({r["summary"]["profit_total"] for r in runs}) > 1, "different seeds, different runs"
        fan = client.get(f"/plans/{plan_id}/fan").json()
        assert fan["runs"] == N and len(fan["stock"]["p50"]) == fan["days"] == runs[0]["summary"]["planning_days"]
        page = client.get(f"/ui/plans/{plan_id}")
        assert page.status_code == 200 and 'id="distribution"' in page.text and 'id="fan"' in page.text

        again = client.post(f"/plans/{plan_id}/runs", json={"replications": 2})
        assert again.status_code == 202 and len(again.json()["job_ids"]) == 2
    runs = system.wait_for(f"/runs?plan_version_id={plan_id}&limit=100", settled(N + 2), timeout=120)["runs"]
    new = sorted((r for r in runs if r["replication"] >= N), key=lambda r: r["replication"])
    assert [(r["replication"], r["seed"]) for r in new] == [(i, replication_seed(SEED, i)) for i in (N, N + 1)]
    assert len({r["seed"] for r in runs}) == N + 2

    with system.client() as client:
        assert client.post(f"/plans/{plan_id}/runs", json={"reproduce": True}).status_code == 202
    runs = system.wait_for(f"/runs?plan_version_id={plan_id}&limit=100", settled(N + 3), timeout=120)["runs"]
    repeated = [r for r in runs if r["replication"] == 0]
    assert {r["seed"] for r in repeated} == {SEED}
    assert len(repeated) == 2 and repeated[0]["summary"] == repeated[1]["summary"], "the same seed, the same run"
    with system.client() as client:
        spread = {d["key"]: d for d in client.get(f"/plans/{plan_id}").json()["distribution"]}
        assert spread["fill_rate"]["count"] == N + 3
