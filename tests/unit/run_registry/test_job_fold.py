"""A batch's job changes summarized without the stored row, then merged with it, equal
applying them one by one (``advanced``)."""

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.events import FINAL_JOB_STATES, JobState, JobType
from services.run_registry.job_fold import advanced, merged, summarize
from services.run_registry.projections import AdvanceJob, _job

T0 = datetime(2025, 1, 1, tzinfo=UTC)
states = st.sampled_from([JobState.queued] * 3 + [JobState.running] * 3 + sorted(FINAL_JOB_STATES))
maybe_id = st.sampled_from([None, "a", "b"])


@st.composite
def changes(draw):  # type: ignore[no-untyped-def]
    at = T0 + timedelta(minutes=draw(st.integers(0, 100)))
    change: AdvanceJob = _job("job_1", JobType.simulation, draw(states), at, progress=draw(st.floats(0, 1)),
                              plan_version_id=draw(maybe_id), run_id=draw(maybe_id), step=draw(st.text(max_size=3)))
    return change.row


@st.composite
def stored_rows(draw):  # type: ignore[no-untyped-def]
    if draw(st.booleans()):
        return None
    row = dict(draw(changes()))
    row["state"] = str(row["state"])  # as read back from the table
    return row


def one_by_one(stored, rows):  # type: ignore[no-untyped-def]
    row = stored
    for change in rows:
        row = advanced(row, change)
    return row


def folded(stored, rows):  # type: ignore[no-untyped-def]
    return merged(stored, summarize(rows))


@settings(max_examples=300)
@given(stored_rows(), st.lists(changes(), min_size=1, max_size=12))
def test_a_summarized_batch_merged_with_the_stored_row_equals_each_change_in_turn(stored, rows):
    assert folded(stored, rows) == one_by_one(stored, rows)
    assert (folded(stored, rows) is stored) == (one_by_one(stored, rows) is stored)


@settings(max_examples=200)
@given(stored_rows(), st.lists(changes(), min_size=1, max_size=8), st.lists(changes(), min_size=1, max_size=8))
def test_batches_merged_one_after_the_other_equal_one_batch(stored, first, second):
    assert merged(folded(stored, first), summarize(second)) == one_by_one(stored, first + second)


def test_a_finished_job_keeps_its_row_and_running_never_goes_back_to_queued():
    done = dict(_job("job_1", JobType.planning, JobState.succeeded, T0, progress=1.0).row)
    later = [_job("job_1", JobType.planning, JobState.running, T0 + timedelta(1), progress=0.5).row]
    assert folded(done, later) is done
    running = _job("job_1", JobType.planning, JobState.running, T0, progress=0.2, plan_version_id="p").row
    queued = _job("job_1", JobType.planning, JobState.queued, T0 + timedelta(1), progress=0.0).row
    step = _job("job_1", JobType.planning, JobState.running, T0 + timedelta(2), progress=0.4).row
    row = folded(None, [running, queued, step])
    assert row is not None
    assert (row["state"], row["progress"], row["plan_version_id"], row["created_at"]) == ("running", 0.4, "p", T0)
