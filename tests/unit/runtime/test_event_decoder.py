"""A subscriber's typed event parameter: the message decoded by the contracts, or an
``Undecodable`` marker for what is no event of its subject (dropped and counted, never raised)."""

import logging
from types import SimpleNamespace

from prometheus_client import REGISTRY

from contracts import subjects
from contracts.events import JobCancelled, JobType, PlanRequested, encode, subject_for
from runtime.event_decoder import Undecodable, dropped, event_decoder


def _request() -> PlanRequested:
    return PlanRequested(correlation_id="job_1", producer="plan_service", plan_version_id="plan_1",
                         config_version_id="cfg_1", base_scenario_id="scn_1", scenario_name="base", job_id="job_1", seed=1)


def _message(body: bytes, subject: str, reply: str = "$JS.ACK.SCPLN_EVENTS.c.1.42.42.1700000000000000000.0"):  # type: ignore[no-untyped-def]
    from nats.aio.msg import Msg

    return SimpleNamespace(body=body, raw_message=Msg(_client=None, subject=subject, reply=reply, data=body))  # type: ignore[arg-type]


def test_an_event_on_its_subject_is_decoded() -> None:
    event = _request()
    assert event_decoder(_message(encode(event), subject_for(event))) == event


def test_what_is_no_event_of_its_subject_is_an_undecodable_marker_with_its_sequence() -> None:
    other = JobCancelled(correlation_id="job_1", producer="plan_service", job_id="job_1", job_type=JobType.planning)
    on_plan_subject = subjects.aggregate_subject(subjects.PLAN_REQUESTED, "plan_1")
    for body in (b"not json", b"{}", encode(other)):
        marker = event_decoder(_message(body, on_plan_subject))
        assert isinstance(marker, Undecodable) and (marker.subject, marker.seq) == (on_plan_subject, 42)
        assert marker.why
    assert event_decoder(_message(b"[]", on_plan_subject, reply="")).seq is None  # type: ignore[union-attr]


def test_a_dropped_message_is_counted_per_subscriber() -> None:
    def count() -> float:
        return REGISTRY.get_sample_value("subscriber_messages_undecodable_total", {"subscriber": "test_sub"}) or 0.0

    before = count()
    dropped(Undecodable("s", 3, "why"), "test_sub", logging.getLogger("test"))
    assert count() == before + 1
