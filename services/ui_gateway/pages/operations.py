"""The operations page: maintenance mode (the fallback runbook's banner and pause), seen by
everyone, switched by operators."""

from typing import Annotated, Literal

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response

from services.ui_gateway.api.maintenance import switch
from services.ui_gateway.auth.guard import Actor, allow
from services.ui_gateway.deps import BusDep, MinSeq
from services.ui_gateway.pages.common import error_text, redirect, render

router = APIRouter(prefix="/ui/operations", include_in_schema=False)


@router.get("", dependencies=[allow("read")])
async def operations_page(request: Request, bus: BusDep, min_seq: MinSeq = 0, flash: str = "") -> Response:
    """``min_seq``: the maintenance fact a form just recorded, shown once folded."""
    state = await bus.maintenance_at(min_seq or None)
    return render(request, "operations.html", state=state, form_message=state.message, flash=flash)


@router.post("/maintenance", dependencies=[allow("registry.operate")])
async def set_maintenance(request: Request, bus: BusDep, actor: Actor, on: Annotated[Literal["1", "0"], Form()],
                          message: Annotated[str, Form()] = "") -> Response:
    try:
        status = await switch(bus, actor, on == "1", message)
    except (HTTPException, RequestValidationError) as exc:
        status_code = getattr(exc, "status_code", 422)
        text, errors = error_text(exc.detail if isinstance(exc, HTTPException) else exc.errors())
        return render(request, "operations.html", status_code=status_code, state=bus.maintenance,
                      form_message=message, message=text, errors=errors)
    flash = f"Maintenance is on: {status.message}" if status.on else "Maintenance is off: plans and runs are accepted again."
    return redirect("/ui/operations", min_seq=status.recorded_seq, flash=flash)
