"""The operators' page of webhook notifications: each receiver's deliveries, failures and
backlog, and the latest attempts."""

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from services.ui_gateway.api.notifications import notifications
from services.ui_gateway.auth.guard import allow
from services.ui_gateway.deps import BusDep
from services.ui_gateway.pages.common import render

router = APIRouter(prefix="/ui/operations", include_in_schema=False)


@router.get("/notifications", dependencies=[allow("registry.operate")])
async def notifications_page(request: Request, bus: BusDep) -> Response:
    try:
        status, problem = await notifications(bus), ""
    except HTTPException as exc:
        if exc.status_code != 503:
            raise
        status, problem = None, str(exc.detail)
    return render(request, "notifications.html", status=status, problem=problem)
