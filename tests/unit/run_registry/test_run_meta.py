"""A run's governance in the registry: the projection of approvals, baselines, archive, notes and
tags; retention that never drops an approved or baseline run, in any batching; the run history's
filters; comparing with the scenarios' baselines; and the decision of what a change records."""

import itertools
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from registry_helpers import T0, engine_for, messages, rows, run_completed, run_deleted, run_failed

from contracts import queries as q
from contracts.commands import ChangeRunMeta, ErrorReply
from contracts.run_meta import (
    BaselinePromoted,
    RunApproved,
    RunArchived,
    RunNoteAdded,
    RunTagsChanged,
    RunUnarchived,
)
from services.run_registry import projections, queries
from services.run_registry.digest import diff_digests, table_digests
from services.run_registry.projections import Update, Upsert
from services.run_registry.run_meta import decide
from services.run_registry.writer import ReadModelWriter

_ENV = {"producer": "test"}


def approved(run_id: str, by: str = "ann", sid: str = "s1") -> RunApproved:
    return RunApproved(run_id=run_id, scenario_id=sid, approved_by=by, correlation_id=run_id, **_ENV)


def promoted(run_id: str, sid: str = "s1", replaced: str | None = None, by: str = "ann") -> BaselinePromoted:
    return BaselinePromoted(run_id=run_id, scenario_id=sid, replaced_run_id=replaced, promoted_by=by,
                            correlation_id=run_id, **_ENV)


def archived(run_id: str) -> RunArchived:
    return RunArchived(run_id=run_id, archived_by="pat", correlation_id=run_id, **_ENV)


def unarchived(run_id: str) -> RunUnarchived:
    return RunUnarchived(run_id=run_id, unarchived_by="pat", correlation_id=run_id, **_ENV)


def noted(run_id: str, note_id: str, text: str = "looks *right*", at_h: int = 0) -> RunNoteAdded:
    return RunNoteAdded(run_id=run_id, note_id=note_id, text=text, author="pat", correlation_id=run_id,
                        occurred_at=T0 + timedelta(hours=at_h), **_ENV)


def tagged(run_id: str, added: list[str] = (), removed: list[str] = ()) -> RunTagsChanged:  # type: ignore[assignment]
    return RunTagsChanged(run_id=run_id, added=list(added), removed=list(removed), changed_by="pat",
                          correlation_id=run_id, **_ENV)


def at(hours: int) -> Any:
    return T0 + timedelta(hours=hours)


@pytest.fixture(params=["memory", "db"])
def engine(request, tmp_path):
    engine = engine_for(request.param, tmp_path)
    yield engine
    engine.dispose()


def apply(engine, events, max_runs=None, start=1):
    ReadModelWriter(engine, max_runs=max_runs).apply_batch(messages(events, start=start))


def listed(engine, **filters) -> list[str]:
    with engine.connect() as conn:
        return [r.run_id for r in queries.list_runs(conn, q.ListRuns(**filters)).runs]


def meta(engine, run_id: str) -> q.RunMeta:
    with engine.connect() as conn:
        return queries.get_run_meta(conn, q.GetRunMeta(run_ids=[run_id])).metas[run_id]


# the pure projection


def test_an_approval_only_approves_a_run_not_yet_approved_so_the_first_one_stands():
    event = approved("r1", by="ann")
    change, = projections.apply(event, 7)
    assert change == Update("runs", {"run_id": "r1", "approved": False},
                            {"approved": True, "approved_by": "ann", "approved_at": event.occurred_at})


def test_a_promotion_approves_its_run_and_replaces_the_scenarios_baseline_row():
    event = promoted("r2", replaced="r1")
    approve, baseline = projections.apply(event, 9)
    assert approve.key == {"run_id": "r2", "approved": False}
    assert baseline == Upsert("baselines", {"scenario_id": "s1", "run_id": "r2", "promoted_by": "ann",
                                            "promoted_at": event.occurred_at})


# the read model


