"""Maintenance mode against a real nats-server: plan_service refuses new plans and reruns while
it is on (also after a restart: the state is in the log), and the gateway's follower sees it."""

from contracts import subjects
from contracts.commands import (
    CreatePlan,
    ErrorReply,
    JobAccepted,
    MaintenanceStatus,
    PlanAccepted,
    RerunPlan,
    SetMaintenance,
)
from services.plan_service.app import main
from services.plan_service.settings import Settings
from services.ui_gateway.bus import NatsBus
from tests.integration.conftest import Running, log_events, wait_events
from tests.integration.test_plan_service_bus import ask, has_samples, small_config

MESSAGE = "Restoring the run history; back by 14:00"


async def switch(js, on: bool, message: str = MESSAGE) -> MaintenanceStatus:  # type: ignore[no-untyped-def]
    command = SetMaintenance(on=on, message=message if on else "", by="olga")
    status = await ask(js, subjects.CMD_MAINTENANCE_SET, command.model_dump_json().encode(), MaintenanceStatus)
    assert isinstance(status, MaintenanceStatus), status
    return status


async def create(js, config_id: str) -> PlanAccepted | ErrorReply:  # type: ignore[no-untyped-def]
    command = CreatePlan(base_scenario_id="scn_baseline", config_version_id=config_id)
    return await ask(js, subjects.CMD_PLAN_CREATE, command.model_dump_json().encode(), PlanAccepted)


async def test_plan_service_refuses_plans_and_reruns_while_on_even_after_a_restart(fresh_nats, js):
    service = Running(main, Settings(nats_url=fresh_nats))
    gateway = NatsBus(fresh_nats, timeout=5)
    try:
        config_id = small_config(await wait_events(js, has_samples))
        gateway.start()
        on = await switch(js, True)
        assert on.on and on.recorded_seq and on.by == "olga"
        refused = await create(js, config_id)
        assert isinstance(refused, ErrorReply) and refused.error == "maintenance" and MESSAGE in refused.message
        rerun = await ask(js, subjects.CMD_PLAN_RERUN, RerunPlan(plan_version_id="plan_x").model_dump_json().encode(),
                          JobAccepted)
        assert isinstance(rerun, ErrorReply) and rerun.error == "maintenance"
        followed = await gateway.maintenance_at(on.recorded_seq, timeout=15)
        assert followed.on and followed.message == MESSAGE and followed.last_seq == on.recorded_seq

        await service.stop()
        service = Running(main, Settings(nats_url=fresh_nats))
        again = await create(js, config_id)
        assert isinstance(again, ErrorReply) and again.error == "maintenance"

        off = await switch(js, False)
        accepted = await create(js, config_id)
        assert isinstance(accepted, PlanAccepted)
        assert not (await gateway.maintenance_at(off.recorded_seq, timeout=15)).on
        log = [e.event_type for e in await log_events(js)]
        started, ended = log.index("MaintenanceStarted"), log.index("MaintenanceEnded")
        assert started < ended and "PlanRequested" not in log[started:ended] and "PlanRequested" in log[ended:]
        await wait_events(js, lambda events: any(getattr(e, "state", "") == "succeeded" and e.job_id == accepted.job_id
                                                 for e in events if e.event_type == "JobProgress"))
    finally:
        await gateway.close()
        await service.stop()
