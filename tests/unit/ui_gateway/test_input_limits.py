"""Input limits at the edge: bodies per route (413 before they are read whole), headers (431),
the Idempotency-Key (422), and errors that can be rendered whatever the request held."""

import asyncio
import json

import pytest

from contracts import subjects
from contracts.commands import ConfigImported, ErrorReply, ImportConfig, PlanAccepted, ScenarioAccepted
from services.ui_gateway.echo import INPUT_JSON_MAX, INPUT_TEXT_MAX, shown_input
from services.ui_gateway.limits import (
    BODY_LIMITS,
    BODY_MAX,
    CONFIG_BODY_MAX,
    HEAD_MAX,
    HEADERS_MAX,
    InputLimits,
    MiB,
)
from tests.unit.ui_gateway.routes import api_routes

JSON = {"content-type": "application/json"}
PLAN = {"base_scenario_id": "scn_baseline", "config_version_id": "cfg_1"}


def chunks(total: int, size: int = 64 * 1024):  # type: ignore[no-untyped-def]
    """A JSON body of about ``total`` bytes sent without Content-Length (chunked)."""
    yield b'{"base_scenario_id": "'
    for _ in range(total // size):
        yield b"x" * size
    yield b'", "config_version_id": "cfg_1"}'


def test_a_body_larger_than_its_route_takes_is_a_413_naming_the_limit(client, bus):
    bus.replies[subjects.CMD_PLAN_CREATE] = PlanAccepted(plan_version_id="plan_2", job_id="job_2")
    answer = client.post("/plans", content=json.dumps(PLAN | {"base_scenario_id": "x" * BODY_MAX}), headers=JSON)
    assert answer.status_code == 413
    assert answer.json()["detail"] == (f"the request body ({len(answer.request.content):,} bytes) is larger than "
                                       "the 1 MiB POST /plans takes")
    assert answer.headers["content-security-policy"], "a refusal carries the headers of every response"
    assert client.post("/plans", content=json.dumps(PLAN | {"seed": 1}), headers=JSON).status_code == 202
    assert len(bus.requests(subjects.CMD_PLAN_CREATE)) == 1


def test_a_route_without_a_body_does_nothing_for_a_request_with_a_large_one(client, bus):
    bus.replies[subjects.CMD_SCENARIO_LOCK] = ScenarioAccepted(scenario_id="scn_1")
    answer = client.post("/scenarios/scn_1/lock", content=b"x" * (2 * MiB))
    assert answer.status_code == 413 and bus.requests(subjects.CMD_SCENARIO_LOCK) == []


def test_a_chunked_body_growing_past_the_limit_is_cut_off_with_a_413(client, bus):
    bus.replies[subjects.CMD_PLAN_CREATE] = PlanAccepted(plan_version_id="plan_2", job_id="job_2")
    answer = client.post("/plans", content=chunks(2 * MiB), headers=JSON)
    assert answer.status_code == 413
    assert answer.json()["detail"] == "the request body is larger than the 1 MiB POST /plans takes"
    assert bus.requests(subjects.CMD_PLAN_CREATE) == []
    assert client.post("/plans", content=chunks(100_000), headers=JSON).status_code == 202, "a small chunked body passes"


def test_a_30_mb_config_document_is_imported_through_the_object_store(client, bus):
    bus.replies[subjects.CMD_CONFIG_IMPORT] = ConfigImported(config_version_id="cfg_2", sha256="a" * 64, created=True)
    document = {"meta": {"name": "big", "attributes": {"notes": "n" * (30 * 1000 * 1000)}}}
    answer = client.post("/configs", json=document)
    assert answer.status_code == 201, answer.text[:300]
    [command] = bus.requests(subjects.CMD_CONFIG_IMPORT)
    assert isinstance(command, ImportConfig) and command.document is None
    assert json.loads(bus.objects[(command.staged.bucket, command.staged.key)]) == document


def test_a_config_import_over_50_mib_is_a_413_of_the_api_and_of_the_page(client, bus):
    answer = client.post("/configs", content=b" " * (CONFIG_BODY_MAX + 1), headers=JSON)
    assert answer.status_code == 413 and "larger than the 50 MiB POST /configs takes" in answer.json()["detail"]
    page = client.post("/ui/configs", files={"file": ("net.json", b" " * (CONFIG_BODY_MAX + 100_000))})
    assert page.status_code == 413 and page.headers["content-type"].startswith("text/html")
    assert "larger than the 50 MiB POST /ui/configs takes" in page.text
    assert bus.requests(subjects.CMD_CONFIG_IMPORT) == []


def test_every_route_with_a_limit_of_its_own_is_a_route_of_the_app(client):
    routes = {(method, r.path) for r in api_routes(client.app.routes) for method in r.methods}
    assert set(BODY_LIMITS) <= routes
    assert all(limit > BODY_MAX for limit in BODY_LIMITS.values())


@pytest.mark.parametrize("path", ["/runs", "/ui/runs"])
def test_headers_over_the_limit_are_a_431_of_the_api_and_of_the_pages(client, path):
    answer = client.get(path, headers={"x-padding": "p" * HEADERS_MAX})
    assert answer.status_code == 431 and "are larger than the 16 KiB read" in answer.text
    assert answer.headers["content-type"].startswith("text/html" if path.startswith("/ui") else "application/json")
    assert client.get(path, headers={"x-padding": "p" * (HEADERS_MAX - 2000)}).status_code == 200
    assert HEAD_MAX > HEADERS_MAX, "uvicorn lets a head through that the 431 can name"


def test_an_idempotency_key_over_200_characters_is_a_422_that_does_not_echo_it_whole(client, bus):
    bus.replies[subjects.CMD_PLAN_CREATE] = PlanAccepted(plan_version_id="plan_2", job_id="job_2")
    answer = client.post("/plans", json=PLAN, headers={"Idempotency-Key": "k" * 10_000})
    assert answer.status_code == 422
    [error] = answer.json()["detail"]
    assert error["loc"] == ["header", "idempotency-key"] and "at most 200 characters" in error["msg"]
    assert len(error["input"]) < 300 and error["input"].endswith("(10000 characters)")
    assert bus.requests(subjects.CMD_PLAN_CREATE) == []
    assert client.post("/plans", json=PLAN, headers={"Idempotency-Key": "k" * 200}).status_code == 202


async def _refused_without_reading(limits: InputLimits, scope: dict, body_chunks: list[bytes]) -> tuple[int, int]:
    """Run the middleware over a request; the status it answered and how many chunks it read."""
    read, sent = [0], []

    async def receive():  # type: ignore[no-untyped-def]
        read[0] += 1
        chunk = body_chunks[read[0] - 1]
        return {"type": "http.request", "body": chunk, "more_body": read[0] < len(body_chunks)}

    async def send(message):  # type: ignore[no-untyped-def]
        sent.append(message)

    await limits(scope, receive, send)
    return sent[0]["status"], read[0]


def _limits() -> InputLimits:
    async def route(scope, receive, send):  # type: ignore[no-untyped-def]
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"read it all"})

    async def refuse(request, exc):  # type: ignore[no-untyped-def]
        from starlette.responses import PlainTextResponse

        return PlainTextResponse(exc.detail, status_code=exc.status_code)

    return InputLimits(route, refuse)