def test_approve_promote_and_replace_the_baseline_which_stays_approved(engine):
    apply(engine, [run_completed("r1", started=at(0)), run_completed("r2", started=at(1)),
                   approved("r1", by="ann"), promoted("r1", by="ann"), promoted("r2", replaced="r1", by="bob")])
    first, second = meta(engine, "r1"), meta(engine, "r2")
    assert (first.approved, first.approved_by, first.baseline) == (True, "ann", False)
    assert (second.approved, second.approved_by, second.baseline, second.baseline_by) == (True, "bob", True, "bob")
    assert [b["run_id"] for b in rows(engine, "baselines", "scenario_id")] == ["r2"]
    assert listed(engine, baseline=True) == ["r2"] and listed(engine, approved=True) == ["r2", "r1"]
    assert listed(engine, approved=False) == [] and listed(engine, baseline=False) == ["r1"]


def test_a_second_approval_changes_nothing(engine):
    apply(engine, [run_completed("r1"), approved("r1", by="ann"), approved("r1", by="bob")])
    assert meta(engine, "r1").approved_by == "ann"


def test_archived_runs_are_hidden_unless_asked_for_and_the_totals_agree(engine):
    apply(engine, [*(run_completed(f"r{i}", started=at(i)) for i in range(5)), archived("r1"), archived("r3"),
                   archived("r4"), unarchived("r4")])
    with engine.connect() as conn:
        page = queries.list_runs(conn, q.ListRuns(limit=2))
        assert ([r.run_id for r in page.runs], page.total) == (["r4", "r2"], 3)
        assert queries.list_runs(conn, q.ListRuns(limit=2, offset=2)).runs[0].run_id == "r0"
        everything = queries.list_runs(conn, q.ListRuns(archived="include"))
        assert (everything.total, [r.archived for r in everything.runs]) == (5, [False, True, False, True, False])
        only = queries.list_runs(conn, q.ListRuns(archived="only"))
        assert ([r.run_id for r in only.runs], only.total) == (["r3", "r1"], 2)
        assert queries.list_runs(conn, q.ListRuns(status="succeeded")).total == 3
        assert queries.list_runs(conn, q.ListRuns(scenario_id="s1", sort="fill_rate")).total == 3


def test_notes_are_appended_in_order_and_tags_are_a_set_with_a_filter(engine):
    apply(engine, [run_completed("r1"), run_completed("r2", started=at(1)), noted("r1", "n2", "second", at_h=2),
                   noted("r1", "n1", "first", at_h=1), tagged("r1", ["q3", "peak"]), tagged("r2", ["q3"]),
                   tagged("r1", ["extra"], removed=["peak"]), tagged("r2", removed=["q3"])])
    first = meta(engine, "r1")
    assert [(n.note_id, n.text, n.author) for n in first.notes] == [("n1", "first", "pat"), ("n2", "second", "pat")]
    assert first.tags == ["extra", "q3"] and meta(engine, "r2").tags == []
    assert listed(engine, tag="q3") == ["r1"] and listed(engine, tag="peak") == []
    with engine.connect() as conn:
        run = queries.get_run(conn, q.GetRun(run_id="r1")).run
    assert run.tags == ["extra", "q3"]


def test_meta_of_a_run_the_registry_does_not_hold_is_not_found_or_empty_when_asked_in_bulk(engine):
    apply(engine, [run_completed("r1"), run_deleted("r1")])
    with engine.connect() as conn, pytest.raises(queries.NotFound) as missing:
        queries.get_run_meta(conn, q.GetRunMeta(run_ids=["r1"]))
    assert "was deleted" in missing.value.message
    with engine.connect() as conn:
        bulk = queries.get_run_meta(conn, q.GetRunMeta(run_ids=["r1", "nope"], must_exist=False)).metas
    assert bulk["nope"] == q.RunMeta(run_id="nope")


# retention


