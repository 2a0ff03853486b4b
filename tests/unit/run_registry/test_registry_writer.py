"""The writer suite, run against both backends (in-memory SQLite and a SQLite file)."""

import itertools
import json
from datetime import UTC, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from registry_helpers import (
    T0,
    engine_for,
    messages,
    plan_created,
    progress,
    rows,
    run_completed,
    run_deleted,
    run_failed,
    scenario_created,
)
from sqlalchemy.exc import OperationalError

from contracts import events as ev
from contracts.subjects import JOB_PROGRESS, SCENARIO_CREATED
from services.run_registry import projections
from services.run_registry.batch_projection import project, unreadable_reason
from services.run_registry.digest import diff_digests, table_digests
from services.run_registry.writer import ReadModelWriter


@pytest.fixture(params=["memory", "db"])
def engine(request, tmp_path):
    engine = engine_for(request.param, tmp_path)
    yield engine
    engine.dispose()


def history() -> list[Any]:
    return [scenario_created(), plan_created(), progress("js1", "running"),
            run_completed("r1"), run_failed("r2", started=T0 + timedelta(hours=1)), progress("js1", "succeeded")]


def counters(engine) -> dict[str, int]:
    return {r["name"]: r["value"] for r in rows(engine, "counters", "name")}


def test_a_batch_lands_rows_and_checkpoint_and_counts_new_runs(engine):
    outcome = ReadModelWriter(engine).apply_batch(messages(history()))
    assert (outcome.applied, outcome.skipped, outcome.last_seq, outcome.runs_completed) == (6, 0, 6, 2)
    assert ReadModelWriter(engine).last_seq() == 6
    assert [r["status"] for r in rows(engine, "runs", "run_id")] == ["succeeded", "failed"]
    assert counters(engine) == {"runs:succeeded": 1, "runs:failed": 1, "runs_named:base": 2}


def test_redelivery_and_replay_are_no_ops(engine):
    writer, batch = ReadModelWriter(engine), messages(history())
    writer.apply_batch(batch)
    before = table_digests(engine)
    again = writer.apply_batch(batch[2:] + batch[:2])
    assert (again.applied, again.skipped, again.runs_completed, again.last_seq) == (0, 6, 0, 6)
    assert table_digests(engine) == before


def test_a_projection_made_elsewhere_is_used_only_for_exactly_the_messages_it_covers(engine, tmp_path):
    batch = messages(history())
    used = ReadModelWriter(engine, apply=refuse).apply_batch(batch, project(batch, projections.apply))
    assert (used.applied, used.last_seq) == (6, 6)
    (tmp_path / "other").mkdir()
    other = engine_for("db", tmp_path / "other")
    stale = project(batch[2:], refuse)  # not this batch: projected again with the writer's own apply
    redone = ReadModelWriter(other).apply_batch(batch, stale)
    assert redone == used and table_digests(other) == table_digests(engine)


def refuse(event, seq):  # type: ignore[no-untyped-def]
    raise AssertionError("projected again")


class Crash(BaseException):
    """The process dies mid-batch (not an error a message can be blamed for)."""


def test_a_failed_write_leaves_neither_rows_nor_checkpoint(engine):
    def dying(event, seq):
        if seq == 4:
            raise Crash
        return projections.apply(event, seq)

    with pytest.raises(Crash):
        ReadModelWriter(engine, apply=dying).apply_batch(messages(history()))
    assert ReadModelWriter(engine).last_seq() == 0
    assert rows(engine, "scenarios", "scenario_id") == [] and rows(engine, "runs", "run_id") == []
    assert ReadModelWriter(engine).apply_batch(messages(history())).applied == 6


def unreadable_batch() -> list[tuple[int, str, bytes]]:
    unknown = b'{"event_type": "SomethingNew", "correlation_id": "c", "producer": "p"}'
    misplaced = ev.encode(history()[0])  # a valid event on another event type's subject
    future = json.loads(ev.encode(history()[0]))
    future["schema_version"] = 99  # a version this reader does not know: not read as version 1
    return [(1, "scpln.events.x", unknown), (2, "scpln.events.y", b"\xff not json"), (3, "z", b"[1]"),
            (4, JOB_PROGRESS, misplaced), (5, SCENARIO_CREATED, json.dumps(future).encode())]


UNREADABLE_REASONS = [  # the start of why: the rest depends on whether upcasters are registered
    (1, "scpln.events.x", "unknown event type 'SomethingNew'"),
    (2, "scpln.events.y", "not JSON: "),
    (3, "z", ""),
    (4, JOB_PROGRESS, f"UnknownEvent: a ScenarioCreated on {JOB_PROGRESS}; its subject is {SCENARIO_CREATED}"),
    (5, SCENARIO_CREATED, ("UnknownSchemaVersion: ScenarioCreated schema_version 99 is unknown to this reader "
                           "(it reads version 2)")),
]


