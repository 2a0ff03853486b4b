"""The run list against a brute-force reference on random data: filters, totals, sorting,
offset paging and cursor paging (ties included)."""

from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from registry_helpers import T0, engine_for, messages, run_completed, run_deleted, run_failed
from sqlalchemy import func, select

from contracts.queries import ListRuns
from services.run_registry import queries
from services.run_registry.writer import ReadModelWriter

NAMES = ["Base EU", "base US", "Peak EU", "Ünïcode Peak"]
NULL_LOW = -1e308


@st.composite
def run_events(draw):
    events, count = [], draw(st.integers(0, 32))
    for i in range(count):
        common = {"started": T0 + timedelta(hours=draw(st.integers(0, 5))), "pv": draw(st.sampled_from(["p0", "p1", "p2", "p10"])),
                  "cid": f"c{draw(st.integers(0, 1))}", "sid": f"s{draw(st.integers(0, 2))}",
                  "name": draw(st.sampled_from(NAMES)), "duration_ms": draw(st.sampled_from([100.0, 250.0]))}
        if draw(st.booleans()) and draw(st.booleans()):
            events.append(run_failed(f"r{i:02d}", **common))
        else:
            events.append(run_completed(f"r{i:02d}", fill_rate=draw(st.sampled_from([0.5, 0.75, 0.9])),
                                        profit=draw(st.sampled_from([-10.0, 0.0, 50.0])), **common))
    deleted = draw(st.lists(st.integers(0, max(count - 1, 0)), max_size=3)) if count else []
    return events + [run_deleted(f"r{i:02d}") for i in deleted]


FILTER_VALUES = {
    "plan_version_id": ["p0", "p1", "p9"], "plan_version_prefix": ["p", "p1", "p10", "p2", "q"],
    "scenario_id": ["s0", "s2"],
    "scenario_name": ["eu", "BASE", "peak", "ÜNÏ", "zz", "e"], "config_version_id": ["c0", "c1"],
    "status": ["succeeded", "failed"], "since": [T0 + timedelta(hours=h) for h in (1, 3)],
    "until": [T0 + timedelta(hours=h) for h in (2, 5)],
}


@st.composite
def list_queries(draw):
    """Few filters at a time (most lists filter by one thing, the cached totals included)."""
    chosen = draw(st.lists(st.sampled_from(sorted(FILTER_VALUES)), max_size=3, unique=True))
    filters = {name: draw(st.sampled_from(FILTER_VALUES[name])) for name in chosen}
    return ListRuns(
        **filters, sort=draw(st.sampled_from(["started_at", "finished_at", "duration_ms", "fill_rate", "profit_total"])),
        order=draw(st.sampled_from(["asc", "desc"])), limit=draw(st.integers(1, 7)), offset=draw(st.integers(0, 34)))


LIST_QUERIES = list_queries()


def reference(runs, query: ListRuns):
    """The run list as plain Python over every stored run."""
    def keep(run):
        return all([
            all(getattr(query, f) in (None, getattr(run, f))
                for f in ("plan_version_id", "scenario_id", "config_version_id", "status")),
            not query.scenario_name or query.scenario_name.lower() in run.scenario_name.lower(),
            not query.plan_version_prefix or run.plan_version_id.startswith(query.plan_version_prefix),
            query.since is None or run.started_at >= query.since,
            query.until is None or run.started_at < query.until,
        ])

    def key(run):
        value = run.summary.get(query.sort, None) if query.sort in ("fill_rate", "profit_total") else getattr(run, query.sort)
        return (NULL_LOW if value is None else value), run.run_id

    return sorted(filter(keep, runs), key=key, reverse=query.order == "desc")


def all_runs(conn):
    return queries.list_runs(conn, ListRuns(limit=1000, sort="started_at")).runs


@settings(max_examples=120, deadline=None)
@given(events=run_events(), lists=st.lists(LIST_QUERIES, min_size=1, max_size=6))
def test_filters_totals_sorting_and_offset_paging_match_the_reference(events, lists):
    engine = engine_for("memory")
    ReadModelWriter(engine).apply_batch(messages(events))
    with engine.connect() as conn:
        stored = all_runs(conn)
        for query in lists:
            expected = reference(stored, query)
            page = queries.list_runs(conn, query)
            assert page.total == len(expected)
            assert [r.run_id for r in page.runs] == [r.run_id for r in expected[query.offset: query.offset + query.limit]]
            assert (page.next_cursor is not None) == (query.offset + query.limit < len(expected))


@settings(max_examples=80, deadline=None)
@given(events=run_events(), query=LIST_QUERIES)
def test_cursor_paging_walks_the_whole_filtered_list_once(events, query):
    engine = engine_for("memory")
    ReadModelWriter(engine).apply_batch(messages(events))
    with engine.connect() as conn:
        expected = [r.run_id for r in reference(all_runs(conn), query)]
        seen, cursor = [], None
        while True:
            page = queries.list_runs(conn, query.model_copy(update={"cursor": cursor, "offset": 0}))
            assert page.total == len(expected) and len(page.runs) <= query.limit
            seen += [r.run_id for r in page.runs]
            if (cursor := page.next_cursor) is None:
                break
        assert seen == expected


