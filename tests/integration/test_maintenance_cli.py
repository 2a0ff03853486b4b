"""``scpln registry … --maintenance`` against a real nats-server and plan_service: maintenance is
on while the command works and off after it, also when it fails; left on when it was on; nothing
is done when it cannot be switched on."""

import pytest

from contracts.commands import MaintenanceStatus
from runtime import maintenance
from scpln.maintenance import during
from services.plan_service.app import main
from services.plan_service.settings import Settings
from tests.integration.conftest import Running, wait_events
from tests.integration.test_maintenance_bus import MESSAGE, switch
from tests.integration.test_plan_service_bus import has_samples


async def test_during_is_on_for_the_work_and_off_after_it_also_when_it_fails(fresh_nats, js, monkeypatch, capsys):
    monkeypatch.setenv("SCPLN_OPERATOR", "olga")
    service = Running(main, Settings(nats_url=fresh_nats))
    seen: list[MaintenanceStatus] = []

    async def work(code: int = 0) -> int:
        seen.append((await maintenance.load(js)).status())
        if code < 0:
            raise RuntimeError("the disk is full")
        return code

    try:
        await wait_events(js, has_samples)
        assert await during(fresh_nats, "registry rebuild", work) == 0
        assert seen[-1].on and seen[-1].by == "olga" and "registry rebuild" in seen[-1].message
        assert not (await maintenance.load(js)).on
        assert await during(fresh_nats, "registry rebuild", lambda: work(1), "Verifying the run history") == 1
        assert seen[-1].message == "Verifying the run history" and not (await maintenance.load(js)).on
        assert "did not succeed" in capsys.readouterr().out
        with pytest.raises(RuntimeError, match="disk is full"):
            await during(fresh_nats, "registry restore", lambda: work(-1))
        assert not (await maintenance.load(js)).on

        await switch(js, True)  # on already (the runbook's first step): it stays on
        assert await during(fresh_nats, "registry restore", work) == 0
        now = await maintenance.load(js)
        assert now.on and now.message == MESSAGE
        await switch(js, False)

        await service.stop()  # nobody to switch it on: nothing is done
        assert await during(fresh_nats, "registry restore", work) == 2
        assert len(seen) == 4 and "nothing was done" in capsys.readouterr().err
    finally:
        if not service.task.done():
            await service.stop()
