"""Planner-grade pages: periods as dates, a plan's artifacts as grids (searched and paged on the
server), its runs a page at a time and fetched again live, a job page with its steps and messages,
a plan version prefix in the run history, and an aggregate job from a plan version alone."""

import json
import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from contracts import queries as q
from contracts import subjects
from contracts.canonical import CanonicalConfig
from contracts.commands import AggregateAccepted, ErrorReply
from contracts.events import ArtifactRef
from services.plan_service.domain.pipeline import run_pipeline
from services.ui_gateway.periods import Period, span_label
from services.ui_gateway.plan_views import aggregate_grid, cell, mrp_grid, page
from tests.unit.ui_gateway.fakes import T0, job_row, plan_row, run_row, runs_of

SAMPLES = Path(__file__).resolve().parents[3] / "samples"
JAN_1 = date(2025, 1, 1)


@pytest.mark.parametrize("first, last, label", [
    (32, 59, "Feb 2025"), (15, 21, "15–21 Jan 2025"), (5, 5, "5 Jan 2025"), (29, 35, "29 Jan – 4 Feb 2025"),
    (362, 368, "28 Dec 2025 – 3 Jan 2026"), (1, 90, "1 Jan – 31 Mar 2025"),
])
def test_a_span_of_days_is_told_as_dates_from_the_start_date(first, last, label):
    assert Period("X", first, last, JAN_1).label() == label


def test_a_month_of_a_plan_that_starts_mid_month_is_a_date_range():
    m2 = Period("M2", 32, 59, date(2025, 1, 15))
    assert (m2.label(), m2.title) == ("15 Feb – 14 Mar 2025", "M2: 2025-02-15 – 2025-03-14 (days 32–59)")
    assert span_label(date(2025, 2, 1), date(2025, 2, 28), year=False) == "Feb"


@pytest.mark.parametrize("value, kind, text", [
    (None, "qty", "–"), (0.0, "qty", "0"), (998.064516, "qty", "998"), (65.483871, "qty", "65.5"),
    (0.333, "qty", "0.33"), (53039.99999, "qty", "53,040"), (0.7253, "pct", "72.5%"), (-0.001, "qty", "0"),
])
def test_grid_cells_are_rounded_for_reading(value, kind, text):
    assert cell(value, kind) == text


def pipeline_artifacts() -> dict[str, dict]:
    config = CanonicalConfig.model_validate(json.loads((SAMPLES / "medium.json").read_text()))
    return json.loads(json.dumps(run_pipeline(config, options={}).artifacts))


@pytest.fixture()
def planned(bus):  # type: ignore[no-untyped-def]
    """plan_1 with the artifacts the planning pipeline makes of the medium sample."""
    refs = []
    for name, doc in pipeline_artifacts().items():
        key = f"plan_1/{name}.json"
        bus.objects[(subjects.ARTIFACTS_BUCKET, key)] = json.dumps(doc).encode()
        refs.append(ArtifactRef(name=name, bucket=subjects.ARTIFACTS_BUCKET, key=key, sha256="d" * 64, size=100))
    plan = plan_row(artifacts=refs)
    bus.replies[subjects.QRY_PLAN_GET] = lambda r: q.PlanDetail(plan=plan, runs=[run_row()])
    return bus


