"""Maintenance mode: an operator switches it on (the gateway's operations page, or ``scpln
maintenance on``) and off; while it is on, new plans and reruns are refused (``plans``)."""

import logging

from contracts.commands import MaintenanceStatus, SetMaintenance
from contracts.events import MaintenanceEnded, MaintenanceStarted
from services.plan_service.ports import PRODUCER, Ports

log = logging.getLogger("plan_service.maintenance")
CORRELATION = "maintenance"


async def set_maintenance(cmd: SetMaintenance, ports: Ports) -> MaintenanceStatus:
    """Record the change, if any: on (or a new message while on), or off. The state asked
    for already is answered as it is, and nothing is recorded."""
    current = ports.state.maintenance
    if cmd.on and (not current.on or current.message != cmd.message):
        seq = await ports.record(MaintenanceStarted(correlation_id=CORRELATION, producer=PRODUCER,
                                                    message=cmd.message, by=cmd.by))
        log.info("maintenance on, by %s: %s", cmd.by, cmd.message)
    elif not cmd.on and current.on:
        seq = await ports.record(MaintenanceEnded(correlation_id=CORRELATION, producer=PRODUCER, by=cmd.by))
        log.info("maintenance off, by %s", cmd.by)
    else:
        return current.status()
    return ports.state.maintenance.status(recorded_seq=seq)