def _scope(headers: list[tuple[bytes, bytes]]) -> dict:
    return {"type": "http", "method": "POST", "path": "/plans", "headers": headers, "query_string": b""}


def test_the_middleware_refuses_a_declared_length_before_reading_and_a_chunked_body_at_the_limit():
    declared = _scope([(b"content-length", str(200 * MiB).encode())])
    assert asyncio.run(_refused_without_reading(_limits(), declared, [b"x"] * 10)) == (413, 0)
    chunked = _scope([(b"transfer-encoding", b"chunked")])
    status, read = asyncio.run(_refused_without_reading(_limits(), chunked, [b"x" * (256 * 1024)] * 800))
    assert (status, read) == (413, 5), "200 MB offered, 1.25 MiB read"
    assert asyncio.run(_refused_without_reading(_limits(), chunked, [b"x" * 1024] * 3)) == (200, 3)


def test_a_lone_surrogate_in_a_json_body_is_a_422_that_can_be_encoded(client, bus):
    answer = client.post("/plans", content='{"base_scenario_id": "\\ud800", "config_version_id": "c"}', headers=JSON)
    assert answer.status_code == 422 and answer.json()["detail"][0]["input"] == "\\ud800"
    key = client.post("/plans", content='{"base_scenario_id": "s", "\\udfff": 1}', headers=JSON)
    assert key.status_code == 422 and "\\udfff" in key.text
    document = client.post("/configs", content='{"meta": {"name": "\\ud800"}}', headers=JSON)
    assert document.status_code == 422 and "lone surrogate" in document.json()["detail"]
    assert bus.requests(subjects.CMD_PLAN_CREATE) == bus.requests(subjects.CMD_CONFIG_IMPORT) == []


@pytest.mark.parametrize("path", ["/runs/run_x", "/ui/runs/run_x"])
def test_an_error_repeating_text_utf8_cannot_carry_renders_as_json_and_as_a_page(client, bus, path):
    bus.replies[subjects.QRY_RUN_GET] = ErrorReply(error="run_not_found", message="run \udc80 does not exist")
    answer = client.get(path)
    shown = answer.json()["detail"] if path.startswith("/runs") else answer.text
    assert answer.status_code == 404 and "run \\udc80 does not exist" in shown


@pytest.mark.parametrize("path", ["/runs", "/ui/runs"])
def test_a_query_string_that_is_not_utf8_is_a_422(client, path):
    answer = client.get(f"{path}?status=%ED%A0%80&limit=%ff")
    assert answer.status_code == 422


def test_an_echoed_input_is_short_whatever_it_was():
    assert shown_input("x" * 10_000).startswith("x" * INPUT_TEXT_MAX) and len(shown_input("x" * 10_000)) < 250
    assert shown_input({f"k{i}": i for i in range(10_000)}) == "(a JSON object of 10000 entries, not shown)"
    deep: list = []
    for _ in range(5000):
        deep = [deep]
    assert len(json.dumps(shown_input(deep))) <= INPUT_JSON_MAX
    assert shown_input({"\ud800": ["\udfff"]}) == {"\\ud800": ["\\udfff"]}