def test_the_plans_artifacts_are_grids_with_dates_as_columns_and_their_downloads(client, planned):
    page_ = client.get("/ui/plans/plan_1")
    assert page_.status_code == 200
    text = page_.text
    for name, title in (("aggregate", "Aggregate PSI"), ("plan_final", "Detail PSI"), ("mrp", "MRP per item"),
                        ("reconcile", "Load against capacity"), ("allocate", "Allocation to items")):
        view = re.search(rf'<div class="grid-view" id="view-{name}".*?</table>', text, re.DOTALL)
        assert view, name
        assert f'<a href="/ui/plans/plan_1/artifacts/{name}" download>download JSON</a>' in text
        assert f"<strong>{title}</strong>" in text
    aggregate = re.search(r'id="view-aggregate".*?</table>', text, re.DOTALL).group(0)
    assert re.findall(r'<th scope="col" title="(M\d): [^"]+">([^<]+)<small>', aggregate) == [
        ("M1", "Jan 2025"), ("M2", "Feb"), ("M3", "Mar")]
    assert [m for m in re.findall(r'<th class="sticky" scope="row">([^<]+)</th>', aggregate)] == [
        "demand", "capacity", "supply", "backlog"]
    detail = re.search(r'id="view-plan_final".*?</table>', text, re.DOTALL).group(0)
    assert 'title="W1: 2025-01-01 – 2025-01-07 (days 1–7)">1–7 Jan 2025<small>W1</small>' in detail
    assert 'title="W5: 2025-01-29 – 2025-02-04 (days 29–35)">29 Jan – 4 Feb<small>W5</small>' in detail
    assert '<tbody class="family" data-search="fam1' in detail and '<tbody class="item" data-search="p1 fam1' in detail
    assert {"demand", "supply", "backlog", "on hand"} <= set(re.findall(r'scope="row">([^<]+)</th>', detail))
    mrp = re.search(r'id="view-mrp".*?</table>', text, re.DOTALL).group(0)
    assert {"gross requirements", "on hand", "net requirements", "planned releases"} <= set(
        re.findall(r'scope="row">([^<]+)</th>', mrp))
    assert 'id="plan-horizon">1 Jan – 31 Mar 2025 (90 days)</td>' in text
    assert '<span class="tag" title="M2: 2025-02-01 – 2025-02-28 (days 32–59)">Feb 2025</span>' in text
    assert '<script src="/static/grids.js"></script>' in text


def big_mrp(items: int) -> dict:
    weeks = [{"label": f"W{k + 1}", "first_day": 7 * k + 1, "last_day": 7 * k + 7} for k in range(3)]
    zero = [[0.0, 0.0, 0.0] for _ in range(items)]
    return {"step": "mrp", "weeks": weeks, "items": [{"item": f"SKU{k:03d}", "lead_time_weeks": 1} for k in range(items)],
            **{key: zero for key in ("gross_requirements", "scheduled_receipts", "net_requirements", "planned_receipts",
                                     "planned_releases", "projected_on_hand")}}


def test_a_grid_is_searched_and_paged_on_the_server_keeping_the_pages_other_places(client, bus):
    bus.objects[(subjects.ARTIFACTS_BUCKET, "plan_1/mrp.json")] = json.dumps(big_mrp(45)).encode()
    ref = ArtifactRef(name="mrp", bucket=subjects.ARTIFACTS_BUCKET, key="plan_1/mrp.json", sha256="d" * 64, size=1)
    bus.replies[subjects.QRY_PLAN_GET] = lambda r: q.PlanDetail(plan=plan_row(artifacts=[ref]), runs=[])
    first = client.get("/ui/plans/plan_1?runs_page=1").text
    assert first.count('<tbody class="item" data-search="sku') == 20 and "page 1 of 3" in first
    assert 'href="?runs_page=1&amp;mrp_page=2#view-mrp" rel="next"' in first
    last = client.get("/ui/plans/plan_1?mrp_page=3").text
    assert last.count('<tbody class="item"') == 5 and 'data-search="sku044' in last
    found = client.get("/ui/plans/plan_1?mrp_q=sku01&runs_page=2").text
    assert found.count('<tbody class="item"') == 10 and "10 match “sku01”" in found
    assert '<input type="hidden" name="runs_page" value="2">' in found, "the search form keeps the page's place"
    assert re.search(r'<details class="card artifact" id="artifact-mrp" open>', found)
    none = client.get("/ui/plans/plan_1?mrp_q=nothing").text
    assert "Nothing matches “nothing”." in none


def test_paging_a_grid_alone():
    grid = mrp_grid(big_mrp(45), JAN_1)
    assert grid is not None
    assert [(p.page, p.pages, p.count) for p in (page(grid), page(grid, "", 3), page(grid, "", 99))] == [
        (1, 3, 20), (3, 3, 5), (3, 3, 5)]
    assert page(grid, "SKU04").matched == 5


