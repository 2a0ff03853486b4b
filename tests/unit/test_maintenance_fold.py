"""The fold of maintenance mode (runtime.maintenance) that plan_service, the gateway and
`scpln maintenance status` share."""

from types import SimpleNamespace

from contracts import subjects
from contracts.events import MaintenanceEnded, MaintenanceStarted, ScenarioCreated, encode
from runtime.maintenance import Maintenance, apply_message


def started(message: str, by: str = "olga") -> MaintenanceStarted:
    return MaintenanceStarted(message=message, by=by, correlation_id="maintenance", producer="test")


def ended(by: str = "olga") -> MaintenanceEnded:
    return MaintenanceEnded(by=by, correlation_id="maintenance", producer="test")


def test_on_then_a_new_message_then_off_and_an_end_while_off_changes_nothing():
    state = Maintenance()
    assert state.refusal("new plans") is None and state.status().since is None
    first = started("restoring")
    state.apply(first, 3)
    state.apply(started("still restoring", "pavel"), 5)
    assert (state.on, state.message, state.by, state.since, state.last_seq) == (
        True, "still restoring", "pavel", first.occurred_at, 5)
    refusal = state.refusal("new plans")
    assert refusal is not None and refusal.error == "maintenance"
    assert refusal.message.startswith("maintenance: still restoring (new plans are paused")
    end = ended()
    state.apply(end, 8)
    assert (state.on, state.message, state.since, state.by) == (False, "", end.occurred_at, "olga")
    state.apply(ended("someone"), 9)
    assert state.by == "olga" and state.last_seq == 9
    state.apply(ScenarioCreated(scenario_id="s", name="S", correlation_id="s", producer="test"), 10)
    assert not state.on and state.last_seq == 10


def message(data: bytes, subject: str, seq: int) -> SimpleNamespace:
    return SimpleNamespace(data=data, subject=subject, metadata=SimpleNamespace(sequence=SimpleNamespace(stream=seq)))


def test_a_message_that_is_no_maintenance_fact_is_skipped_and_passed():
    state = Maintenance()
    apply_message(state, message(b"not json", subjects.MAINTENANCE_STARTED, 4))
    assert not state.on and state.last_seq == 4
    apply_message(state, message(encode(started("restoring")), subjects.MAINTENANCE_STARTED, 6))
    assert state.on and state.last_seq == 6
