"""``make smoke-plan-run``: a plan on a sample, its run, found in the run history through the API.

Finds the running system as the ``scpln`` commands do (``SCPLN_DATA_DIR``, default ``data``) and
its API at ``SCPLN_URL`` (default ``http://127.0.0.1:$GATEWAY_PORT``, port 8000). Signs in with a
one-hour token of ``SMOKE_USER`` (default ``admin``) from ``scpln tokens create``, unless
``SCPLN_TOKEN`` gives one. Imports ``samples/small.json`` (an identical config is reused), creates a
plan on it from the first open scenario, waits for its run (``SMOKE_TIMEOUT_S``, default 180 s),
finds the run in ``GET /runs`` and ``GET /runs/{id}``. Exit status 0, else 1 with the reason."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "small.json"


class SmokeFailed(Exception):
    """What went wrong, in one line."""


def main() -> int:
    try:
        print(smoke(), flush=True)
    except SmokeFailed as failed:
        print(f"smoke-plan-run FAILED: {failed}", file=sys.stderr)
        return 1
    except httpx.HTTPError as exc:
        print(f"smoke-plan-run FAILED: the API at {base_url()} did not answer ({type(exc).__name__}: {exc}); is the "
              "system up (scpln up)? else set SCPLN_URL", file=sys.stderr)
        return 1
    return 0


def base_url() -> str:
    return os.environ.get("SCPLN_URL") or f"http://127.0.0.1:{os.environ.get('GATEWAY_PORT', '8000')}"


def token() -> str:
    if given := os.environ.get("SCPLN_TOKEN"):
        return given
    user = os.environ.get("SMOKE_USER", "admin")
    made = subprocess.run([sys.executable, "-m", "scpln.cli", "tokens", "create", "--user", user, "--ttl", "1h",
                           "--name", "smoke-plan-run"], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    if made.returncode != 0 or not made.stdout.strip():
        raise SmokeFailed(f"scpln tokens create --user {user} failed: {(made.stderr or made.stdout).strip()}")
    return made.stdout.strip().splitlines()[-1]


def answer(response: httpx.Response, what: str, *ok: int) -> dict:  # type: ignore[type-arg]
    if response.status_code not in (ok or (200,)):
        raise SmokeFailed(f"{what}: HTTP {response.status_code} {response.text[:300]}")
    return response.json()


def signed_in(client: httpx.Client, timeout: float = 30.0) -> None:
    """A token just issued works once the gateway has read the log that far."""
    deadline = time.monotonic() + timeout
    while client.get("/runs", params={"limit": 1}).status_code == 401:
        if time.monotonic() > deadline:
            raise SmokeFailed(f"the gateway did not accept the token within {timeout:.0f} s")
        time.sleep(0.2)


def open_scenario(client: httpx.Client) -> str:
    scenarios = answer(client.get("/scenarios"), "GET /scenarios")["scenarios"]
    usable = [s for s in scenarios if not s.get("locked") and not s.get("archived")]
    if not usable:
        raise SmokeFailed("no scenario that is neither locked nor archived to plan from")
    return next((s["scenario_id"] for s in usable if s["scenario_id"] == "scn_baseline"), usable[0]["scenario_id"])


def wait_for_run(client: httpx.Client, plan_id: str, timeout: float) -> dict:  # type: ignore[type-arg]
    deadline = time.monotonic() + timeout
    while True:
        plan = answer(client.get(f"/plans/{plan_id}"), f"GET /plans/{plan_id}")
        if plan["runs"]:
            return plan["runs"][0]
        status = plan["plan"].get("status")
        if status in ("failed", "cancelled"):
            raise SmokeFailed(f"plan {plan_id} {status}: {plan['plan'].get('reason') or plan['plan']}")
        if time.monotonic() > deadline:
            raise SmokeFailed(f"plan {plan_id} has no run after {timeout:.0f} s (status {status})")
        time.sleep(0.5)


def smoke() -> str:
    timeout = float(os.environ.get("SMOKE_TIMEOUT_S", "180"))
    with httpx.Client(base_url=base_url(), timeout=30, headers={"Authorization": f"Bearer {token()}"}) as client:
        signed_in(client)
        config = answer(client.post("/configs", json=json.loads(SAMPLE.read_text())), "POST /configs (samples/small.json)",
                        200, 201)["config_version_id"]
        scenario = open_scenario(client)
        plan_id = answer(client.post("/plans", json={"base_scenario_id": scenario, "config_version_id": config}),
                         "POST /plans", 202)["plan_version_id"]
        run = wait_for_run(client, plan_id, timeout)
        if run["status"] != "succeeded":
            raise SmokeFailed(f"run {run['run_id']} of plan {plan_id} {run['status']}: {run.get('reason', '')}")
        listed = answer(client.get("/runs", params={"plan_version_id": plan_id}), "GET /runs")["runs"]
        if run["run_id"] not in [r["run_id"] for r in listed]:
            raise SmokeFailed(f"run {run['run_id']} is not in GET /runs?plan_version_id={plan_id}")
        found = answer(client.get(f"/runs/{run['run_id']}"), f"GET /runs/{run['run_id']}")["run"]
    return (f"smoke-plan-run OK: config {config}, plan {plan_id} on {scenario} → run {found['run_id']} "
            f"({found['status']}, fill rate {found['summary'].get('fill_rate')}) found in the run history")


if __name__ == "__main__":
    sys.exit(main())