def test_a_document_of_another_layout_is_still_shown_as_tables(client):
    page_ = client.get("/ui/plans/plan_1").text  # the fake's aggregate artifact has rows but no periods
    assert 'id="view-aggregate"' not in page_ and "<h3>rows</h3>" in page_
    assert aggregate_grid({"rows": []}, JAN_1) is None


def test_the_plan_page_lists_its_runs_a_page_at_a_time_and_follows_them_live(client, bus):
    runs = [run_row(f"run_{k:02d}", started_at=T0 - timedelta(minutes=k)) for k in range(45)]
    bus.replies[subjects.QRY_RUNS_LIST] = lambda r: runs_of(r, runs)
    text = client.get("/ui/plans/plan_1?runs_page=2").text
    query = bus.requests(subjects.QRY_RUNS_LIST)[-1]
    assert (query.plan_version_id, query.limit, query.offset) == ("plan_1", 20, 20)
    section = re.search(r'<section id="plan-runs-section"(.*?)>(.*?)</section>', text, re.DOTALL)
    attributes, body = section.groups()
    assert 'data-live-src="/ui/plans/plan_1/runs"' in attributes and 'data-live-plan="plan_1"' in attributes
    assert 'data-live-after="7"' in attributes
    assert re.findall(r'data-live-key="(run_\d+)"', body) == [f"run_{k:02d}" for k in range(20, 40)]
    assert "21–40 of 45" in body and 'href="?runs_page=1#plan-runs-section" rel="prev"' in body
    assert 'href="?runs_page=3#plan-runs-section" rel="next"' in body
    assert '<script src="/static/fragments.js"></script>' in text
    fragment = client.get("/ui/plans/plan_1/runs?runs_page=3&min_seq=12")
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert re.findall(r'data-live-key="(run_\d+)"', fragment.text) == [f"run_{k:02d}" for k in range(40, 45)]
    assert bus.requests(subjects.QRY_RUNS_LIST)[-1].min_seq == 12, "as new as the event that ended the run"


def test_the_job_page_shows_the_steps_their_durations_and_the_messages(client, bus):
    steps = [q.JobStep(step="queued", first="", last="", state="queued", progress=0, started_at=T0,
                       ended_at=T0 + timedelta(seconds=2), duration_ms=2000, reports=1),
             q.JobStep(step="day", first="day 1/90", last="day 90/90", state="succeeded", progress=1,
                       started_at=T0 + timedelta(seconds=2), ended_at=T0 + timedelta(seconds=9), duration_ms=7000,
                       reports=4, message="run completed")]
    messages = [q.JobMessage(at=T0 + timedelta(seconds=9), state="succeeded", step="done", message="run completed"),
                q.JobMessage(at=T0 + timedelta(seconds=30), state="failed", step="day 90/90", message="late",
                             after_end=True)]
    bus.replies[subjects.QRY_JOB_GET] = q.JobDetail(job=job_row(job_id="job_sim", job_type="simulation",
                                                                state="succeeded", progress=1.0),
                                                    steps=steps, messages=messages, messages_total=2)
    text = client.get("/ui/jobs/job_sim").text
    assert bus.requests(subjects.QRY_JOB_GET)[-1].history is True
    steps_html = re.search(r'id="job-steps".*?</table>', text, re.DOTALL).group(0)
    assert re.findall(r'<tr data-step="([^"]+)">', steps_html) == ["queued", "day"]
    assert "day 1/90 → day 90/90" in steps_html and "2.00 s" in steps_html and "7.00 s" in steps_html
    assert "From its request to its end: 9.00 s." in text
    assert "(after the job had ended: it changed nothing)" in text
    assert 'data-live-src="/ui/jobs/job_sim/history" data-live-job="job_sim"' in text
    fragment = client.get("/ui/jobs/job_sim/history?min_seq=9")
    assert fragment.status_code == 200 and 'id="job-steps"' in fragment.text and "<html" not in fragment.text
    assert client.get("/jobs/job_sim").json()["steps"][1]["duration_ms"] == 7000


