"""The gateway holds one NATS connection, its broker's: the requests it sends, the storage
reports it hears and sends, the identity and maintenance facts it follows, the job-progress
feed and the object store all go through it, and it is closed when the gateway stops. The
gateway runs as ``python -m services.ui_gateway`` runs it (uvicorn, the app's lifespan
starting and stopping its bus), in-process; the connections are counted by the server itself
(``/connz`` on its monitoring port, closed ones included, so one opened for a moment counts too)."""

import asyncio
import json
from datetime import UTC, datetime

import httpx
import nats
import uvicorn

from contracts import subjects
from contracts.commands import ErrorReply, ImportConfig
from contracts.events import JobProgress, JobState, JobType
from contracts.queries import RunsPage
from contracts.storage import StorageStatus
from runtime import bus
from runtime.publisher import JetStreamPublisher
from services.ui_gateway.app import create_app
from services.ui_gateway.deps import STAGE_ABOVE
from services.ui_gateway.limits import SERVER_OPTIONS
from services.ui_gateway.settings import Settings
from tests.integration.conftest import all_closed
from tests.integration.conftest import clients as every_client
from tests.unit.ui_gateway.fakes import run_row

OBSERVER = "test-observer"


def clients(monitor_url: str) -> list[dict]:
    """Every client the server has had but the test's own, connected or gone."""
    return every_client(monitor_url, every=True, leave_out=OBSERVER)


def report(service: str) -> StorageStatus:
    return StorageStatus(service=service, data_dir="/data", free_bytes=1, total_bytes=2, reserve_bytes=0,
                         writes_failing=False, reported_at=datetime.now(UTC))


async def until(check, what: str, timeout: float = 15.0):  # type: ignore[no-untyped-def]
    """``await check()`` until it returns something truthy."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not (done := await check()):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"never: {what}")
        await asyncio.sleep(0.05)
    return done


async def test_the_gateway_does_all_its_work_on_one_connection_and_closes_it_on_stop(monitored_nats, tmp_path) -> None:
    url, monitor = monitored_nats
    nc = await nats.connect(url, name=OBSERVER)
    js = nc.jetstream()
    await bus.declare_stream(js, max_bytes=256 * 1024**2)
    page = RunsPage(last_seq=3, runs=[run_row("run_1")], total=1, limit=50, offset=0).model_dump_json().encode()
    imports: list[ImportConfig] = []

    async def registry(msg) -> None:  # type: ignore[no-untyped-def]
        await msg.respond(page)

    async def plan_service(msg) -> None:  # type: ignore[no-untyped-def]
        imports.append(ImportConfig.model_validate_json(msg.data))
        await msg.respond(ErrorReply(error="config_invalid", message="not a network").model_dump_json().encode())

    await nc.subscribe(subjects.QRY_RUNS_LIST, cb=registry)
    await nc.subscribe(subjects.CMD_CONFIG_IMPORT, cb=plan_service)
    settings = Settings(nats_url=url, scpln_auth="off", scpln_data_dir=tmp_path, request_timeout_s=2)
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=0, log_config=None,
                                           lifespan="on", proxy_headers=False, **SERVER_OPTIONS))
    serving = asyncio.create_task(server.serve())
    try:
        await until(lambda: asyncio.sleep(0, server.started), "uvicorn listening")
        port = server.servers[0].sockets[0].getsockname()[1]
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            async def healthy() -> bool:  # identity and maintenance facts followed
                return (await client.get("/healthz")).status_code == 200

            await until(healthy, "/healthz 200")
            runs = await client.get("/runs")
            assert runs.status_code == 200 and runs.content == page
            document = {"network": "x" * (STAGE_ABOVE + 1)}  # staged in the object store, then the command
            imported = await client.post("/configs", json=document)
            assert imported.status_code == 422 and imported.json()["detail"] == "not a network", imported.text
            [command] = imports
            assert command.staged is not None and command.document is None
            stored = await (await js.object_store(subjects.UPLOADS_BUCKET)).get(command.staged.key)
            assert json.loads(stored.data) == document

            await nc.publish(subjects.storage_status("simulator"), report("simulator").model_dump_json().encode())

            async def heard() -> bool:
                return "simulator" in {s["service"] for s in (await client.get("/healthz")).json()["storage"]}

            await until(heard, "the simulator's storage report on /healthz")
            async with client.stream("GET", "/ui/jobs/events", params={"after": 0}) as feed:
                assert feed.status_code == 200
                await JetStreamPublisher(js).publish(JobProgress(
                    correlation_id="job_1", producer="test", job_id="job_1", job_type=JobType.simulation,
                    state=JobState.running, progress=0.5, step="day 3"))
                lines = feed.aiter_lines()
                while not (line := await asyncio.wait_for(anext(lines), 10)).startswith("data:"):
                    pass
                assert json.loads(line.removeprefix("data:"))["job_id"] == "job_1"
                during = await asyncio.to_thread(clients, monitor)
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, 15)
        after = await all_closed(monitor, leave_out=OBSERVER)
        await nc.drain()
    assert [c.get("name") for c in during] == ["ui_gateway"], during
    subscribed = set(during[0].get("subscriptions_list") or [])
    assert subjects.STORAGE_STATUS_ALL in subscribed, subscribed
    assert any(s.startswith("_INBOX.") for s in subscribed), "requests and the log's consumers use the same connection"
    assert [(c["cid"], c.get("reason")) for c in after] == [(during[0]["cid"], "Client Closed")], after
