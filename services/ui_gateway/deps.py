"""Typed dependencies of the gateway's routes."""

import contextlib
import hashlib
import json
from typing import Annotated, TypeVar

from fastapi import Depends, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from contracts import subjects
from contracts.commands import ErrorReply, ImportConfig
from contracts.envelope import INT64_MAX, Contract
from contracts.queries import Consistency
from services.ui_gateway.auth.principal import Principal
from services.ui_gateway.bus import Bus, ObjectMissing, StorageFull, TooLarge, Unavailable
from services.ui_gateway.errors import raise_for

M = TypeVar("M", bound=Contract)


async def get_bus(request: Request) -> Bus:
    """The app's bus. ``async``, as every dependency that does not block: FastAPI runs a plain
    function in its thread pool, a hop of about 100 µs and a wait in that pool's queue under load."""
    return request.app.state.bus


BusDep = Annotated[Bus, Depends(get_bus)]
MinSeq = Annotated[int, Query(ge=0, le=INT64_MAX, description="Wait (bounded) until the read model has applied this stream sequence.")]
Offset = Annotated[int, Query(ge=0, le=INT64_MAX, description="Rows to skip.")]


def no_other_actor(actor: Principal, **claimed: str | None) -> None:
    """Who acts is the signed-in user: a request naming someone else (``by``, ``requested_by``)
    is refused with 422, never believed."""
    for field, name in claimed.items():
        if name is not None and name != actor.username:
            raise HTTPException(422, f"{field} is the signed-in user ({actor.username}); a request may not name "
                                     f"someone else ({name!r})")


async def ask(bus: Bus, subject: str, request: Contract, reply: type[M]) -> M:
    """Ask a service; map typed errors to HTTP errors, an absent service to 503 and a request
    too large for the bus to 413."""
    try:
        answer = await bus.ask(subject, request, reply)
    except Unavailable as exc:
        raise HTTPException(status_code=503, detail=str(exc)) from exc
    except TooLarge as exc:
        raise HTTPException(status_code=413, detail=str(exc)) from exc
    raise_for(answer)
    return answer  # type: ignore[return-value]


async def ask_settled(bus: Bus, subject: str, command: Contract, reply: type[M]) -> M:
    """``ask`` a command whose answer names the fact it recorded (``recorded_seq``), then wait
    (bounded by the registry's MIN_SEQ_WAIT_S) until the read model holds it, so a read sent
    after the answer sees the change without a ``min_seq``. With several registries the read
    may reach another one: ``min_seq=recorded_seq`` on the read is the guarantee."""
    answer = await ask(bus, subject, command, reply)
    if seq := getattr(answer, "recorded_seq", None):
        with contextlib.suppress(Unavailable):
            await bus.ask_raw(subjects.QRY_POSITION, Consistency(min_seq=seq))
    return answer


async def ask_raw(bus: Bus, subject: str, request: Contract) -> bytes:
    """Ask a service for a reply to pass on as it came (JSON bytes, not read); its typed errors,
    an absent service and a request too large for the bus as ``ask`` maps them."""
    try:
        data = await bus.ask_raw(subject, request)
    except Unavailable as exc:
        raise HTTPException(status_code=503, detail=str(exc)) from exc
    except TooLarge as exc:
        raise HTTPException(status_code=413, detail=str(exc)) from exc
    if data.startswith(b'{"error":'):
        raise_for(ErrorReply.model_validate_json(data))
    return data


def validated(model: type[M], data: object) -> M:
    """Validate data assembled by a route (body plus path) the way FastAPI validates bodies: 422."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from exc


async def read_object(bus: Bus, bucket: str, key: str) -> bytes:
    """Read a stored document: 404 when it is not there, 503 when the bus is down."""
    try:
        return await bus.read_object(bucket, key)
    except ObjectMissing as exc:
        raise HTTPException(status_code=404, detail=f"no stored object {bucket}/{key}") from exc
    except Unavailable as exc:
        raise HTTPException(status_code=503, detail=str(exc)) from exc


async def written_seq(bus: Bus) -> int:
    """A stream sequence at or after the events of a command that has answered (0 if unknown):
    passed as ``min_seq`` to the next query, the page shows what the command just did."""
    try:
        return await bus.stream_seq()
    except Unavailable:
        return 0


STAGE_ABOVE = 256 * 1024
"""A config document larger than this, as JSON, is staged in the object store and its import
command says where: a message on the bus carries 1 MiB (8 MB in ``deploy/``)."""


async def sendable(bus: Bus, command: ImportConfig) -> ImportConfig:
    """The import command as it can go over the bus: the document in it, or staged; 422 for a
    document with text UTF-8 cannot carry."""
    try:
        data = json.dumps(command.document, separators=(",", ":"), ensure_ascii=False).encode()
    except UnicodeEncodeError as exc:
        raise HTTPException(422, f"the document is not valid Unicode: it holds {exc.object[exc.start:exc.end]!r} "
                                 "(a lone surrogate), which no JSON file of a config can carry") from exc
    if len(data) <= STAGE_ABOVE:
        return command
    key = f"{hashlib.sha256(data).hexdigest()}.json"
    try:
        staged = await bus.put_object(subjects.UPLOADS_BUCKET, key, data)
    except Unavailable as exc:
        raise HTTPException(status_code=503, detail=str(exc)) from exc
    except StorageFull as exc:
        raise HTTPException(status_code=507, detail=str(exc), headers={"Retry-After": "60"}) from exc
    return ImportConfig(staged=staged)