def test_the_jobs_table_has_its_actions_in_a_column_of_their_own_at_the_right(client, bus):
    bus.replies[subjects.QRY_JOBS_LIST] = q.JobsPage(jobs=[job_row(state="queued")], total=1, last_seq=7)
    text = client.get("/ui/jobs").text
    header = re.search(r'<table class="data live-jobs".*?</thead>', text, re.DOTALL).group(0)
    assert re.findall(r"<th[^>]*>([^<]+)", header)[:5] == ["Job · type", "State · progress", "Plan · run", "Times ",
                                                            "Message"]
    row = re.search(r'<tr data-job-id="job_plan".*?</tr>', text, re.DOTALL).group(0)
    assert row.count("<td") == 6 and re.search(r'<td data-field="actions" class="actions-cell">.*Cancel.*Retry', row,
                                                re.DOTALL)


def test_an_aggregate_job_from_a_plan_version_alone_says_which_run_it_took(client, bus):
    bus.replies[subjects.CMD_AGGREGATE] = AggregateAccepted(
        job_id="job_agg", run_id="run_new", plan_version_id="plan_1", latest=True,
        message="Aggregating run run_new, the latest succeeded run of plan plan_1 by week and item.")
    answer = client.post("/jobs/aggregate", json={"plan_version_id": "plan_1", "bucket": "week", "group_by": "item"})
    assert answer.status_code == 202
    assert answer.json() | {"message": ""} == {"job_id": "job_agg", "run_id": "run_new", "plan_version_id": "plan_1",
                                              "latest": True, "message": ""}
    sent = bus.requests(subjects.CMD_AGGREGATE)[-1]
    assert (sent.run_id, sent.plan_version_id) == (None, "plan_1")
    refused = client.post("/jobs/aggregate", json={"bucket": "week"})
    assert refused.status_code == 422 and "give a run_id, or a plan_version_id" in refused.text
    form = client.post("/ui/jobs/aggregate", data={"plan_version_id": "plan_1", "run_id": "", "bucket": "month",
                                                   "group_by": "family"}, follow_redirects=False)
    assert form.headers["location"] == "/ui/jobs?created=job_agg&plan=plan_1&aggregated=run_new&latest=true"
    shown = client.get(form.headers["location"]).text
    banner = re.search(r'id="aggregated-run">(.*?)</span>', shown, re.DOTALL).group(1)
    assert "run_new" in banner and "the plan's latest succeeded run" in banner


def test_the_plan_page_aggregates_its_latest_run_in_one_click(client, bus):
    form = re.search(r'<form method="post" action="/ui/jobs/aggregate"[^>]*id="aggregate-latest">(.*?)</form>',
                     client.get("/ui/plans/plan_1").text, re.DOTALL).group(1)
    assert '<input type="hidden" name="plan_version_id" value="plan_1">' in form and 'name="run_id"' not in form
    bus.replies[subjects.CMD_AGGREGATE] = ErrorReply(error="validation_failed",
                                                     message="plan plan_1 has no succeeded run to aggregate yet")
    refused = client.post("/ui/jobs/aggregate", data={"plan_version_id": "plan_1"})
    assert refused.status_code == 422 and "no succeeded run to aggregate yet" in refused.text


def test_a_plan_version_is_found_by_its_first_characters(client, bus):
    client.get("/ui/runs?plan_version_id=plan_c4")
    assert bus.requests(subjects.QRY_RUNS_LIST)[-1].plan_version_prefix == "plan_c4"
    client.get("/runs?plan_version_prefix=plan_c4&status=succeeded")
    sent = bus.requests(subjects.QRY_RUNS_LIST)[-1]
    assert (sent.plan_version_prefix, sent.plan_version_id, sent.status) == ("plan_c4", None, "succeeded")
    assert 'placeholder="starts with plan_…"' in client.get("/ui/runs").text
