"""JSON API additions: daily results (JSON and CSV), aggregate jobs, config documents, AsyncAPI."""

import json

from contracts import subjects
from contracts.commands import AggregateAccepted, ConfigImported, ErrorReply, JobAccepted
from contracts.events import AGGREGATE_ID_OF, EVENT_TYPES, SUBJECT_OF, RunCompleted
from contracts.queries import RegistryStatus, RunDetail
from tests.unit.ui_gateway.fakes import results_doc, run_row


def test_results_are_the_stored_document_uncompressed(client):
    answer = client.get("/runs/run_a/results")
    assert answer.status_code == 200 and answer.json() == results_doc()


def test_results_as_csv_per_part(client):
    series = client.get("/runs/run_a/results?format=csv").text.splitlines()
    assert series[0].startswith("day,date,node,item,node_type,start,receipts")
    assert series[1].startswith("1,2025-01-01,W1,P1,warehouse,0.0")
    assert len(series) == 1 + 2 * 3
    pnl = client.get("/runs/run_a/results?format=csv&part=pnl")
    assert pnl.headers["content-disposition"] == 'attachment; filename="run_a-pnl.csv"'
    assert pnl.text.splitlines()[:2] == ["day,date,revenue,cost_total,profit", "1,2025-01-01,10.0,4.0,6.0"]
    costs = client.get("/runs/run_a/results?format=csv&part=costs").text.splitlines()
    assert costs == ["day,category,node,item,amount", "1,storage,S1,P1,4.0"]


def test_a_run_without_results_is_a_404_that_says_why(client, bus):
    bus.replies[subjects.QRY_RUN_GET] = RunDetail(run=run_row(results=None, stub=True))
    answer = client.get("/runs/run_a/results")
    assert answer.status_code == 404 and "stub run" in answer.json()["detail"]


def test_aggregate_jobs_are_forwarded_to_the_plan_service(client, bus):
    bus.replies[subjects.CMD_AGGREGATE] = AggregateAccepted(job_id="job_agg", run_id="run_a", plan_version_id="plan_1")
    answer = client.post("/jobs/aggregate", json={"run_id": "run_a", "bucket": "month", "group_by": "region"})
    assert answer.status_code == 202 and answer.json() == {
        "job_id": "job_agg", "run_id": "run_a", "plan_version_id": "plan_1", "latest": False, "message": ""}
    sent = bus.requests(subjects.CMD_AGGREGATE)[0]
    assert (sent.run_id, sent.bucket, sent.group_by, sent.plan_version_id) == ("run_a", "month", "region", None)


def test_aggregate_jobs_answer_503_until_a_handler_answers_and_422_for_bad_bodies(client, bus):
    assert client.post("/jobs/aggregate", json={"run_id": "run_a"}).status_code == 503
    assert client.post("/jobs/aggregate", json={"run_id": "run_a", "bucket": "year"}).status_code == 422
    bus.replies[subjects.CMD_AGGREGATE] = ErrorReply(error="validation_failed", message="run run_a has no daily results")
    refused = client.post("/jobs/aggregate", json={"run_id": "run_a"})
    assert refused.status_code == 422 and "no daily results" in refused.json()["detail"]


def test_a_config_document_downloads_as_stored(client):
    answer = client.get("/configs/cfg_1/document?download=true")
    assert answer.content == b"{}"
    assert answer.headers["content-disposition"] == 'attachment; filename="cfg_1.json"'


def test_asyncapi_documents_every_event_on_its_subject_with_its_docstring(client):
    document = client.get("/asyncapi").json()
    assert document["asyncapi"].startswith("3.")
    channels = document["channels"]
    for model in EVENT_TYPES:
        channel = channels[model.__name__]
        field = AGGREGATE_ID_OF.get(model.__name__)
        if field is None:
            assert channel["address"] == SUBJECT_OF[model.__name__]
        else:  # stored per aggregate: its type's subject and the aggregate's id
            assert channel["address"] == f"{SUBJECT_OF[model.__name__]}.{{{field}}}"
            assert set(channel["parameters"]) == {field}
        assert channel["description"] == model.__doc__.strip()
    assert channels["PlanCreated"]["address"] == "scpln.events.plan.created.{plan_version_id}"
    schemas = document["components"]["schemas"]
    assert "plan_version_id" in schemas["PlanCreated"]["properties"]


