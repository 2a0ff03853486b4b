"""A subscriber's typed event parameter: the message decoded by the contracts; what is no event of
its subject is dropped by the decoder (logged, counted, acknowledged), never handed on."""

import logging
from types import SimpleNamespace

import pytest
from faststream.exceptions import AckMessage
from nats.aio.msg import Msg
from prometheus_client import REGISTRY

from contracts import subjects
from contracts.events import JobCancelled, JobType, PlanRequested, encode, subject_for
from runtime.event_decoder import event_decoder

decoder = event_decoder("test_sub", logging.getLogger("test"))


def _request() -> PlanRequested:
    return PlanRequested(correlation_id="job_1", producer="plan_service", plan_version_id="plan_1",
                         config_version_id="cfg_1", base_scenario_id="scn_1", scenario_name="base", job_id="job_1", seed=1)


def _message(body: bytes, subject: str, reply: str = "$JS.ACK.SCPLN_EVENTS.c.1.42.42.1700000000000000000.0"):  # type: ignore[no-untyped-def]
    return SimpleNamespace(body=body, raw_message=Msg(_client=None, subject=subject, reply=reply, data=body))  # type: ignore[arg-type]


def _dropped() -> float:
    return REGISTRY.get_sample_value("subscriber_messages_undecodable_total", {"subscriber": "test_sub"}) or 0.0


def test_an_event_on_its_subject_is_decoded() -> None:
    event = _request()
    assert decoder(_message(encode(event), subject_for(event))) == event


def test_what_is_no_event_of_its_subject_is_acknowledged_and_counted_never_returned(caplog) -> None:  # type: ignore[no-untyped-def]
    other = JobCancelled(correlation_id="job_1", producer="plan_service", job_id="job_1", job_type=JobType.planning)
    on_plan_subject = subjects.aggregate_subject(subjects.PLAN_REQUESTED, "plan_1")
    before = _dropped()
    for body, reply in ((b"not json", "$JS.ACK.SCPLN_EVENTS.c.1.42.42.1700000000000000000.0"), (b"{}", ""),
                        (encode(other), "")):
        with pytest.raises(AckMessage):
            decoder(_message(body, on_plan_subject, reply))
    assert _dropped() == before + 3
    assert "seq 42 on scpln.events.plan.requested.plan_1" in caplog.text