@pytest.mark.parametrize("path", ["fast", "careful"])
def test_messages_that_are_no_event_it_reads_are_dead_letters_with_why_and_the_checkpoint_moves(engine, caplog, path):
    batch = unreadable_batch()
    events = messages([scenario_created("s2"), run_completed("r1")], start=6)
    apply = projections.apply if path == "fast" else fails_on(7)  # one failing event: message by message
    outcome = ReadModelWriter(engine, apply=apply).apply_batch(batch + events)
    assert (outcome.skipped, outcome.undecodable, outcome.last_seq) == (5, 5, 7)
    assert ReadModelWriter(engine).last_seq() == 7
    assert counters(engine)["events_undecodable"] == 5
    letters = rows(engine, "dead_letters", "seq")
    assert [(r["seq"], r["subject"]) for r in letters[:5]] == [(seq, subject) for seq, subject, _ in UNREADABLE_REASONS]
    assert all(r["error"].startswith(why) for r, (_, _, why) in zip(letters, UNREADABLE_REASONS, strict=False))
    assert "object" in letters[2]["error"], "[1] is no JSON object"
    assert [(r["data"], r["attempts"]) for r in letters[:5]] == [(data, 0) for _, _, data in batch]
    assert [r["scenario_id"] for r in rows(engine, "scenarios", "scenario_id")] == ["s2"], "none of them applied"
    assert ("kept 5 message(s) that are no event the registry reads as dead letters, the first at seq 1 on "
            "scpln.events.x: unknown event type 'SomethingNew'") in [r.getMessage() for r in caplog.records]


def test_why_a_message_is_unreadable_is_told_alike_with_and_without_upcasters():
    not_json, not_utf8 = b"{nope", b"\xff not json"
    reasons = [unreadable_reason(catch(lambda d=d: ev.decode(d, JOB_PROGRESS))) for d in (not_json, not_utf8)]
    assert all(reason.startswith("not JSON: ") for reason in reasons), reasons
    slow = [unreadable_reason(catch(lambda d=d: json.loads(d))) for d in (not_json, not_utf8)]  # as upcasting reads
    assert all(reason.startswith("not JSON: ") for reason in slow), slow


def catch(call) -> Exception:  # type: ignore[no-untyped-def]
    try:
        call()
    except Exception as exc:  # noqa: BLE001 - the error is the result
        return exc
    raise AssertionError("no error")


def fails_on(poisoned_seq: int):  # type: ignore[no-untyped-def]
    def apply(event, seq):  # type: ignore[no-untyped-def]
        if seq == poisoned_seq:
            raise RuntimeError("cannot apply")
        return projections.apply(event, seq)
    return apply


def test_live_and_rebuild_keep_the_same_dead_letters(engine, tmp_path):
    batch = unreadable_batch() + messages([scenario_created("s2")], start=6)
    ReadModelWriter(engine).apply_batch(batch)
    (tmp_path / "rebuilt").mkdir()
    rebuilt = engine_for("db", tmp_path / "rebuilt")
    writer = ReadModelWriter(rebuilt)
    for start in range(0, len(batch), 2):  # other batches, each projected as a replay does (elsewhere)
        part = batch[start: start + 2]
        writer.apply_batch(part, project(part, projections.apply))
    assert diff_digests(table_digests(engine), table_digests(rebuilt)) == []


def test_a_poison_message_is_retried_then_dead_lettered_and_the_next_event_applies(engine, caplog):
    calls = []

    def poisoned(event, seq):
        calls.append(seq)
        if seq == 3:
            raise RuntimeError("cannot apply")
        return projections.apply(event, seq)

    writer = ReadModelWriter(engine, apply=poisoned, max_attempts=3)
    outcome = writer.apply_batch(messages(history()))
    assert (outcome.applied, outcome.dead_lettered, outcome.last_seq) == (5, 1, 6)
    assert calls.count(3) == 1 + 3  # the grouped attempt, then three on its own
    [letter] = rows(engine, "dead_letters", "seq")
    assert (letter["seq"], letter["attempts"], letter["subject"]) == (3, 3, JOB_PROGRESS)
    assert "cannot apply" in letter["error"] and ev.decode(letter["data"]).job_id == "js1"
    assert [r.getMessage() for r in caplog.records if r.name == "run_registry.writer"] == [
        f"event at seq 3 on {JOB_PROGRESS} failed 3 times and is kept in dead_letters: RuntimeError: cannot apply"]
    assert [r["run_id"] for r in rows(engine, "runs", "run_id")] == ["r1", "r2"]
    assert rows(engine, "jobs", "job_id")[1]["state"] == "succeeded"


