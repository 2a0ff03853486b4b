"""The notifier without NATS or HTTP: the signed body, the backoff schedule, which durable serves
which receiver, one delivery's outcome, and a receiver's subscriber (its decoder and handler)
fed by a fake consumer that behaves as JetStream does with one message in flight (a nak'ed
message comes back before any later one)."""

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from contracts import events as ev
from contracts import subjects
from contracts.notifications import NOTIFIER_DURABLES
from contracts.run_meta import BaselinePromoted, RunApproved
from services.notifier import payload
from services.notifier.app import deliverer
from services.notifier.app import incoming as read_message
from services.notifier.backoff import Backoff
from services.notifier.delivery import Incoming, Ports, deliver
from services.notifier.slots import Receiver, assign, mark

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
RECEIVER = Receiver("http://127.0.0.1:9/hook?token=abc", "notifier_1", fresh=True)


def approved(run_id: str = "r1") -> RunApproved:
    return RunApproved(run_id=run_id, scenario_id="s1", approved_by="ann", correlation_id=run_id, producer="t")


# the body and its signature


def test_the_body_is_the_originals_shape_with_the_whole_fact_and_a_signed_timestamp():
    event = approved()
    raw = payload.body("run_approved", event.model_dump(mode="json"), 42, T0)
    body = json.loads(raw)
    assert {k: body[k] for k in ("event", "run_id", "user", "delivery_id", "timestamp", "sequence")} == {
        "event": "run_approved", "run_id": "r1", "user": "ann", "delivery_id": str(event.event_id),
        "timestamp": T0.isoformat(), "sequence": 42}
    assert body["data"]["event_type"] == "RunApproved"
    headers = payload.headers("run_approved", str(event.event_id), raw, "s3cret")
    expected = hmac.new(b"s3cret", raw, hashlib.sha256).hexdigest()
    assert headers["X-Scpln-Signature"] == f"sha256={expected}"
    assert (headers["X-Scpln-Event"], headers["X-Scpln-Delivery"]) == ("run_approved", str(event.event_id))
    assert "X-Scpln-Signature" not in payload.headers("run_approved", "d", raw, "")


def test_an_event_this_code_does_not_know_goes_out_as_stored_and_a_url_is_shown_without_its_secrets():
    raw = json.dumps({"event_type": "PlanSubmitted", "event_id": "e1", "plan_version_id": "p1", "by": "pat"}).encode()
    assert payload.read(raw, subjects.PLAN_SUBMITTED) == json.loads(raw)
    assert payload.event_fields(payload.read(raw, subjects.PLAN_SUBMITTED))["plan_version_id"] == "p1"
    known = payload.read(ev.encode(approved()), subjects.RUN_APPROVED)
    assert isinstance(known, RunApproved) and payload.event_fields(known)["approved_by"] == "ann"
    assert isinstance(payload.read(b"[1, 2]", subjects.PLAN_SUBMITTED), payload.Undecodable)
    assert isinstance(payload.read(b"\xff{", subjects.PLAN_SUBMITTED), payload.Undecodable)
    assert payload.redacted("https://user:pw@hooks.example:8443/in?token=x#y") == "https://hooks.example:8443/in"


# backoff


def test_waits_double_up_to_a_cap_and_an_event_is_given_up_once_its_waits_pass_the_window():
    backoff = Backoff(base_s=5, max_delay_s=60, give_up_after_s=300)
    assert [backoff.delay(n) for n in range(1, 7)] == [5, 10, 20, 40, 60, 60]
    waits = []
    attempt = 1
    while (wait := backoff.after_failure(attempt)) is not None:
        waits.append(wait)
        attempt += 1
    assert waits == [5, 10, 20, 40, 60, 60, 60] and sum(waits) <= 300 < sum(waits) + 60
    assert Backoff(5, 1800, 86400).waited(60) > 86400 > Backoff(5, 1800, 86400).waited(40)


# durables


def test_a_receiver_keeps_its_durable_across_restarts_and_reorderings_and_a_new_one_starts_fresh():
    a, b, c = "http://127.0.0.1:1/a", "http://127.0.0.1:1/b", "http://127.0.0.1:1/c"
    nothing = dict.fromkeys(NOTIFIER_DURABLES)
    first = assign([a, b], nothing)
    assert [(r.durable, r.fresh) for r in first] == [("notifier_1", True), ("notifier_2", True)]
    held = {**nothing, "notifier_1": mark(a), "notifier_2": mark(b)}
    again = assign([b, a], held)
    assert [(r.url, r.durable, r.fresh) for r in again] == [(b, "notifier_2", False), (a, "notifier_1", False)]
    replaced = assign([c, a], held)
    assert [(r.url, r.durable, r.fresh) for r in replaced] == [(c, "notifier_3", True), (a, "notifier_1", False)]
    full = {d: mark(f"http://old/{d}") for d in NOTIFIER_DURABLES}
    assert assign([c], full)[0] == Receiver(c, "notifier_1", fresh=True)
    with pytest.raises(ValueError):
        assign([f"http://h/{i}" for i in range(9)], nothing)


