"""Typed dependencies of the gateway's routes."""

from typing import Annotated, TypeVar

from fastapi import Depends, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from contracts.envelope import Contract
from services.ui_gateway.bus import Bus, Unavailable
from services.ui_gateway.errors import raise_for

M = TypeVar("M", bound=Contract)


def get_bus(request: Request) -> Bus:
    return request.app.state.bus


BusDep = Annotated[Bus, Depends(get_bus)]


async def ask(bus: Bus, subject: str, request: Contract, reply: type[M]) -> M:
    """Ask a service; map typed errors to HTTP errors and an absent service to 503."""
    try:
        answer = await bus.ask(subject, request, reply)
    except Unavailable as exc:
        raise HTTPException(status_code=503, detail=str(exc)) from exc
    raise_for(answer)
    return answer  # type: ignore[return-value]


def validated(model: type[M], data: object) -> M:
    """Validate data assembled by a route (body plus path) the way FastAPI validates bodies: 422."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from exc
