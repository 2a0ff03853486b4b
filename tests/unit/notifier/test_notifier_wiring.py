"""The notifier's broker as ``main`` wires it (``app.wire``), driven through faststream's
``TestNatsBroker`` with a fake receiver: the status query and its typed refusal, an event
delivered to its receiver and acknowledged, a failed delivery handed back with the backoff's
wait, a poison message acknowledged and counted without a POST."""

import json
import logging
from datetime import UTC, datetime

import pytest
from faststream.nats import TestNatsBroker
from faststream.nats.testing import PatchedMessage
from prometheus_client import REGISTRY

from contracts import events as ev
from contracts import subjects
from contracts.commands import ErrorReply, parse_reply
from contracts.notifications import NOTIFIER_DURABLES, NotifierStatus, NotifierStatusQuery
from contracts.run_meta import RunApproved
from runtime import bus, rpc
from runtime.outage import OutageLog
from services.notifier import payload
from services.notifier.app import asyncapi_broker, make_ports, wire
from services.notifier.settings import Settings
from services.notifier.slots import assign
from tests.unit.notifier.test_notifier import FakeSender

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
URL = "http://127.0.0.1:9/hook?token=abc"


def approved(run_id: str = "r1") -> RunApproved:
    return RunApproved(run_id=run_id, scenario_id="s1", approved_by="ann", correlation_id=run_id, producer="t")


def ack_subject(durable: str, sequence: int, attempt: int) -> str:
    """Where JetStream says a message of a consumer came from (what ``msg.metadata`` reads)."""
    return f"$JS.ACK.{subjects.STREAM_NAME}.{durable}.{attempt}.{sequence}.{sequence}.1772355600000000000.0"


@pytest.fixture()
def settled(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, float | None]]:
    """How each message handed to a subscriber was settled: (how, subject, delay)."""
    calls: list[tuple[str, str, float | None]] = []

    async def ack(self: PatchedMessage) -> None:
        calls.append(("ack", self.subject, None))

    async def nak(self: PatchedMessage, delay: float | None = None) -> None:
        calls.append(("nak", self.subject, delay))

    async def term(self: PatchedMessage) -> None:
        calls.append(("term", self.subject, None))

    for name, method in (("ack", ack), ("nak", nak), ("term", term)):
        monkeypatch.setattr(PatchedMessage, name, method)
    return calls


def notifier(sender: FakeSender, pending: dict[str, int | None] | None = None):  # type: ignore[no-untyped-def]
    settings = Settings(nats_url="nats://127.0.0.1:4222", notify_webhook_urls=URL, notify_webhook_secret="k",
                        notify_events="run_approved,run_completed", notify_retry_base_s=2, notify_timeout_s=1)
    broker = bus.broker(settings.nats_url, OutageLog(logging.getLogger("test")), name="notifier")
    ports = make_ports(settings, sender)
    ports.now = lambda: T0

    async def backlog() -> dict[str, int | None]:
        return pending or {}

    wire(broker, assign(settings.receivers, dict.fromkeys(NOTIFIER_DURABLES)), ports, settings, backlog)
    return broker, ports


async def test_the_status_query_answers_typed_and_a_body_it_refuses_gets_a_validation_reply() -> None:
    broker, _ = notifier(FakeSender(), pending={"notifier_1": 3})
    async with TestNatsBroker(broker) as br:
        status = await rpc.ask(br, subjects.QRY_NOTIFIER_STATUS, NotifierStatusQuery(), NotifierStatus)
        refused = parse_reply((await br.request(b"not json", subjects.QRY_NOTIFIER_STATUS)).body, NotifierStatus)
    assert isinstance(status, NotifierStatus)
    assert status.signed and status.events == ["run_approved", "run_completed"]
    assert [(r.durable, r.receiver, r.pending) for r in status.receivers] == [
        ("notifier_1", "http://127.0.0.1:9/hook", 3)]
    assert isinstance(refused, ErrorReply) and refused.error == "validation_failed"


async def test_an_event_is_posted_signed_to_its_receiver_and_acknowledged(settled) -> None:  # type: ignore[no-untyped-def]
    sender = FakeSender(204)
    broker, ports = notifier(sender)
    event = approved()
    async with TestNatsBroker(broker) as br:
        await br.publish(ev.encode(event), ev.subject_for(event), reply_to=ack_subject("notifier_1", 42, 1))
    [(url, body, headers)] = sender.posts
    sent = json.loads(body)
    assert url == URL and (sent["event"], sent["run_id"], sent["sequence"]) == ("run_approved", "r1", 42)
    assert headers["X-Scpln-Signature"] == payload.signature("k", body)
    assert settled == [("ack", subjects.RUN_APPROVED, None)]
    assert ports.journal.receivers["notifier_1"].last_delivered_seq == 42


async def test_a_failed_delivery_is_handed_back_with_the_backoffs_wait(settled) -> None:  # type: ignore[no-untyped-def]
    sender = FakeSender(503, 503)
    broker, ports = notifier(sender)
    event = approved()
    async with TestNatsBroker(broker) as br:
        for attempt in (1, 2):
            await br.publish(ev.encode(event), ev.subject_for(event), reply_to=ack_subject("notifier_1", 7, attempt))
    assert settled == [("nak", subjects.RUN_APPROVED, 2.0), ("nak", subjects.RUN_APPROVED, 4.0)]
    assert ports.journal.receivers["notifier_1"].failed_attempts == 2


async def test_a_poison_message_is_acknowledged_and_counted_without_a_post(settled) -> None:  # type: ignore[no-untyped-def]
    sender = FakeSender()
    broker, ports = notifier(sender)
    labels = {"receiver": "notifier_1", "event": "run_approved", "outcome": "skipped"}
    before = REGISTRY.get_sample_value("notify_deliveries_total", labels) or 0.0
    async with TestNatsBroker(broker) as br:
        await br.publish(b"\xff not json", subjects.RUN_APPROVED, reply_to=ack_subject("notifier_1", 9, 1))
        await br.publish(b"[1, 2]", subjects.RUN_APPROVED, reply_to=ack_subject("notifier_1", 10, 1))
    assert sender.posts == []
    assert settled == [("ack", subjects.RUN_APPROVED, None)] * 2
    assert REGISTRY.get_sample_value("notify_deliveries_total", labels) == before + 2
    assert [(a.outcome, a.sequence) for a in ports.journal.recent] == [("skipped", 10), ("skipped", 9)]


def test_the_asyncapi_broker_is_wired_as_the_service_and_never_connected() -> None:
    broker = asyncapi_broker()
    assert not bus.is_connected(broker)
    names = sorted(s.specification.name for s in broker.subscribers)  # type: ignore[attr-defined]
    assert any("notifier_1" in name for name in names) and any(subjects.QRY_NOTIFIER_STATUS in n for n in names)
