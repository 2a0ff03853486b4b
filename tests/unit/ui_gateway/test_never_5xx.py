"""Property tests: whatever JSON body a client sends to any route that takes one, and whatever
query string to any GET route, the gateway answers below 500 (a 4xx says what was wrong). The
routes come from the app itself; the bus is the fake with a canned answer for every subject,
and encodes every request as the real one does, so a request that could not be sent is a
failure here too."""

import json
from typing import Any
from urllib.parse import quote, quote_from_bytes

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from contracts import subjects
from contracts.commands import (
    AggregateAccepted,
    ConfigImported,
    JobAccepted,
    PlanAccepted,
    RunDeletedReply,
    ScenarioAccepted,
)
from contracts.envelope import Contract
from contracts.queries import Comparison, KpiComparison
from services.ui_gateway.app import create_app
from services.ui_gateway.settings import Settings
from tests.unit.ui_gateway.fakes import FakeBus, registry, run_row
from tests.unit.ui_gateway.routes import api_routes
from tests.unit.ui_gateway.test_psi_api import review_replies

STREAMS = {"/ui/jobs/events"}
"""Routes that answer with an endless stream (live job progress): not for a request per example."""
IDS = ["scn_baseline", "scn_locked", "cfg_1", "plan_1", "run_a", "run_b", "job_plan", "aggregate", "week", "item"]
TEXT = st.sampled_from(["\ud800", "id\udfff", "", " ", "\x00", "\u2028"]) | st.text(st.characters(exclude_categories=()),
                                                                                  max_size=12)
"""Any text, and often a lone surrogate (JSON escapes it as ``\\udxxx``; UTF-8 cannot carry it)."""
SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | TEXT | st.sampled_from(IDS)
SETTINGS = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


class WireBus(FakeBus):
    """The fake bus, encoding each request as ``NatsBus`` does before answering it."""

    async def ask(self, subject: str, request: Contract, reply: type) -> Any:
        request.model_dump_json().encode()
        return await super().ask(subject, request, reply)


def wired_bus() -> WireBus:
    bus = registry(WireBus())
    accepted = JobAccepted(job_id="job_2")
    kpi = KpiComparison(key="fill_rate", values={"run_a": 0.9, "run_b": 0.8}, diff_abs={"run_b": -0.1},
                        diff_pct={"run_b": -0.11}, flagged={"run_b": True})
    bus.replies.update({
        subjects.CMD_PLAN_CREATE: PlanAccepted(plan_version_id="plan_2", job_id="job_2"),
        subjects.CMD_PLAN_RERUN: accepted,
        subjects.CMD_AGGREGATE: AggregateAccepted(job_id="job_2", run_id="run_a", plan_version_id="plan_1"),
        subjects.CMD_JOB_RETRY: accepted, subjects.CMD_JOB_CANCEL: accepted,
        subjects.CMD_CONFIG_IMPORT: ConfigImported(config_version_id="cfg_2", sha256="a" * 64, created=True),
        subjects.CMD_RUN_DELETE: lambda r: RunDeletedReply(run_id=r.run_id),
        subjects.QRY_RUNS_COMPARE: Comparison(base_id="run_a", runs=[run_row("run_a"), run_row("run_b")], kpis=[kpi]),
        **{subject: lambda r: ScenarioAccepted(scenario_id=r.scenario_id) for subject in (
            subjects.CMD_SCENARIO_UPDATE, subjects.CMD_SCENARIO_LOCK, subjects.CMD_SCENARIO_UNLOCK,
            subjects.CMD_SCENARIO_ARCHIVE, subjects.CMD_SCENARIO_UNARCHIVE)},
        subjects.CMD_SCENARIO_CREATE: ScenarioAccepted(scenario_id="scn_2"),
        **review_replies(),
    })
    return bus


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):  # type: ignore[no-untyped-def]
    bus = wired_bus()
    app = create_app(Settings(nats_url="nats://fake:4222", scpln_data_dir=tmp_path_factory.mktemp("gateway")), bus)
    with TestClient(app, headers={"Authorization": f"Bearer {bus.tokens['admin']}"}) as client:
        yield client


