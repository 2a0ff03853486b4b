"""The one messaging layer every service is built on (runtime.bus, runtime.rpc, runtime.publisher),
wired on a faststream broker and exercised through ``TestNatsBroker`` (no server)."""

import pytest
from faststream.nats import TestNatsBroker

from contracts.commands import ErrorReply, parse_reply
from contracts.queries import Consistency, GetRun
from runtime import bus, rpc
from runtime.nats_permissions import events_published_by
from runtime.outage import OutageLog
from runtime.storage import StorageFull

SUBJECT = "scpln.qry.test.run"


class Echo(Consistency):
    run_id: str


def _broker():  # type: ignore[no-untyped-def]
    import logging

    return bus.broker("nats://u:p@127.0.0.1:4222", OutageLog(logging.getLogger("test")), name="test")


async def test_a_responder_decodes_its_contract_and_answers_typed() -> None:
    broker = _broker()

    async def handle(query: GetRun) -> Echo:
        return Echo(run_id=query.run_id.upper(), min_seq=query.min_seq)

    broker.subscriber(SUBJECT, queue="test")(rpc.responder(GetRun, handle, reply=Echo))
    async with TestNatsBroker(broker) as br:
        answer = await rpc.ask(br, SUBJECT, GetRun(run_id="r1", min_seq=3), Echo)
    assert answer == Echo(run_id="R1", min_seq=3)


@pytest.mark.parametrize(("body", "path"), [(b'{"min_seq": 1}', "run_id"), (b'{"run_id": "r", "min_seq": -1}', "min_seq"),
                                            (b"not json", "$"), (b"[1, 2]", "$")])
async def test_a_body_the_contract_refuses_gets_a_typed_validation_reply(body: bytes, path: str) -> None:
    broker, called = _broker(), []

    async def handle(query: GetRun) -> Echo:
        called.append(query)
        return Echo(run_id=query.run_id)

    broker.subscriber(SUBJECT, queue="test")(rpc.responder(GetRun, handle))
    async with TestNatsBroker(broker) as br:
        reply = parse_reply((await br.request(body, SUBJECT)).body, Echo)
    assert isinstance(reply, ErrorReply) and reply.error == "validation_failed"
    assert [d["path"] for d in reply.details] == [path]
    assert called == []


async def test_a_handler_failure_is_a_typed_reply_and_the_responder_keeps_answering() -> None:
    broker = _broker()
    failures = iter([RuntimeError("boom"), StorageFull("the disk is full")])

    async def handle(query: GetRun) -> Echo:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        return Echo(run_id=query.run_id)

    broker.subscriber(SUBJECT, queue="test")(rpc.responder(GetRun, handle, reply=Echo))  # errors pass as well
    async with TestNatsBroker(broker) as br:
        replies = [await rpc.ask(br, SUBJECT, GetRun(run_id="r"), Echo) for _ in range(3)]
    assert [getattr(r, "error", None) for r in replies] == ["internal_error", "storage_full", None]
    assert replies[2] == Echo(run_id="r")


def test_each_service_declares_the_events_its_nats_user_may_publish() -> None:
    names = {user: {m.__name__ for m in events_published_by(user)} for user in ("simulator", "run_registry")}
    assert names["simulator"] == {"RunCompleted", "RunFailed", "JobProgress"}
    assert "RunDeleted" in names["run_registry"] and "RunCompleted" not in names["run_registry"]
    assert events_published_by("ui_gateway") == []