def test_the_stored_run_round_trips_with_utc_times_and_summary():
    engine = engine_for("memory")
    ReadModelWriter(engine).apply_batch(messages([run_completed("r1", name="Peak EU", fill_rate=0.75)]))
    with engine.connect() as conn:
        [run] = queries.list_runs(conn, ListRuns()).runs
    assert run.started_at == T0 and run.started_at.utcoffset() == timedelta(0)
    assert (run.scenario_name, run.summary["fill_rate"], run.results.key) == ("Peak EU", 0.75, "r1.json.gz")


def test_naive_since_and_until_are_read_as_utc():
    engine = engine_for("memory")
    ReadModelWriter(engine).apply_batch(messages([run_completed("r1", started=T0)]))
    with engine.connect() as conn:
        page = queries.list_runs(conn, ListRuns(since=datetime(2026, 3, 1), until=datetime(2026, 3, 1, 0, 0, 1)))
    assert page.total == 1


def test_a_cursor_from_another_sort_or_garbage_is_refused():
    engine = engine_for("memory")
    ReadModelWriter(engine).apply_batch(messages([run_completed(f"r{i}") for i in range(3)]))
    with engine.connect() as conn:
        cursor = queries.list_runs(conn, ListRuns(limit=1)).next_cursor
        with pytest.raises(queries.InvalidQuery):
            queries.list_runs(conn, ListRuns(limit=1, cursor=cursor, sort="fill_rate"))
        with pytest.raises(queries.InvalidQuery):
            queries.list_runs(conn, ListRuns(cursor="not-a-cursor"))
        for value in (10**30, "2026", True, [1]):  # a cursor tampered with: no number SQLite binds
            with pytest.raises(queries.InvalidQuery, match="malformed cursor"):
                queries.list_runs(conn, ListRuns(cursor=queries.encode_cursor("duration_ms", "desc", value, "r1"),
                                                 sort="duration_ms"))


@pytest.mark.parametrize("query, total", [
    (ListRuns(), 4), (ListRuns(status="failed"), 1), (ListRuns(scenario_name="EU"), 3),
    (ListRuns(scenario_name="eu", status="succeeded"), 2), (ListRuns(scenario_name="nothing"), 0),
])
def test_totals_from_cached_counters_agree_with_the_rows(query, total):
    engine = engine_for("memory")
    events = [run_completed("r1", name="Base EU"), run_completed("r2", name="Peak EU"),
              run_failed("r3", name="peak eu"), run_completed("r4", name="US"), run_completed("r5", name="X"),
              run_deleted("r5")]
    ReadModelWriter(engine).apply_batch(messages(events))
    with engine.connect() as conn:
        assert queries.list_runs(conn, query).total == total


@pytest.mark.parametrize("offset, more", [(0, True), (5, True), (6, True), (7, False), (8, False), (12, False)])
def test_far_pages_read_from_the_end_still_say_whether_more_follow(offset, more):
    engine = engine_for("memory")
    ReadModelWriter(engine).apply_batch(messages([run_completed(f"r{i}", started=T0) for i in range(9)]))
    with engine.connect() as conn:
        page = queries.list_runs(conn, ListRuns(offset=offset, limit=2, order="asc"))
    assert [r.run_id for r in page.runs] == [f"r{i}" for i in range(9)][offset: offset + 2]
    assert (page.next_cursor is not None) == more


def test_a_plan_version_prefix_matches_the_ids_that_start_with_it_through_the_plan_index():
    engine = engine_for("memory")
    events = [run_completed("r1", pv="plan_c49a"), run_completed("r2", pv="plan_c49b"), run_completed("r3", pv="plan_d01"),
              run_completed("r4", pv="plan_c4")]
    ReadModelWriter(engine).apply_batch(messages(events))
    with engine.connect() as conn:
        found = {p: sorted(r.run_id for r in queries.list_runs(conn, ListRuns(plan_version_prefix=p)).runs)
                 for p in ("plan_c49", "plan_c4", "plan_d01", "plan_", "PLAN", "")}
        where = queries._run_filters(ListRuns(plan_version_prefix="plan_c49"), None)
        count = select(func.count()).select_from(queries.runs).where(*where).compile(
            dialect=engine.dialect, compile_kwargs={"literal_binds": True})
        plan = " ".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {count}"))
    assert found == {"plan_c49": ["r1", "r2"], "plan_c4": ["r1", "r2", "r4"], "plan_d01": ["r3"],
                     "plan_": ["r1", "r2", "r3", "r4"], "PLAN": [], "": ["r1", "r2", "r3", "r4"]}
    assert "ix_runs_plan_version_id (plan_version_id>? AND plan_version_id<?)" in plan
