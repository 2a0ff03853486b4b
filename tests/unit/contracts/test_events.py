import json
import uuid
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from contracts import subjects
from contracts.events import (
    EVENT_TYPES,
    SUBJECT_OF,
    ArtifactRef,
    JobProgress,
    PlanCreated,
    RunCompleted,
    RunDeleted,
    RunSummary,
    UnknownEvent,
    UnknownSchemaVersion,
    decode,
    encode,
    subject_for,
)
from contracts.schema_gen import SCHEMA_DIR, event_schemas
from contracts.upcast import UPCASTERS, upcaster

REF = ArtifactRef(name="config", bucket="b", key="k", sha256="0" * 64, size=3)
SUMMARY = RunSummary(
    planning_days=10, fill_rate=0.9, store_demand_total=100, store_sales_total=90, customer_shortage_total=10,
    network_shortage_total=0, avg_on_hand_by_type={"store": 5}, backorder_peak=3, backorder_peak_day=4,
    revenue_total=900, cost_total=500, penalty_total=20, profit_total=400, profit_per_day_avg=40,
)


def plan_created() -> PlanCreated:
    return PlanCreated(correlation_id="plan_1", producer="test", plan_version_id="plan_1", config_version_id="cfg_1",
                       base_scenario_id="scn_1", scenario_name="Base", job_id="job_1", seed=7, config=REF,
                       simulation_job_id="job_2")


def test_every_event_round_trips_through_the_discriminated_union():
    event = plan_created()
    assert decode(encode(event)) == event
    completed = RunCompleted(
        correlation_id="job_2", producer="test", run_id="run_1", plan_version_id="plan_1", config_version_id="cfg_1",
        scenario_id="scn_1", scenario_name="Base", job_id="job_2", seed=7, started_at=datetime.now(UTC),
        finished_at=datetime.now(UTC), duration_ms=3.5, summary=SUMMARY, simulator_version="1", stub=True)
    assert decode(encode(completed)) == completed


def test_an_event_read_from_an_event_subject_must_be_of_that_subjects_type():
    event = plan_created()
    assert decode(encode(event), subjects.PLAN_CREATED) == event
    assert decode(encode(event)) == event
    assert decode(encode(event), "scpln.events.nope") == event  # a subject outside the contract says nothing
    with pytest.raises(UnknownEvent, match="a PlanCreated on scpln.events.run.completed; its subject is"):
        decode(encode(event), subjects.RUN_COMPLETED)
    with pytest.raises(ValidationError):
        decode(b'{"event_type": "Nope"}', subjects.PLAN_CREATED)


def test_every_event_type_has_exactly_one_subject_under_the_events_prefix():
    assert {m.model_fields["event_type"].default for m in EVENT_TYPES} == set(SUBJECT_OF)
    assert len(set(SUBJECT_OF.values())) == len(SUBJECT_OF)
    assert all(s.startswith(subjects.EVENTS_PREFIX + ".") for s in SUBJECT_OF.values())
    assert subject_for(plan_created()) == f"{subjects.PLAN_CREATED}.plan_1"  # a fact about a plan names the plan


def test_facts_about_an_aggregate_are_stored_per_aggregate_and_read_from_either_subject():
    created = plan_created()
    assert subjects.type_subject(subject_for(created)) == subjects.PLAN_CREATED
    assert decode(encode(created), subject_for(created)) == created
    assert decode(encode(created), subjects.PLAN_CREATED) == created  # stored before ids were in subjects
    assert subjects.aggregate_filter(subjects.PLAN_CREATED, "plan_1") == "scpln.events.plan.*.plan_1"
    assert subjects.subject_token("legacy scenario.7").startswith("h")  # no dot or space inside a token


def test_envelope_carries_ids_version_and_time():
    event = plan_created()
    assert isinstance(event.event_id, uuid.UUID)
    assert event.schema_version == 3 and event.occurred_at.tzinfo is not None  # PlanCreated is at schema 3


def test_events_are_frozen_and_reject_unknown_fields():
    event = plan_created()
    with pytest.raises(ValidationError):
        event.seed = 3  # type: ignore[misc]
    raw = json.loads(encode(event))
    raw["surprise"] = 1
    with pytest.raises(ValidationError):
        decode(json.dumps(raw))


def test_job_progress_is_bounded_and_typed():
    with pytest.raises(ValidationError):
        JobProgress(correlation_id="j", producer="t", job_id="j", job_type="planning", state="queued", progress=1.5)
    with pytest.raises(ValidationError):
        JobProgress(correlation_id="j", producer="t", job_id="j", job_type="cooking", state="queued", progress=0)


