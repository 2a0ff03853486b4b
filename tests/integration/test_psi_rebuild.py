"""Plan review against a real nats-server: plan_service records every PSI edit, lock, weight,
reconcile and move; the registry projects them; a rebuild from the log (``scpln registry rebuild
--verify``) makes identical tables, and the grid, state and audit trail answer the same after the
swap. plan_service restarted folds the same review and goes on from it."""

import pytest

from contracts import subjects
from contracts.commands import PlanAccepted
from contracts.events import JobProgress, PlanReviewOpened
from contracts.psi import PsiCell, PsiDistribution, PsiRounding, PsiWeight
from contracts.review import (
    EditPsi,
    PsiEditCell,
    PsiEdited,
    PsiReconciled,
    PsiWeightsSet,
    ReconcilePsi,
    ReviewDecided,
    ReviewPlan,
    SetPsiWeights,
)
from contracts.review_queries import GetPsi, GetPsiAudit, GetPsiState, PsiAudit, PsiPage, PsiStateReply
from services.plan_service.app import main as plan_main
from services.plan_service.settings import Settings as PlanSettings
from services.run_registry.app import main as registry_main
from services.run_registry.settings import Settings
from tests.integration.conftest import Running, wait_events
from tests.integration.test_plan_service_bus import ask, has_samples
from tests.integration.test_registry_operations import scpln


def command(model, **fields):  # type: ignore[no-untyped-def]
    return model(**fields).model_dump_json().encode()


def cell(level: str, period: str, key: str, measure: str, value: float) -> PsiEditCell:
    return PsiEditCell(level=level, period=period, key=key, measure=measure, value=value)  # type: ignore[arg-type]


async def answers(js, plan_id: str, seq: int) -> list:  # type: ignore[no-untyped-def]
    """Everything the registry says of the plan's review, at least as new as ``seq``."""
    found = []
    for level in ("aggregate", "det"):
        grid = await ask(js, subjects.QRY_PSI_GET, command(GetPsi, plan_version_id=plan_id, level=level, limit=10_000,
                                                           min_seq=seq), PsiPage)
        assert isinstance(grid, PsiPage) and grid.last_seq >= seq, grid
        found.append(grid.model_dump(exclude={"last_seq", "lag"}))
    state = await ask(js, subjects.QRY_PSI_STATE, command(GetPsiState, plan_version_id=plan_id), PsiStateReply)
    audit = await ask(js, subjects.QRY_PSI_AUDIT, command(GetPsiAudit, plan_version_id=plan_id, limit=1000), PsiAudit)
    return [*found, state.model_dump(exclude={"last_seq", "lag"}), audit.model_dump(exclude={"last_seq", "lag"})]


@pytest.fixture()
def settings(fresh_nats, tmp_path) -> Settings:  # type: ignore[no-untyped-def]
    return Settings(nats_url=fresh_nats, registry_backend="db", scpln_db=tmp_path / "scpln.db", fetch_timeout_s=0.2)


async def test_every_psi_edit_survives_a_rebuild_and_a_restart_of_plan_service(settings, fresh_nats, js):
    registry = Running(registry_main, settings)
    planner = Running(plan_main, PlanSettings(nats_url=fresh_nats))
    try:
        events = await wait_events(js, has_samples)
        config = max((e for e in events if e.event_type == "ConfigVersionCreated"), key=lambda e: e.planning_days)
        made = await ask(js, subjects.CMD_PLAN_CREATE, f'{{"base_scenario_id": "scn_baseline", "config_version_id": '
                                                      f'"{config.config_version_id}"}}'.encode(), PlanAccepted)
        plan_id = made.plan_version_id
        await wait_events(js, lambda evts: any(isinstance(e, PlanReviewOpened) and e.plan_version_id == plan_id
                                               for e in evts) and any(isinstance(e, JobProgress) and e.state == "succeeded"
                                                                      and e.job_id == made.job_id for e in evts))
        who = {"plan_version_id": plan_id, "by": "pat", "role": "planner"}
        edited = await ask(js, subjects.CMD_PSI_EDIT, command(
            EditPsi, **who, level="aggregate", note="capacity cut", cells=[cell("aggregate", "M2", "FAM1", "supply", 900)],
            distribution=PsiDistribution(weight_mode="demand", rounding={"supply": PsiRounding(step=5)})), PsiEdited)
        assert isinstance(edited, PsiEdited) and edited.distributed > 0, edited
        pinned = await ask(js, subjects.CMD_PSI_EDIT, command(
            EditPsi, **who, level="aggregate", lock="lock",
            lock_cells=[PsiCell(level="aggregate", period="M2", key="FAM1", measure="demand")]), PsiEdited)
        assert pinned.locked == ["agg:period=M2,family=FAM1:field=demand"], pinned
        locked = await ask(js, subjects.CMD_PSI_EDIT, command(
            EditPsi, **who, level="det", cells=[cell("det", "W6", "P2", "demand", 40)], lock="lock"), PsiEdited)
        assert locked.locked == ["det:week=W6,sku=P2"] and locked.rolled_up == 0, locked
        weights = await ask(js, subjects.CMD_PSI_WEIGHTS, command(
            SetPsiWeights, **who, weights=[PsiWeight(key="det:week=W9,sku=P3", weight=2.5)]), PsiWeightsSet)
        assert weights.count == 1, weights
        reconciled = await ask(js, subjects.CMD_PSI_RECONCILE, command(ReconcilePsi, **who, note="agree"), PsiReconciled)
        assert reconciled.groups == 1, reconciled
        submitted = await ask(js, subjects.CMD_PLAN_REVIEW, command(ReviewPlan, **who, action="submit"), ReviewDecided)
        assert submitted.status == "submitted", submitted

        seq = (await js.stream_info(subjects.STREAM_NAME)).state.last_seq
        before = await answers(js, plan_id, seq)
        assert before[2]["revision"] == 3 and before[2]["state"] == "submitted" and len(before[2]["revisions"]) == 1
        code, out = await scpln(settings, "rebuild", "--verify")
        assert code == 0 and "every table is identical" in out, out
        assert await answers(js, plan_id, seq) == before

        await planner.stop()
        planner = Running(plan_main, PlanSettings(nats_url=fresh_nats))
        approved = await ask(js, subjects.CMD_PLAN_REVIEW, command(
            ReviewPlan, plan_version_id=plan_id, by="al", role="approver", action="approve"), ReviewDecided)
        assert (approved.status, approved.revision) == ("approved", 3), approved
        assert approved.supply_plan == submitted.supply_plan
    finally:
        await planner.stop()
        await registry.stop()