def test_a_database_that_cannot_be_written_fails_the_batch_instead_of_dead_lettering(engine):
    def locked(event, seq):
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    with pytest.raises(OperationalError):
        ReadModelWriter(engine, apply=locked).apply_batch(messages(history()))
    assert ReadModelWriter(engine).last_seq() == 0 and rows(engine, "dead_letters", "seq") == []


def test_retention_keeps_exactly_the_newest_n_with_ties_by_run_id_and_counts_the_dropped(engine):
    same_time = [run_completed(f"r{i}", started=T0) for i in (3, 1, 2)]
    later, oldest = run_completed("r0", started=T0 + timedelta(days=1)), run_completed("r9", started=T0 - timedelta(days=1))
    writer = ReadModelWriter(engine, max_runs=2)
    writer.apply_batch(messages([*same_time, later, oldest]))
    assert sorted(r["run_id"] for r in rows(engine, "runs", "run_id")) == ["r0", "r3"]
    assert counters(engine)["runs_dropped_by_retention"] == 3
    assert counters(engine)["runs:succeeded"] == 2
    writer.apply_batch(messages([run_deleted("r0"), run_completed("r4", started=T0)], start=6))
    assert sorted(r["run_id"] for r in rows(engine, "runs", "run_id")) == ["r3", "r4"]


def test_retention_applies_event_by_event_so_a_rebuild_reaches_the_same_table(engine):
    events = [run_completed("r1", started=T0), run_completed("r2", started=T0 + timedelta(hours=1)),
              run_deleted("r2")]
    ReadModelWriter(engine, max_runs=1).apply_batch(messages(events))
    assert rows(engine, "runs", "run_id") == []
    assert counters(engine)["runs_dropped_by_retention"] == 1


def test_job_states_only_move_forward(engine):
    steps = [progress("j", "queued"), progress("j", "running", value=0.4, pv="p1"),
             progress("j", "queued", value=0.0), progress("j", "running", value=0.6),
             progress("j", "succeeded", value=1.0, run_id="r1"), progress("j", "failed", value=0.1),
             progress("j", "running", value=0.2)]
    ReadModelWriter(engine).apply_batch(messages(steps))
    [job] = rows(engine, "jobs", "job_id")
    assert (job["state"], job["progress"], job["plan_version_id"], job["run_id"]) == ("succeeded", 1.0, "p1", "r1")


def test_plan_created_finishes_the_planning_job_unless_it_already_ended(engine):
    events = [progress("jp1", "running", job_type="planning"), progress("jp2", "failed", job_type="planning"),
              plan_created("p1", job="jp1", sim_job="js1"), plan_created("p2", job="jp2", sim_job="js2")]
    ReadModelWriter(engine).apply_batch(messages(events))
    states = {j["job_id"]: j["state"] for j in rows(engine, "jobs", "job_id")}
    assert states == {"jp1": "succeeded", "jp2": "failed", "js1": "queued", "js2": "queued"}


def test_the_first_final_fact_of_a_run_stands_and_later_ones_are_counted_and_logged_once(engine, caplog):
    writer = ReadModelWriter(engine)
    first = writer.apply_batch(messages([run_completed("r1", profit=100.0), run_failed("r2")]))
    stored = rows(engine, "runs", "run_id")
    later = [run_completed("r1", name="Forged", profit=1e9), run_failed("r1"), run_completed("r2")]
    second = writer.apply_batch(messages(later, start=3))
    assert (first.runs_completed, second.runs_completed, second.applied) == (2, 0, 3)
    assert [(seq, run_id) for seq, run_id, _ in sorted(second.duplicates)] == [(3, "r1"), (4, "r1"), (5, "r2")]
    assert rows(engine, "runs", "run_id") == stored
    assert counters(engine) == {"runs:succeeded": 1, "runs:failed": 1, "runs_named:base": 2,
                                "duplicate_final_facts": 3}
    assert [r.getMessage() for r in caplog.records if r.name == "run_registry.writer"] == [
        ("3 RunCompleted/RunFailed event(s) for runs that already had their final fact changed nothing (the first "
         "fact stands); the first: a RunCompleted at seq 3 for run r1")]
    again = writer.apply_batch(messages(later, start=3))  # redelivered: no fact at all, nothing counted or logged
    assert (again.skipped, again.duplicates) == (3, [])
    assert counters(engine)["duplicate_final_facts"] == 3 and len(caplog.records) == 1


def test_a_final_fact_after_the_run_was_deleted_or_dropped_by_retention_changes_nothing(engine):
    writer = ReadModelWriter(engine, max_runs=1)
    writer.apply_batch(messages([run_completed("old", started=T0), run_completed("new", started=T0 + timedelta(days=1)),
                                 run_completed("gone"), run_deleted("gone")]))
    assert [r["run_id"] for r in rows(engine, "runs", "run_id")] == ["new"]
    outcome = writer.apply_batch(messages([run_completed("old", started=T0 + timedelta(days=9)),
                                           run_failed("gone", started=T0 + timedelta(days=9))], start=5))
    assert sorted(run_id for _, run_id, _ in outcome.duplicates) == ["gone", "old"]
    assert [r["run_id"] for r in rows(engine, "runs", "run_id")] == ["new"]


