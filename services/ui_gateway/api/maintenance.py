"""Maintenance mode (the fallback runbook): its state for everyone, switching it for operators.
While it is on, plan_service refuses new plans and reruns (503 with the message) and every page
shows the banner."""

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from contracts import subjects
from contracts.commands import MaintenanceStatus, SetMaintenance
from contracts.events import MAINTENANCE_MESSAGE_MAX
from services.ui_gateway.auth.guard import Actor, allow
from services.ui_gateway.auth.principal import Principal
from services.ui_gateway.bus import Bus
from services.ui_gateway.deps import BusDep, ask, validated

router = APIRouter(prefix="/maintenance", tags=["operations"])


class MaintenanceChange(BaseModel):
    """Switch maintenance on (with the message planners see) or off."""

    model_config = ConfigDict(extra="forbid")
    on: bool = Field(description="True: no new plans or reruns, a banner on every page; False: back to normal.")
    message: Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAINTENANCE_MESSAGE_MAX)] = Field(
        default="", description="What planners are told (needed to switch it on).")


async def switch(bus: Bus, actor: Principal, on: bool, message: str) -> MaintenanceStatus:
    """Ask plan_service to switch it, as the signed-in user; answered once this gateway has
    folded the fact, so the next page shows it."""
    command = validated(SetMaintenance, {"on": on, "message": message, "by": actor.username})
    status = await ask(bus, subjects.CMD_MAINTENANCE_SET, command, MaintenanceStatus)
    await bus.maintenance_at(status.recorded_seq)
    return status


@router.get("", response_model=MaintenanceStatus, dependencies=[allow("read")])
async def maintenance_status(bus: BusDep) -> MaintenanceStatus:
    """Maintenance mode as the event log holds it (as far as this gateway has followed it)."""
    return bus.maintenance.status()


@router.post("", response_model=MaintenanceStatus, dependencies=[allow("registry.operate")])
async def set_maintenance(body: MaintenanceChange, bus: BusDep, actor: Actor) -> MaintenanceStatus:
    """Switch maintenance on or off; recorded in the log (``MaintenanceStarted`` /
    ``MaintenanceEnded``) with you as who did it. Asking for the state it is in changes nothing."""
    return await switch(bus, actor, body.on, body.message)
