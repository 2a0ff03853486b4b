"""JSON API: the notifier's webhook receivers, their deliveries and failures (operators)."""

from fastapi import APIRouter

from contracts import subjects
from contracts.notifications import NotifierStatus, NotifierStatusQuery
from services.ui_gateway.auth.guard import allow
from services.ui_gateway.deps import BusDep, ask

router = APIRouter(tags=["operations"])


@router.get("/notifications", response_model=NotifierStatus, dependencies=[allow("registry.operate")])
async def notifications(bus: BusDep) -> NotifierStatus:
    """Each webhook receiver: delivered, failed attempts, given up, backlog; the latest attempts."""
    return await ask(bus, subjects.QRY_NOTIFIER_STATUS, NotifierStatusQuery(), NotifierStatus)