def test_unknown_event_types_and_non_objects_are_refused():
    with pytest.raises(ValidationError):
        decode(b'{"event_type": "Nope"}')
    with pytest.raises(ValueError):
        decode(b"[1, 2]")
    assert issubclass(UnknownEvent, ValueError)


@pytest.mark.parametrize("version", [99, 2, 0])
@pytest.mark.parametrize("subject", [subjects.RUN_DELETED, None])
def test_a_schema_version_the_reader_does_not_know_is_refused_not_read_as_its_own(version, subject):
    raw = json.loads(encode(ev_run_deleted()))
    raw["schema_version"] = version
    with pytest.raises(UnknownSchemaVersion, match=f"RunDeleted schema_version {version} is unknown to this reader "
                                                   r"\(it reads version 1\)") as refused:
        decode(json.dumps(raw).encode(), subject)
    assert isinstance(refused.value, UnknownEvent | ValueError)
    assert (refused.value.event_type, refused.value.version, refused.value.known) == ("RunDeleted", version, 1)
    with pytest.raises(ValidationError):  # the models themselves hold only their own version
        RunDeleted.model_validate(raw)


def test_every_event_type_reads_exactly_its_own_schema_version():
    for model in EVENT_TYPES:
        field = model.model_fields["schema_version"]  # declared with envelope.schema_version_field(version)
        lowest = [m.ge for m in field.metadata if hasattr(m, "ge")]
        highest = [m.le for m in field.metadata if hasattr(m, "le")]
        assert lowest == highest == [field.default], model.__name__


def test_a_schema_version_error_is_told_apart_from_an_invalid_event_of_a_known_version():
    raw = json.loads(encode(ev_run_deleted()))
    del raw["run_id"]
    with pytest.raises(ValidationError):
        decode(json.dumps(raw).encode())
    raw["schema_version"] = 2  # another version: not judged by version 1's required fields
    with pytest.raises(UnknownSchemaVersion):
        decode(json.dumps(raw).encode())


def test_with_upcasters_registered_a_current_event_is_read_straight_from_bytes(monkeypatch):
    import contracts.events

    monkeypatch.setitem(UPCASTERS, ("RunDeleted", 0), lambda raw: raw | {"schema_version": 1})
    monkeypatch.setattr(contracts.events, "upcast_json", lambda data: pytest.fail("upcast a current event"))
    current = ev_run_deleted()
    assert decode(encode(current), subjects.RUN_DELETED) == current
    assert decode(encode(current)) == current


def ev_run_deleted() -> RunDeleted:
    return RunDeleted(correlation_id="run_1", producer="test", run_id="run_1", deleted_by="ana")


def test_old_schema_versions_are_upcast_by_pure_functions():
    @upcaster("RunDeleted", 0)
    def add_deleted_by(raw: dict) -> dict:
        upgraded = {k: v for k, v in raw.items() if k != "by"}
        return {**upgraded, "schema_version": 1, "deleted_by": raw.get("by", "")}

    try:
        old = {"event_type": "RunDeleted", "schema_version": 0, "correlation_id": "r", "producer": "p",
               "run_id": "run_1", "by": "ana", "event_id": str(uuid.uuid4()), "occurred_at": "2025-01-01T00:00:00Z"}
        event = decode(json.dumps(old))
        assert event.deleted_by == "ana" and event.schema_version == 1
        assert decode(json.dumps(old).encode(), subjects.RUN_DELETED) == event  # from bytes, on its subject
        with pytest.raises(UnknownSchemaVersion):  # upcasting on, a version no upcaster knows is still refused
            decode(json.dumps(old | {"schema_version": 7}))
    finally:
        UPCASTERS.pop(("RunDeleted", 0))
    with pytest.raises(UnknownSchemaVersion):  # no upcaster for version 0 any more
        decode(json.dumps(old))


def test_checked_in_json_schemas_match_the_models():
    """Fails when a model changes without `make schemas` (the schemas are the public contract)."""
    generated = event_schemas()
    on_disk = {p.name: p.read_text() for p in SCHEMA_DIR.glob("*.json")}
    assert set(on_disk) == set(generated), "run `make schemas`"
    for name, text in generated.items():
        assert on_disk[name] == text, f"{name} drifted from its model: run `make schemas`"