def test_retention_never_drops_an_approved_or_baseline_run_and_keeps_n_others(engine):
    events = [run_completed("a", started=at(0)), run_completed("b", started=at(1)), approved("a"),
              promoted("b"), *(run_completed(f"n{i}", started=at(2 + i)) for i in range(4))]
    apply(engine, events, max_runs=2)
    assert sorted(r["run_id"] for r in rows(engine, "runs", "run_id")) == ["a", "b", "n2", "n3"]
    with engine.connect() as conn:
        status = queries.status(conn)
    assert (status.runs_dropped_by_retention, status.approved_runs) == (2, 2)
    assert "never drops an approved or baseline run" in status.retention


META_POOL = st.one_of(
    st.builds(lambda i, h: run_completed(f"r{i}", started=at(h)), st.integers(0, 6), st.integers(0, 4)),
    st.builds(lambda i, h: run_failed(f"r{i}", started=at(h)), st.integers(0, 6), st.integers(0, 4)),
    st.builds(lambda i: run_deleted(f"r{i}"), st.integers(0, 6)),
    st.builds(lambda i, by: approved(f"r{i}", by=by), st.integers(0, 6), st.sampled_from(["ann", "bob"])),
    st.builds(lambda i, s: promoted(f"r{i}", sid=s), st.integers(0, 6), st.sampled_from(["s1", "s2"])),
    st.builds(lambda i: archived(f"r{i}"), st.integers(0, 6)),
    st.builds(lambda i: unarchived(f"r{i}"), st.integers(0, 6)),
    st.builds(lambda i, n: noted(f"r{i}", f"n{n}"), st.integers(0, 6), st.integers(0, 3)),
    st.builds(lambda i, a, r: tagged(f"r{i}", a, r), st.integers(0, 6), st.lists(st.sampled_from(["x", "y"]), max_size=2),
              st.lists(st.sampled_from(["x", "y"]), max_size=2)),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=st.lists(META_POOL, max_size=30), cuts=st.lists(st.integers(1, 30), max_size=5),
       max_runs=st.sampled_from([None, 1, 2]))
def test_governance_and_retention_in_any_batching_give_identical_tables(events, cuts, max_runs, tmp_path_factory):
    """A rebuild batches the log differently from the live path: the tables must not differ,
    and the runs kept are those of retention applied after every run, never an approved one."""
    batch = messages(events)
    one = engine_for("memory")
    ReadModelWriter(one, max_runs=max_runs).apply_batch(batch)
    split = engine_for("db", tmp_path_factory.mktemp("split"))
    writer = ReadModelWriter(split, max_runs=max_runs)
    for start, end in itertools.pairwise([0, *sorted(set(cuts)), len(batch)]):
        writer.apply_batch(batch[start:end])
    assert diff_digests(table_digests(one), table_digests(split)) == []
    assert sorted(r["run_id"] for r in rows(split, "runs", "run_id")) == reference(events, max_runs)


def reference(events, max_runs) -> list[str]:
    """Runs kept when retention runs after every stored run and skips the approved ones."""
    runs: dict[str, Any] = {}
    finished: set[str] = set()
    approved_ids: set[str] = set()
    for event in events:
        kind = type(event).__name__
        if kind == "RunDeleted":
            runs.pop(event.run_id, None)
        elif kind in ("RunApproved", "BaselinePromoted") and event.run_id in runs:
            approved_ids.add(event.run_id)
        elif kind in ("RunCompleted", "RunFailed") and event.run_id not in finished:
            finished.add(event.run_id)
            runs[event.run_id] = event.started_at
            others = [r for r in runs if r not in approved_ids]
            while max_runs is not None and len(others) > max_runs:
                oldest = min(others, key=lambda r: (runs[r], r))
                del runs[oldest]
                others.remove(oldest)
    return sorted(runs)


# comparing with the baselines


