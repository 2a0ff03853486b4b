"""Faults met as an operator meets them, with the system as processes: nats-server killed, the
data directory's disk full. Nothing answered 202 is lost, no job is left unfinished."""

import contextlib
import time

import httpx
import pytest

from tests.e2e.faults import (
    MB,
    Tally,
    child_pid,
    config_id,
    kill_child,
    log_sizes,
    mounted,
    post_plan,
    settle,
    wait_healthy,
)
from tests.e2e.system import permission_violations, start_system, stop_system

pytestmark = pytest.mark.e2e

LOG_GROWTH_MAX = 8 * 1024
"""What a service may log about one outage of the bus: a line when it starts, one when it ends
(a traceback per reconnect attempt was about 1.5 KB each, four a second per service)."""


def test_a_killed_nats_server_is_restarted_and_a_plan_posted_before_gets_its_run(tmp_path):
    system = start_system(tmp_path)
    tally = Tally("kill -9 nats-server")
    try:
        with system.client() as client:
            config = config_id(client)
            logs_before = log_sizes(system)
            assert post_plan(client, tally, config) == 202
            killed = kill_child(system, "nats-server")
            killed_at = time.monotonic()
            assert wait_healthy(system, timeout=15) < 15
            restarted = child_pid(system, "nats-server")
            assert restarted != killed
            settle(system, tally, killed_at, timeout=60)
            assert (tally.lost, tally.stuck) == (0, 0), tally
            assert post_plan(client, tally, config) == 202, "and it takes new plans"
            settle(system, tally, killed_at, timeout=60)
            assert (tally.runs, tally.lost, tally.stuck) == (2, 0, 0), tally
        console = (tmp_path / "up.out").read_text()
        assert "scpln: nats-server exited (signal 9); restarted in " in console
        grown = {name: size - logs_before.get(name, 0) for name, size in log_sizes(system).items()
                 if name != "nats-server.log"}
        assert all(growth < LOG_GROWTH_MAX for growth in grown.values()), grown
        for path in (system.data_dir / "logs").glob("*.log"):
            assert "Traceback" not in path.read_text(), path.name
        print(tally.row())
    finally:
        stop_system(system)
    assert not permission_violations(system), permission_violations(system)


def test_a_full_disk_refuses_new_plans_with_507_and_every_accepted_plan_gets_its_run(tmp_path):
    """The data directory on a 40 MB tmpfs: the system starts, a filler file leaves 6 MB free
    (2 MB of it the reserve), large-network plans are posted until they are refused, then the
    rest of the disk is filled; the filler is deleted and everything accepted is finished."""
    try:
        disk_cm = mounted(tmp_path / "disk", 40)
        disk = disk_cm.__enter__()
    except PermissionError as exc:
        pytest.skip(f"cannot mount a tmpfs for the data directory here ({exc}): run as root to try a full disk")
    tally = Tally("disk full (40 MB tmpfs)")
    try:
        data_dir = disk.where / "data"
        data_dir.mkdir()
        system = start_system(data_dir, {"SCPLN_DISK_RESERVE_MB": "2"})
        try:
            filler = disk.fill(leave=6 * MB)
            with system.client() as client:
                client.timeout = httpx.Timeout(15)
                config, refused_in_a_row = config_id(client), 0
                while tally.tries < 80 and refused_in_a_row < 3:
                    refused_in_a_row = 0 if post_plan(client, tally, config) == 202 else refused_in_a_row + 1
                assert refused_in_a_row == 3 and tally.answers[507] >= 1, tally
                refusal = client.post("/plans", json={"base_scenario_id": "scn_baseline", "config_version_id": config})
                assert refusal.status_code == 507 and "disk is full" in refusal.json()["detail"]
                health = client.get("/healthz")
                assert health.status_code == 503 and health.json()["trouble"], health.text
                with open(filler, "ab") as more, contextlib.suppress(OSError):  # and the rest: no space at all
                    more.write(b"\0" * disk.free())
                time.sleep(3)
                filler.unlink()
                freed_at = time.monotonic()
                settle(system, tally, freed_at, timeout=300)
                assert (tally.lost, tally.stuck) == (0, 0), tally
                assert tally.runs == len(tally.accepted) >= 1
                print(tally.row())
                wait_healthy(system, timeout=30)
                assert post_plan(client, tally, config) == 202, "and it takes new plans"
            console = (data_dir / "up.out").read_text()
            if "nats-server refuses writes" in console:  # it met the full disk: restarted once space was back
                assert "nats-server: writes refused after its disk filled" in console, console
        finally:
            stop_system(system)
        assert not permission_violations(system), permission_violations(system)
    finally:
        disk_cm.__exit__(None, None, None)