def test_the_openapi_lists_the_additions(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/runs/{run_id}/results", "/jobs/aggregate", "/configs/{config_version_id}/document", "/asyncapi"} <= set(paths)
    assert not any(p.startswith("/ui/") and p != "/ui/jobs/events" for p in paths)


def test_every_answer_says_how_long_the_gateway_worked_on_it(client):
    timing = client.get("/healthz").headers["server-timing"]
    assert timing.startswith("app;dur=") and float(timing.split("=")[1]) >= 0


def test_the_api_docs_and_charts_load_nothing_from_other_hosts(client):
    for path in ("/docs", "/ui/runs/run_a", "/ui/runs/compare?run_id=run_a&run_id=run_b"):
        html = client.get(path).text
        assert "https://" not in html and "http://" not in html, path
    assert client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200
    assert client.get("/static/vendor/uplot/uPlot.iife.min.js").status_code == 200


def test_retry_and_cancel_forward_typed_commands_and_map_refusals(client, bus):
    from contracts.commands import ErrorReply

    bus.replies[subjects.CMD_JOB_RETRY] = ErrorReply(error="not_allowed", message="job job_plan is running")
    refused = client.post("/jobs/job_plan/retry")
    assert refused.status_code == 409 and "running" in refused.json()["detail"]
    bus.replies[subjects.CMD_JOB_RETRY] = JobAccepted(job_id="job_again")
    answer = client.post("/jobs/job_sim/retry")
    assert answer.status_code == 202 and answer.json() == {"job_id": "job_again"}
    assert bus.requests(subjects.CMD_JOB_RETRY)[-1].job_id == "job_sim"
    bus.replies[subjects.CMD_JOB_CANCEL] = JobAccepted(job_id="job_q")
    assert bus.requests(subjects.CMD_JOB_RETRY)[-1].by == "admin"
    assert client.post("/jobs/job_q/cancel?by=ana").status_code == 422
    assert client.post("/jobs/job_q/cancel").status_code == 202
    assert bus.requests(subjects.CMD_JOB_CANCEL)[-1].by == "admin"
    page = client.post("/ui/jobs/job_q/cancel", follow_redirects=False)
    assert page.status_code == 303 and "created=job_q" in page.headers["location"]


def test_asyncapi_gives_the_published_schemas_headers_and_where_the_correlation_id_is(client):
    document = client.get("/asyncapi").json()
    run_completed = document["components"]["schemas"]["RunCompleted"]
    assert {"event_id", "event_type", "schema_version", "occurred_at", "run_id"} <= set(run_completed["required"])
    assert run_completed["properties"]["schema_version"]["const"] == RunCompleted.model_fields["schema_version"].default
    assert run_completed["properties"]["summary"]["$ref"] == "#/components/schemas/RunSummary"
    message = document["components"]["messages"]["RunCompleted:Message"]
    assert message["correlationId"] == {"location": "$message.payload#/correlation_id"}
    assert message["headers"]["required"] == ["Nats-Msg-Id"]
    assert "at least once" in document["info"]["description"]
    assert document["info"]["version"] != "0.0.0"


def test_the_asyncapi_servers_never_show_credentials():
    from services.ui_gateway.asyncapi import served_document

    document = served_document("nats://gateway:s3cret@nats-1:4222,nats://nats-2:4222")
    assert "s3cret" not in str(document)
    assert document["servers"]["development"]["host"] == "nats-1:4222"


def test_asyncapi_has_every_event_command_and_query_and_their_replies(client):
    document = client.get("/asyncapi").json()
    channels, operations = document["channels"], document["operations"]
    assert {model.__name__ for model in EVENT_TYPES} <= set(channels)
    assert channels["RunCompleted"]["address"] == subjects.RUN_COMPLETED
    answered = {channel["address"]: name for name, channel in channels.items()
                if channel.get("address", "") and channel["address"].startswith(("scpln.cmd.", "scpln.qry."))}
    for subject in (subjects.CMD_PLAN_CREATE, subjects.CMD_SCENARIO_LOCK, subjects.CMD_RUN_DELETE,
                    subjects.QRY_RUNS_LIST, subjects.QRY_STATUS):
        assert subject in answered, subject
    create = operations[f"{answered[subjects.CMD_PLAN_CREATE]}Subscribe"]
    assert create["action"] == "receive"
    replies = [ref["$ref"].rsplit("/", 1)[1] for ref in create["reply"]["messages"]]
    assert replies == ["PlanAccepted", "ErrorReply"]
    assert "PlanAccepted" in document["components"]["schemas"] and "ErrorReply" in document["components"]["schemas"]
    runs = operations[f"{answered[subjects.QRY_RUNS_LIST]}Subscribe"]
    assert [ref["$ref"].rsplit("/", 1)[1] for ref in runs["reply"]["messages"]] == ["RunsPage", "ErrorReply"]
    assert channels[answered[subjects.QRY_RUNS_LIST]]["bindings"]["nats"]["queue"] == "run_registry"
    assert all("reply" in operations[f"{name}Subscribe"] for name in answered.values())
    assert "Unreadable" not in json.dumps(document), "a decoder's marker for what it could not read is no message"


def test_the_registry_status_says_how_many_runs_retention_dropped(client, bus):
    assert 'id="registry-status"' not in client.get("/ui/runs").text
    bus.replies[subjects.QRY_STATUS] = RegistryStatus(runs=1, runs_dropped_by_retention=1234, dead_letters=2, last_seq=9,
                                                      events_undecodable=1, duplicate_final_facts=3)
    status = client.get("/registry/status", params={"min_seq": 9})
    assert status.status_code == 200
    assert status.json().items() >= {"runs": 1, "runs_dropped_by_retention": 1234, "dead_letters": 2,
                                     "events_undecodable": 1, "duplicate_final_facts": 3,
                                     "latest_dead_letters": [], "last_seq": 9}.items()
    assert bus.requests(subjects.QRY_STATUS)[-1].min_seq == 9
    assert 'id="registry-status"' not in client.get("/ui/runs").text  # the notice's status is asked every few seconds
    client.app.state.registry_status = None  # ... as if those seconds had passed
    page = client.get("/ui/runs").text
    assert "1,234 older run(s) dropped" in page and "2 event(s) could not be applied" in page
    assert "(1 of them no event the registry reads)" in page and "3 repeated result(s) of runs" in page


def test_a_config_document_too_large_for_a_message_is_staged_in_the_object_store(client, bus):
    bus.replies[subjects.CMD_CONFIG_IMPORT] = ConfigImported(config_version_id="cfg_big", sha256="c" * 64, created=True)
    small = {"meta": {"name": "small"}, "items": [{"code": "I1"}]}
    large = {"meta": {"name": "large"}, "items": [{"code": f"I{i:06d}", "name": "x" * 40} for i in range(8000)]}
    assert client.post("/configs", json=small).status_code == 201
    assert client.post("/configs", json=large).status_code == 201
    page = client.post("/ui/configs", files={"file": ("large.json", json.dumps(large).encode())}, follow_redirects=False)
    assert page.status_code == 303
    inline, staged, uploaded = bus.requests(subjects.CMD_CONFIG_IMPORT)
    assert (inline.document, inline.staged) == (small, None)
    assert staged.document is None and staged.staged.bucket == subjects.UPLOADS_BUCKET
    assert json.loads(bus.objects[(staged.staged.bucket, staged.staged.key)]) == large
    assert uploaded.staged == staged.staged  # the same content: the same staged object
