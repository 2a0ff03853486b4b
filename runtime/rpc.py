"""Request/reply plumbing: turn a plain ``async handle(request) -> reply`` into a subscriber.

The handler never sees NATS. Malformed requests get a typed ``validation_failed`` reply and
unexpected errors an ``internal_error`` reply, so a bad request never leaves a caller waiting.
A write refused for want of space is a ``storage_full`` reply, one the server did not confirm
an ``unavailable`` one; a responder given ``refuse`` (``Storage.refusal``) asks it first and
refuses the request before the handler runs.
"""

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import ValidationError

from contracts.commands import ErrorReply
from contracts.envelope import Contract
from runtime.logs import first_line
from runtime.storage import UNCONFIRMED, StorageFull

log = logging.getLogger("runtime.rpc")

Handler = Callable[[Any], Awaitable[Contract]]
Refuse = Callable[[], ErrorReply | None]


def validation_reply(exc: ValidationError) -> ErrorReply:
    details = [
        {"code": "schema", "path": ".".join(str(p) for p in err["loc"]) or "$", "message": err["msg"]}
        for err in exc.errors()
    ]
    fields = ", ".join(d["path"] for d in details)
    return ErrorReply(error="validation_failed", message=f"invalid request: {fields}", details=details)


async def answer(model: type[Contract], handle: Handler, body: bytes, refuse: Refuse | None = None) -> bytes:
    """Decode ``body`` as ``model``, run the handler (unless ``refuse`` says why not), and
    encode its reply."""
    try:
        request = model.model_validate_json(body or b"{}")
    except ValidationError as exc:
        return validation_reply(exc).model_dump_json().encode()
    try:
        reply = (refuse() if refuse else None) or await handle(request)
    except StorageFull as exc:
        reply = ErrorReply(error="storage_full", message=str(exc))
    except UNCONFIRMED as exc:
        log.warning("%s not done: the bus did not answer in time (%s: %s)", model.__name__, type(exc).__name__,
                    first_line(exc))
        reply = ErrorReply(error="unavailable", message=f"the message bus did not answer in time ({type(exc).__name__}); "
                                                          "try again")
    except Exception as exc:
        log.exception("handler for %s failed", model.__name__)
        reply = ErrorReply(error="internal_error", message=f"{type(exc).__name__}: {exc}")
    return reply.model_dump_json().encode()


def responder(model: type[Contract], handle: Handler, refuse: Refuse | None = None) -> Callable[..., Awaitable[bytes]]:
    """A faststream-ready callable: ``broker.subscriber(subject)(responder(Model, handle))``."""
    from faststream.nats.annotations import NatsMessage

    async def on_request(message: NatsMessage) -> bytes:  # type: ignore[valid-type]
        return await answer(model, handle, message.body, refuse)  # type: ignore[attr-defined]

    on_request.__name__ = f"on_{model.__name__}"
    return on_request
