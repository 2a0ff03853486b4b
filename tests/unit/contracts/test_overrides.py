"""The override contracts: typed and checked, described for a person; the bucket forms they write;
scenario and plan events of schema 1 upcast to schemas without overrides."""

import json

import pytest
from pydantic import TypeAdapter, ValidationError

from contracts.buckets import BucketError, day_range, range_bucket, shift_bucket
from contracts.events import PlanRequested, ScenarioUpdated, decode, encode
from contracts.overrides import Overrides

OVERRIDES = TypeAdapter(Overrides)


@pytest.mark.parametrize("raw, problem", [
    ({"type": "demand_scale"}, "Field required"),
    ({"type": "demand_shift"}, "give exactly one of days or periods"),
    ({"type": "demand_shift", "days": 0}, "give exactly one of days or periods"),
    ({"type": "lead_time_change", "days": 2, "delta": 1}, "not days and delta"),
    ({"type": "lead_time_change", "arc": {"from_node": "A", "to_node": "B"}, "node": "B", "days": 1},
     "give arc or node, not both"),
    ({"type": "capacity_scale", "factor": 2, "item": "P1", "to": "2025-02-01"}, "an item's production capacity has no dates"),
    ({"type": "cost_change", "cost": "unit_cost", "node": "F1", "factor": 2}, "unit_cost is per item"),
    ({"type": "cost_change", "cost": "transport", "item": "P1", "factor": 2}, "transport cost is per arc"),
    ({"type": "opening_inventory", "quantity": 1, "factor": 2}, "not quantity and factor"),
    ({"type": "demand_scale", "factor": 1, "from": "2025-03-01", "to": "2025-02-01"}, "from (2025-03-01) is after to"),
    ({"type": "demand_scale", "factor": float("inf")}, "finite number"),
])
def test_a_bad_override_is_refused_saying_why(raw, problem):
    with pytest.raises(ValidationError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        OVERRIDES.validate_python([raw])


def test_overrides_read_back_as_written_with_from_as_its_name():
    raw = [{"type": "demand_scale", "factor": 1.5, "family": "FAM1", "from": "2025-02-01"},
           {"type": "lead_time_change", "arc": {"from_node": "F1", "to_node": "W1"}, "delta": -1}]
    read = OVERRIDES.validate_python(raw)
    assert OVERRIDES.dump_python(read, mode="json", exclude_none=True) == raw
    assert [(o.where(), o.change()) for o in read] == [
        ("family FAM1, 2025-02-01 – …", "demand × 1.5 (+50%)"), ("arc F1 → W1", "lead time -1 days")]


def test_a_range_bucket_covers_from_its_first_buckets_first_day_to_its_second_buckets_last():
    assert tuple(day_range("2025-02-10..2025-02-20")) == (41, 51)
    assert tuple(day_range("M1..W6")) == (1, 42)
    assert day_range(range_bucket(-3, 2)) == (-3, 2)
    for bad in ("2025-02-20..2025-02-10", "D1..D2..D3", "D1.."):
        with pytest.raises(BucketError):
            day_range(bad)


@pytest.mark.parametrize("bucket, periods, moved", [
    ("D3", 2, "D5"), ("W2", 1, "W3"), ("M1", 1, "M2"), ("M12", -11, "M1"), ("2025-12", 1, "2026-01"),
    ("2025-W52", 1, "2026-W01"), ("2025-01-31", 1, "2025-02-01"), ("M1", -1, "2024-12-01..2024-12-31"),
    ("2025-02-10..2025-02-20", 1, "2025-02-21..2025-03-03"),
])
def test_a_bucket_shifts_by_its_own_length(bucket, periods, moved):
    assert shift_bucket(bucket, periods) == moved


def test_scenario_and_plan_events_of_schema_1_read_as_holding_no_overrides():
    updated = ScenarioUpdated(correlation_id="s", producer="t", scenario_id="s", name="S",
                              overrides=[{"type": "demand_scale", "factor": 2}])
    requested = PlanRequested(correlation_id="p", producer="t", plan_version_id="p", config_version_id="c",
                              base_scenario_id="s", scenario_name="S", job_id="j", seed=1)
    for event in (updated, requested):
        raw = json.loads(encode(event))
        raw.pop("overrides")
        raw["schema_version"] = 1
        old = decode(json.dumps(raw).encode())
        assert old.overrides == [] and old.schema_version == event.schema_version  # type: ignore[union-attr]
    assert decode(encode(updated)).overrides[0].factor == 2  # type: ignore[union-attr]