# one delivery


class FakeSender:
    """A receiver that answers each POST with the next of ``answers`` (an int status or an exception)."""

    def __init__(self, *answers: object) -> None:
        self.answers, self.posts = list(answers), []

    async def post(self, url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
        self.posts.append((url, body, headers))
        answer = self.answers.pop(0) if self.answers else 204
        if isinstance(answer, Exception):
            raise answer
        return answer  # type: ignore[return-value]


def ports(sender: FakeSender, give_up_after_s: float = 100.0) -> Ports:
    return Ports(sender=sender, backoff=Backoff(1, 8, give_up_after_s), secret="k", timeout_s=1, now=lambda: T0)


def incoming(event: ev.Envelope, seq: int = 7, attempt: int = 1) -> Incoming:
    return Incoming(ev.subject_for(event), event, seq, attempt)


async def test_a_delivery_is_acknowledged_retried_or_given_up_and_the_journal_counts_it():
    sender = FakeSender(204, 503, ConnectionRefusedError("refused"), 500)
    the_ports = ports(sender, give_up_after_s=3)
    assert (await deliver(incoming(approved()), RECEIVER, the_ports)).kind == "delivered"
    retry = await deliver(incoming(approved(), attempt=1), RECEIVER, the_ports)
    assert (retry.kind, retry.delay, retry.error) == ("retry", 1, "HTTP 503")
    refused = await deliver(incoming(approved(), attempt=2), RECEIVER, the_ports)
    assert (refused.kind, refused.delay) == ("retry", 2) and "refused" in refused.error
    assert (await deliver(incoming(approved(), attempt=3), RECEIVER, the_ports)).kind == "gave_up"
    url, body, headers = sender.posts[0]
    assert url == RECEIVER.url and headers["X-Scpln-Signature"] == payload.signature("k", body)
    counted = the_ports.journal.receivers[RECEIVER.durable]
    assert (counted.delivered, counted.failed_attempts, counted.given_up, counted.last_error) == (1, 3, 1, "HTTP 500")
    assert counted.receiver == "http://127.0.0.1:9/hook" and counted.last_delivered_seq == 7
    assert [a.outcome for a in the_ports.journal.recent] == ["gave_up", "failed", "failed", "delivered"]


async def test_what_is_no_webhook_event_is_skipped_without_a_post_and_counted():
    sender = FakeSender()
    the_ports = ports(sender)
    progress = Incoming(subjects.JOB_PROGRESS, payload.read(b"{}", subjects.JOB_PROGRESS), 3, 1)
    assert (await deliver(progress, RECEIVER, the_ports)).kind == "skipped"
    poison = Incoming(subjects.RUN_APPROVED, payload.read(b"not json", subjects.RUN_APPROVED), 4, 1)
    assert (await deliver(poison, RECEIVER, the_ports)).kind == "skipped"
    assert sender.posts == []
    assert [(a.outcome, a.event, a.sequence) for a in the_ports.journal.recent] == [
        ("skipped", "run_approved", 4), ("skipped", subjects.JOB_PROGRESS, 3)]


# a receiver's subscriber fed by a consumer with one message in flight


@dataclass
class FakeMsg:
    """What a receiver's subscriber gets: faststream's message (settled by ``ack``/``nack``/
    ``reject``) around nats-py's (``raw_message``: subject, data, JetStream metadata)."""

    subject: str
    data: bytes
    seq: int
    delivered: int
    log: "FakeConsumer"

    @property
    def raw_message(self) -> "FakeMsg":
        return self

    @property
    def metadata(self):  # type: ignore[no-untyped-def]
        @dataclass
        class Seq:
            stream: int

        @dataclass
        class Meta:
            sequence: Seq
            num_delivered: int

        return Meta(Seq(self.seq), self.delivered)

    async def ack(self) -> None:
        self.log.settled("ack", self)

    async def nack(self, delay: float | None = None) -> None:
        self.log.settled("nak", self, delay)

    async def reject(self) -> None:
        self.log.settled("term", self)


@dataclass
class FakeConsumer:
    """JetStream's behaviour with max_ack_pending 1: the message in flight (or nak'ed, waiting its
    delay) blocks every later one; a nak'ed message comes back with its delivery count raised."""

    messages: list[tuple[str, bytes]]
    position: int = 0
    delivered: int = 0
    settlements: list[tuple[str, int, float | None]] = field(default_factory=list)

    def settled(self, how: str, msg: FakeMsg, delay: float | None = None) -> None:
        self.settlements.append((how, msg.seq, delay))
        if how in ("ack", "term"):
            self.position, self.delivered = self.position + 1, 0

    def next(self) -> FakeMsg | None:
        if self.position >= len(self.messages):
            return None
        self.delivered += 1
        subject, data = self.messages[self.position]
        return FakeMsg(subject, data, self.position + 1, self.delivered, self)

    async def feed(self, receiver: Receiver, the_ports: Ports, most: int = 50) -> None:
        """Hand each message to the receiver's subscriber (decoder, then handler) until none is left."""
        handle = deliverer(receiver, the_ports)
        for _ in range(most):
            if (msg := self.next()) is None:
                return
            await handle(read_message(msg), msg)  # type: ignore[arg-type]
        raise AssertionError("the consumer never ran out of messages")


async def test_a_receiver_that_is_down_for_a_while_gets_every_event_once_up_in_log_order():
    events = [approved("r1"), BaselinePromoted(run_id="r1", scenario_id="s1", promoted_by="ann", correlation_id="r1",
                                               producer="t"), approved("r2")]
    consumer = FakeConsumer([(ev.subject_for(e), ev.encode(e)) for e in events])
    down = [ConnectionRefusedError("down")] * 4 + [503]
    sender = FakeSender(204, *down, 204, 204)
    await consumer.feed(RECEIVER, ports(sender))
    received = [json.loads(body) for _, body, _ in sender.posts]
    assert [b["sequence"] for b in received] == [1, 2, 2, 2, 2, 2, 2, 3]
    assert [b["event"] for b in received] == ["run_approved", *["run_promoted_baseline"] * 6, "run_approved"]
    assert [s for s in consumer.settlements if s[0] == "nak"] == [("nak", 2, 1), ("nak", 2, 2), ("nak", 2, 4),
                                                                 ("nak", 2, 8), ("nak", 2, 8)]
    assert [s[:2] for s in consumer.settlements if s[0] != "nak"] == [("ack", 1), ("ack", 2), ("ack", 3)]
    assert {b["delivery_id"] for b in received[1:7]} == {str(events[1].event_id)}


async def test_an_event_given_up_is_terminated_and_the_next_one_goes_out():
    events = [approved("r1"), approved("r2")]
    consumer = FakeConsumer([(ev.subject_for(e), ev.encode(e)) for e in events])
    sender = FakeSender(500, 500, 204)
    await consumer.feed(RECEIVER, ports(sender, give_up_after_s=1.5))
    assert [s[:2] for s in consumer.settlements] == [("nak", 1), ("term", 1), ("ack", 2)]


def test_timestamps_are_fresh_per_attempt():
    later = T0 + timedelta(minutes=5)
    event = approved().model_dump(mode="json")
    assert json.loads(payload.body("run_approved", event, 1, later))["timestamp"] == later.isoformat()


async def test_a_plans_review_goes_out_under_the_originals_names_with_who_moved_it():
    sender = FakeSender()
    the_ports = ports(sender)
    approved_plan = ev.PlanApproved(plan_version_id="plan_1", base_scenario_id="scn_1", revision=2,
                                    supply_plan={"name": "plan_final", "bucket": "b", "key": "k", "sha256": "0" * 64,
                                                 "size": 1},
                                    submitted_by="pat", by="lee", correlation_id="plan_1", producer="t")
    rejected = ev.PlanRejected(plan_version_id="plan_1", base_scenario_id="scn_1", revision=1, submitted_by="pat",
                               by="lee", reason="capacity", correlation_id="plan_1", producer="t")
    for event, name in ((approved_plan, "plan_approved"), (rejected, "plan_rejected")):
        assert (await deliver(incoming(event), RECEIVER, the_ports)).kind == "delivered"
        body = json.loads(sender.posts[-1][1])
        assert (body["event"], body["plan_version_id"], body["user"]) == (name, "plan_1", "lee")
    assert ev.subject_for(approved_plan) == subjects.PLAN_APPROVED