def test_each_run_is_compared_with_its_own_scenarios_baseline(engine):
    apply(engine, [run_completed("b1", sid="s1", fill_rate=0.8, started=at(0)),
                   run_completed("b2", sid="s2", fill_rate=0.5, started=at(1)),
                   run_completed("x1", sid="s1", fill_rate=0.9, started=at(2)),
                   run_completed("x2", sid="s2", fill_rate=0.6, started=at(3)),
                   run_completed("x3", sid="s3", fill_rate=0.7, started=at(4)),
                   promoted("b1", sid="s1"), promoted("b2", sid="s2")])
    with engine.connect() as conn:
        cmp = queries.compare_runs(conn, q.CompareRuns(run_ids=["x1", "x2", "x3"], base="baseline"))
        baselines = queries.list_baselines(conn, q.ListBaselines()).baselines
    assert [r.run_id for r in cmp.runs] == ["b1", "b2", "x1", "x2", "x3"]
    assert (cmp.base_id, cmp.bases, cmp.without_baseline) == ("b1", {"x1": "b1", "x2": "b2"}, ["x3"])
    fill = next(k for k in cmp.kpis if k.key == "fill_rate")
    assert fill.diff_abs["x1"] == pytest.approx(0.1) and fill.diff_abs["x2"] == pytest.approx(0.1)
    assert fill.diff_abs["x3"] is None and fill.diff_abs["b1"] is None
    assert [(b.scenario_id, b.run_id, b.latest_run_id) for b in baselines] == [("s1", "b1", "x1"), ("s2", "b2", "x2")]


def test_comparing_with_baselines_none_of_the_scenarios_has_is_refused(engine):
    apply(engine, [run_completed("x1")])
    with engine.connect() as conn, pytest.raises(queries.NotAllowed, match="baseline"):
        queries.compare_runs(conn, q.CompareRuns(run_ids=["x1"], base="baseline"))


def test_one_run_is_compared_only_against_baselines():
    with pytest.raises(ValueError, match="at least two"):
        q.CompareRuns(run_ids=["x1"])


# what a change records


def run(status: str = "succeeded") -> q.RunRow:
    return q.RunRow(run_id="r1", plan_version_id="p1", config_version_id="c1", scenario_id="s1", scenario_name="S",
                    job_id="j", started_at=T0, finished_at=T0, duration_ms=1.0, status=status)


def change(action: str, **extra: Any) -> ChangeRunMeta:
    return ChangeRunMeta(run_id="r1", action=action, by="ann", **extra)


def test_only_a_succeeded_run_is_approved_or_promoted():
    for action in ("approve", "promote_baseline"):
        refused = decide(change(action), run("failed"), q.RunMeta(run_id="r1"), None)
        assert isinstance(refused, ErrorReply) and refused.error == "not_allowed"


def test_promoting_a_run_not_yet_approved_approves_it_first_and_names_the_baseline_it_replaces():
    facts = decide(change("promote_baseline"), run(), q.RunMeta(run_id="r1"), "r0")
    assert [type(f).__name__ for f in facts] == ["RunApproved", "BaselinePromoted"]
    assert (facts[1].replaced_run_id, facts[1].promoted_by, facts[0].approved_by) == ("r0", "ann", "ann")
    again = decide(change("promote_baseline"), run(), q.RunMeta(run_id="r1", approved=True, baseline=True), "r1")
    assert again == []


def test_a_change_to_what_already_holds_records_nothing():
    held = q.RunMeta(run_id="r1", approved=True, archived=True, tags=["q3"])
    assert decide(change("approve"), run(), held, None) == []
    assert decide(change("archive"), run(), held, None) == []
    assert decide(change("unarchive"), run(), q.RunMeta(run_id="r1"), None) == []
    assert decide(change("tags", add=["q3"], remove=["nope"]), run(), held, None) == []


def test_notes_are_always_recorded_and_tags_only_what_changes_within_the_limit():
    note, = decide(change("note", note="**ok**"), run("failed"), q.RunMeta(run_id="r1"), None, note_id=lambda: "n1")
    assert (note.note_id, note.text, note.author) == ("n1", "**ok**", "ann")
    tags, = decide(change("tags", add=["a", "q3"], remove=["q3", "b"]), run(), q.RunMeta(run_id="r1", tags=["b"]),
                   None)
    assert (tags.added, tags.removed) == (["a"], ["b"])
    full = q.RunMeta(run_id="r1", tags=[f"t{i}" for i in range(20)])
    assert isinstance(decide(change("tags", add=["one more"]), run(), full, None), ErrorReply)
