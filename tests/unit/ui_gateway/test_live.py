"""Live job progress: SSE events carry the stream sequence as id and resume after Last-Event-ID."""

import json

from contracts.events import JobProgress, JobState, JobType
from services.ui_gateway.live import start_after


def progress(job_id: str, state: JobState, value: float) -> JobProgress:
    return JobProgress(correlation_id=job_id, producer="test", job_id=job_id, job_type=JobType.planning,
                       state=state, progress=value, step="mrp", plan_version_id="plan_1")


def events(text: str) -> list[dict[str, str]]:
    found = []
    for block in text.strip().split("\r\n\r\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line and not line.startswith(":"))
        if fields.get("event") == "job":
            found.append(fields)
    return found


def stream(client, url: str, **headers: str) -> list[dict[str, str]]:
    with client.stream("GET", url, headers=headers) as answer:
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/event-stream")
        return events(answer.read().decode())


def test_each_event_has_its_sequence_as_id_and_the_job_as_data(client, bus):
    bus.progress = [(11, progress("job_a", JobState.running, 0.5)), (12, progress("job_a", JobState.succeeded, 1.0))]
    got = stream(client, "/ui/jobs/events?after=10")
    assert [e["id"] for e in got] == ["11", "12"]
    last = json.loads(got[-1]["data"])
    assert (last["job_id"], last["state"], last["progress"], last["plan_version_id"]) == ("job_a", "succeeded", 1.0, "plan_1")
    assert bus.progress_after == [10]


def test_last_event_id_wins_over_the_first_position(client, bus):
    bus.progress = [(11, progress("job_a", JobState.running, 0.5)), (12, progress("job_a", JobState.succeeded, 1.0))]
    got = stream(client, "/ui/jobs/events?after=3", **{"Last-Event-ID": "11"})
    assert [e["id"] for e in got] == ["12"]
    assert bus.progress_after == [11]


def test_a_job_page_only_hears_its_own_job(client, bus):
    bus.progress = [(5, progress("job_a", JobState.running, 0.1)), (6, progress("job_b", JobState.running, 0.2))]
    got = stream(client, "/ui/jobs/events?after=0&job_id=job_b")
    assert [json.loads(e["data"])["job_id"] for e in got] == ["job_b"]


def test_without_a_bus_the_stream_is_refused_so_the_page_polls(client, bus):
    bus.connected = False
    assert client.get("/ui/jobs/events").status_code == 503


def test_where_the_stream_resumes():
    assert start_after("42", 7) == 42
    assert start_after(None, 7) == 7
    assert start_after("garbage", None) is None
