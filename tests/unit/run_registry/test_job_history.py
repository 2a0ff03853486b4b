"""A job's steps, their durations and its messages: every job change is kept as it came
(``job_events``), the same rows whichever way the log is applied, and folded by the job query."""

from datetime import timedelta

import pytest
from registry_helpers import ART, T0, engine_for, messages, run_completed

from contracts import events as ev
from contracts.queries import GetJob
from services.run_registry import digest, queries
from services.run_registry.job_history import job_history, step_name
from services.run_registry.writer import ReadModelWriter

ENV = {"correlation_id": "corr", "producer": "test"}


def report(state: str, step: str, seconds: float, message: str = "", value: float = 0.5) -> ev.JobProgress:
    return ev.JobProgress(job_id="js", job_type="simulation", state=state, progress=value, step=step, message=message,
                          plan_version_id="p1", run_id="r1", occurred_at=T0 + timedelta(seconds=seconds), **ENV)


def simulation_job() -> list:
    requested = ev.RunRequested(plan_version_id="p1", config_version_id="c1", base_scenario_id="s1",
                                scenario_name="Base", job_id="js", seed=3, config=ART, occurred_at=T0, **ENV)
    return [requested, report("running", "starting", 2, value=0.0), report("running", "day 1/90", 3),
            report("running", "day 45/90", 5), report("running", "day 90/90", 8, value=1.0),
            run_completed("r1", job="js"), report("succeeded", "done", 9, "run completed", 1.0),
            report("failed", "day 90/90", 20, "no progress for 900 s: the simulator did not finish it")]


def test_the_job_page_gets_each_step_with_its_duration_and_the_messages():
    engine = engine_for("memory")
    ReadModelWriter(engine).apply_batch(messages(simulation_job()))
    with engine.connect() as conn:
        detail = queries.get_job(conn, GetJob(job_id="js", history=True))
        plain = queries.get_job(conn, GetJob(job_id="js"))
    assert detail.job.state == "succeeded" and (plain.steps, plain.messages) == ([], [])
    assert [(s.step, s.first, s.last, s.state, s.duration_ms, s.reports) for s in detail.steps] == [
        ("queued", "", "", "queued", 2000.0, 1), ("starting", "starting", "starting", "running", 1000.0, 1),
        ("day", "day 1/90", "day 90/90", "succeeded", 6000.0, 4)]
    assert detail.steps[-1].ended_at == T0 + timedelta(seconds=9) and detail.steps[-1].message == "run completed"
    assert [(m.message, m.after_end) for m in detail.messages] == [
        ("run completed", False), ("no progress for 900 s: the simulator did not finish it", True)]
    assert detail.messages_total == 2


def test_a_job_still_running_has_an_open_last_step():
    engine = engine_for("memory")
    ReadModelWriter(engine).apply_batch(messages(simulation_job()[:3]))
    with engine.connect() as conn:
        steps = queries.get_job(conn, GetJob(job_id="js", history=True)).steps
    assert [(s.step, s.ended_at, s.duration_ms) for s in steps][-1] == ("day", None, None)


def test_the_rows_are_the_same_applied_in_one_batch_or_one_by_one():
    together, alone = engine_for("memory"), engine_for("memory")
    ReadModelWriter(together).apply_batch(messages(simulation_job()))
    for message in messages(simulation_job()):
        ReadModelWriter(alone).apply_batch([message])
    assert digest.table_digests(together)["job_events"] == digest.table_digests(alone)["job_events"]
    with together.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM job_events").scalar() == 7


@pytest.mark.parametrize("step, state, name", [
    ("day 12/365", "running", "day"), ("seq 500 / 9000", "running", "seq"), ("", "queued", "queued"),
    ("mrp", "running", "mrp"), ("", "failed", "failed"),
])
def test_a_steps_counter_is_not_part_of_its_name(step, state, name):
    assert step_name(step, state) == name


def test_messages_repeated_in_a_row_are_told_once_and_the_newest_kept():
    class Row:
        def __init__(self, k: int, message: str) -> None:
            self.state, self.progress, self.step, self.message = "running", 0.1, f"seq {k}/9", message
            self.at = T0 + timedelta(seconds=k)

    rows = [Row(k, f"{k // 2} events/s") for k in range(600)]
    steps, shown, total = job_history(rows)
    assert total == 300 and len(shown) == 200 and shown[-1].message == "299 events/s"
    assert [(s.step, s.reports) for s in steps] == [("seq", 600)]
