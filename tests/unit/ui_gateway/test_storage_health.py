"""/healthz and /registry/status say where writes fail or space runs short, and are 503 then;
a plan refused for want of space is a 507 naming the cause."""

from contracts import subjects
from contracts.commands import ErrorReply
from contracts.queries import RegistryStatus
from contracts.storage import StorageStatus

MB = 2**20


def report(service: str, *, failing: bool = False, free: int = 500 * MB) -> StorageStatus:
    return StorageStatus(service=service, data_dir="/data", free_bytes=free, total_bytes=1000 * MB,
                         reserve_bytes=256 * MB, writes_failing=failing,
                         failing_since="2026-01-01T10:00:00Z" if failing else None,
                         last_write_error="write …/msgs/2.blk: no space left on device" if failing else None,
                         reported_at="2026-01-01T10:00:05Z")


def test_healthz_is_503_while_a_service_says_its_writes_fail_and_200_once_they_work(client, bus):
    assert client.get("/healthz").json()["status"] == "ok"
    bus.storage_board.heard(report("simulator", failing=True).model_dump_json().encode())
    health = client.get("/healthz")
    assert health.status_code == 503 and health.json()["status"] == "storage_trouble"
    [line] = health.json()["trouble"]
    assert line.startswith("simulator: writes fail since 10:00:00 UTC: write …/msgs/2.blk: no space left on device")
    assert health.json()["storage"][0]["free_bytes"] == 500 * MB
    bus.storage_board.heard(report("simulator").model_dump_json().encode())
    assert client.get("/healthz").status_code == 200


def test_healthz_is_503_while_a_data_directory_is_below_its_reserve(client, bus):
    bus.storage_board.heard(report("plan_service", free=100 * MB).model_dump_json().encode())
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.json()["trouble"] == [("plan_service: 100.0 MB free in /data, below the reserve of 256.0 MB: new "
                                        "work is refused")]


def test_the_registry_status_carries_each_services_storage_and_is_503_while_one_is_in_trouble(client, bus):
    bus.replies[subjects.QRY_STATUS] = RegistryStatus(runs=1, last_seq=9, storage=[report("run_registry")])
    assert client.get("/registry/status").status_code == 200
    bus.replies[subjects.QRY_STATUS] = RegistryStatus(runs=1, last_seq=9, storage=[
        report("run_registry"), report("plan_service", failing=True)])
    status = client.get("/registry/status")
    assert status.status_code == 503 and status.json()["storage"][1]["writes_failing"] is True


def test_a_plan_refused_for_want_of_space_is_a_507_with_the_cause_and_when_to_ask_again(client, bus):
    bus.replies[subjects.CMD_PLAN_CREATE] = ErrorReply(
        error="storage_full", message="the event log's disk is full: 3.0 MB free in /data, below the 256.0 MB kept "
                                      "for work already accepted; new work is refused until space is freed")
    answer = client.post("/plans", json={"base_scenario_id": "sc_1", "config_version_id": "cfg_1"})
    assert answer.status_code == 507 and answer.headers["retry-after"] == "60"
    assert answer.json()["detail"].startswith("the event log's disk is full")