def test_two_final_facts_of_one_run_in_one_batch_keep_the_first(engine):
    ReadModelWriter(engine).apply_batch(messages([run_failed("r1"), run_completed("r1")]))
    assert [r["status"] for r in rows(engine, "runs", "run_id")] == ["failed"]
    assert counters(engine)["duplicate_final_facts"] == 1


EVENT_POOL = st.one_of(
    st.builds(lambda i, h, f: run_completed(f"r{i}", started=T0 + timedelta(hours=h), fill_rate=f),
              st.integers(0, 7), st.integers(0, 3), st.sampled_from([0.5, 0.9])),
    st.builds(lambda i, h: run_failed(f"r{i}", started=T0 + timedelta(hours=h)), st.integers(0, 7), st.integers(0, 3)),
    st.builds(lambda i: run_deleted(f"r{i}"), st.integers(0, 7)),
    st.builds(lambda j, s: progress(f"j{j}", s), st.integers(0, 2), st.sampled_from(["queued", "running", "succeeded", "failed"])),
    st.builds(lambda p: plan_created(f"p{p}", job=f"j{p}", sim_job=f"j{p + 1}"), st.integers(0, 2)),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=st.lists(EVENT_POOL, max_size=25), cuts=st.lists(st.integers(1, 25), max_size=5),
       max_runs=st.sampled_from([None, 1, 3]))
@example(events=[run_completed("r1"), run_completed("r2", started=T0 + timedelta(hours=1)), run_deleted("r2")],
         cuts=[2], max_runs=1)
def test_the_same_events_in_any_batching_give_identical_tables(events, cuts, max_runs, tmp_path_factory):
    batch = messages(events)
    one = engine_for("memory")
    ReadModelWriter(one, max_runs=max_runs).apply_batch(batch)
    split = engine_for("db", tmp_path_factory.mktemp("split"))
    writer = ReadModelWriter(split, max_runs=max_runs)
    bounds = [0, *sorted(set(cuts)), len(batch)]
    for start, end in itertools.pairwise(bounds):
        writer.apply_batch(batch[start:end])
    assert diff_digests(table_digests(one), table_digests(split)) == []
    kept, dropped = retention_reference(events, max_runs)
    assert [r["run_id"] for r in rows(split, "runs", "run_id")] == kept
    assert counters(split).get("runs_dropped_by_retention", 0) == dropped
    assert sum(v for k, v in counters(split).items() if k.startswith("runs:")) == len(kept)


def retention_reference(events, max_runs):
    """Runs kept and dropped when retention runs after every stored run, in plain Python. A
    run's first final fact stands: a later one for it is no new run."""
    runs, finished, dropped = {}, set(), 0
    for event in events:
        if isinstance(event, ev.RunDeleted):
            runs.pop(event.run_id, None)
        elif isinstance(event, ev.RunCompleted | ev.RunFailed) and event.run_id not in finished:
            finished.add(event.run_id)
            runs[event.run_id] = event.started_at
            while max_runs is not None and len(runs) > max_runs:
                del runs[min(runs, key=lambda run_id: (runs[run_id], run_id))]
                dropped += 1
    return sorted(runs), dropped


def test_retention_after_every_run_when_a_batch_also_repeats_a_stored_run(engine):
    writer = ReadModelWriter(engine, max_runs=1)
    writer.apply_batch(messages([run_completed("a", started=T0)]))
    later = [run_completed("a", started=T0, fill_rate=0.5), run_completed("b", started=T0 + timedelta(hours=1)),
             run_completed("c", started=T0 + timedelta(hours=2))]
    writer.apply_batch(messages(later, start=2))
    assert [r["run_id"] for r in rows(engine, "runs", "run_id")] == ["c"]
    assert counters(engine)["runs_dropped_by_retention"] == 2


def test_times_written_in_any_zone_are_stored_and_read_back_as_the_same_instant_in_utc(engine):
    east, west = timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-7))
    job = progress("js1", "running").model_copy(update={"occurred_at": T0.astimezone(west)})
    batch = messages([run_completed("r1", started=T0.astimezone(east)), job])
    assert b"+05:30" in batch[0][2] and b"-07:00" in batch[1][2]
    ReadModelWriter(engine).apply_batch(batch)
    started = rows(engine, "runs", "run_id")[0]["started_at"]
    updated = rows(engine, "jobs", "job_id")[0]["updated_at"]
    assert started == updated == T0 and started.tzinfo is updated.tzinfo is UTC