def _app_routes() -> list[tuple[str, str, list[str], list[str]]]:
    """(method, path, path parameters, field names it knows) of every route, from the app."""
    app = create_app(Settings(nats_url="nats://fake:4222"), wired_bus())
    found = []
    for route in api_routes(app.routes):
        if route.path in STREAMS:
            continue
        names = [p.name for p in route.dependant.query_params]
        for param in route.dependant.body_params:
            names.append(param.name)
            annotation = param.field_info.annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                names += [*annotation.model_fields, *_nested_fields(annotation)]
        for method in sorted(route.methods - {"HEAD"}):
            found.append((method, route.path, [p.name for p in route.dependant.path_params], names))
    return found


def _nested_fields(model: type[BaseModel]) -> list[str]:
    return [name for field in model.model_fields.values() if isinstance(field.annotation, type)
            and issubclass(field.annotation, BaseModel) for name in field.annotation.model_fields]


ROUTES = _app_routes()
BODY_ROUTES = [r for r in ROUTES if r[0] in ("POST", "PUT", "PATCH", "DELETE")]
GET_ROUTES = [r for r in ROUTES if r[0] == "GET"]


def json_values(keys: list[str]) -> st.SearchStrategy:
    names = st.sampled_from(keys or IDS) | TEXT
    return st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(names, inner, max_size=5),
                        max_leaves=12)


def filled(path: str, params: list[str], values: list[str]) -> str:
    for name, value in zip(params, values):
        path = path.replace(f"{{{name}}}", quote(value.encode("utf-8", "surrogatepass"), safe="") or "x")
    return path


PATH_VALUES = st.lists(st.sampled_from(IDS) | TEXT, min_size=4, max_size=4)


def test_the_properties_cover_the_routes_that_take_a_body_and_the_reads():
    assert {("POST", "/plans"), ("POST", "/configs"), ("PATCH", "/scenarios/{scenario_id}"), ("POST", "/runs/compare"),
            ("POST", "/ui/plans")} <= {(m, p) for m, p, *_ in BODY_ROUTES}
    assert len(GET_ROUTES) > 25


@pytest.mark.parametrize(("method", "path", "params", "keys"), BODY_ROUTES, ids=[f"{r[0]} {r[1]}" for r in BODY_ROUTES])
@SETTINGS
@given(data=st.data(), values=PATH_VALUES)
def test_no_json_body_makes_a_route_fail_with_a_5xx(gateway, method, path, params, keys, data, values):
    body = data.draw(st.dictionaries(st.sampled_from(keys or IDS) | TEXT, json_values(keys), max_size=6)
                     | json_values(keys), label="body")
    answer = gateway.request(method, filled(path, params, values), content=json.dumps(body),
                             headers={"content-type": "application/json"})
    assert answer.status_code < 500, answer.text[:500]
    if answer.headers.get("content-type", "").startswith("application/json"):
        answer.json()


@pytest.mark.parametrize(("method", "path", "params", "keys"), GET_ROUTES, ids=[f"{r[0]} {r[1]}" for r in GET_ROUTES])
@SETTINGS
@given(data=st.data(), values=PATH_VALUES)
def test_no_query_string_makes_a_read_fail_with_a_5xx(gateway, method, path, params, keys, data, values):
    pairs = data.draw(st.lists(st.tuples(st.sampled_from(keys or IDS) | TEXT,
                                         st.binary(max_size=12) | st.sampled_from([s.encode() for s in IDS])
                                         | st.integers().map(lambda n: str(n).encode())), max_size=5), label="query")
    query = "&".join(f"{quote(k.encode('utf-8', 'surrogatepass'), safe='')}={quote_from_bytes(v, safe='')}"
                     for k, v in pairs)
    answer = gateway.get(f"{filled(path, params, values)}?{query}", follow_redirects=False)
    assert answer.status_code < 500, answer.text[:500]
