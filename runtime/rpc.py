"""Request/reply over the service's faststream broker: ``responder`` turns a plain
``async handle(request) -> reply`` into a subscriber whose parameter is the request's contract
(faststream decodes and validates it, and documents it in the AsyncAPI document); ``ask`` sends
a request and reads the typed reply.

The handler never sees NATS. Malformed requests get a typed ``validation_failed`` reply (the
broker's exception middleware, ``runtime.bus.broker``) and unexpected errors an
``internal_error`` reply, so a bad request never leaves a caller waiting.
A write refused for want of space is a ``storage_full`` reply, one the server did not confirm
an ``unavailable`` one; a responder given ``refuse`` (``Storage.refusal``) asks it first and
refuses the request before the handler runs.
"""

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout
from pydantic import ValidationError

from contracts.commands import ErrorReply, parse_reply
from contracts.envelope import Contract
from runtime.logs import first_line
from runtime.storage import UNCONFIRMED, StorageFull

log = logging.getLogger("runtime.rpc")

R = TypeVar("R", bound=Contract)
Handler = Callable[[Any], Awaitable[Contract]]
Refuse = Callable[[], ErrorReply | None]


REQUEST = "request"
"""The name of a responder's parameter: faststream validates the body as its contract."""


def validation_reply(exc: ValidationError) -> ErrorReply:
    details = [
        {"code": "schema", "path": ".".join(str(p) for p in _in_request(err["loc"])) or "$", "message": err["msg"]}
        for err in exc.errors()
    ]
    fields = ", ".join(d["path"] for d in details)
    return ErrorReply(error="validation_failed", message=f"invalid request: {fields}", details=details)


def _in_request(loc: tuple) -> tuple:
    """A location in the request's body: without the parameter faststream validated it as."""
    return loc[1:] if loc[:1] == (REQUEST,) else loc


async def answer(model: type[Contract], handle: Handler, body: bytes, refuse: Refuse | None = None) -> bytes:
    """What a responder answers to ``body``, without a broker: decoded as ``model``, handled
    (unless ``refuse`` says why not), the reply encoded."""
    try:
        request = model.model_validate_json(body or b"{}")
    except ValidationError as exc:
        return validation_reply(exc).model_dump_json().encode()
    return (await respond(model, handle, request, refuse)).model_dump_json().encode()


async def respond(model: type[Contract], handle: Handler, request: Contract, refuse: Refuse | None = None) -> Contract:
    """Run the handler on a decoded request (unless ``refuse`` says why not); its errors as typed replies."""
    try:
        return (refuse() if refuse else None) or await handle(request)
    except StorageFull as exc:
        return ErrorReply(error="storage_full", message=str(exc))
    except UNCONFIRMED as exc:
        log.warning("%s not done: the bus did not answer in time (%s: %s)", model.__name__, type(exc).__name__,
                    first_line(exc))
        return ErrorReply(error="unavailable", message=f"the message bus did not answer in time ({type(exc).__name__}); "
                                                       "try again")
    except Exception as exc:
        log.exception("handler for %s failed", model.__name__)
        return ErrorReply(error="internal_error", message=f"{type(exc).__name__}: {exc}")


def responder(model: type[Contract], handle: Handler, refuse: Refuse | None = None,
              reply: Any = None) -> Callable[..., Awaitable[Contract]]:
    """A faststream handler: ``broker.subscriber(subject)(responder(Model, handle))``. Its one
    parameter is typed ``model``, so faststream decodes the body through the contract (and the
    AsyncAPI document shows it); ``reply`` names the contract it answers with (a model
    or a union of them; an ``ErrorReply`` always may be), for the document and checked by
    faststream on the way out."""

    async def on_request(request: Contract) -> Contract:
        return await respond(model, handle, request, refuse)

    on_request.__name__ = f"on_{model.__name__}"
    on_request.__doc__ = (model.__doc__ or model.__name__).strip()
    on_request.__annotations__ = {REQUEST: model, "return": reply | ErrorReply if reply else Contract}
    return on_request


async def ask(broker, subject: str, request: Contract, reply: type[R], *, timeout: float = 5.0,  # type: ignore[no-untyped-def]
              who: str = "the service") -> R | ErrorReply:
    """``request`` sent on ``subject`` through the broker; its typed reply, an ``ErrorReply``
    the service answered with, or an ``unavailable`` one when nobody answers in time."""
    try:
        answer = await broker.request(request.model_dump_json().encode(), subject, timeout=timeout)
    except (TimeoutError, NoRespondersError, NatsTimeout):
        return ErrorReply(error="unavailable", message=f"{who} does not answer; try again")
    return parse_reply(answer.body, reply)
