"""Run governance through the live registry and a real nats-server: the command records the
facts, retention keeps the approved and baseline runs, and a rebuild reproduces every table."""

import pytest

from contracts import subjects
from contracts.commands import ChangeRunMeta, ErrorReply, RunMetaChanged
from contracts.queries import (
    BaselinesPage,
    CompareRuns,
    Comparison,
    Consistency,
    GetRunMeta,
    ListBaselines,
    ListRuns,
    RegistryStatus,
    RunMetas,
    RunsPage,
)
from services.run_registry.app import main
from services.run_registry.settings import Settings
from tests.integration.conftest import Running
from tests.integration.test_registry_bus import ask
from tests.integration.test_registry_operations import publish_runs, scpln


@pytest.fixture()
def settings(fresh_nats, tmp_path) -> Settings:
    return Settings(nats_url=fresh_nats, registry_backend="db", scpln_db=tmp_path / "scpln.db", fetch_timeout_s=0.2,
                    runs_db_max_rows=3)


async def change(js, run_id: str, action: str, by: str = "ann", **values) -> RunMetaChanged:  # type: ignore[no-untyped-def]
    answer = await ask(js, subjects.CMD_RUN_META, ChangeRunMeta(run_id=run_id, action=action, by=by, **values),
                       RunMetaChanged)
    assert isinstance(answer, RunMetaChanged), answer
    return answer


async def listed(js, seq: int, **filters) -> list[str]:  # type: ignore[no-untyped-def]
    page = await ask(js, subjects.QRY_RUNS_LIST, ListRuns(min_seq=seq, limit=100, order="asc", **filters), RunsPage)
    return [r.run_id for r in page.runs]


async def test_governance_is_recorded_kept_by_retention_and_rebuilt_identically(settings, js):
    registry = Running(main, settings)
    try:
        seq = await publish_runs(js, range(4))
        assert await listed(js, seq) == ["run_001", "run_002", "run_003"]
        approved = await change(js, "run_001", "approve")
        assert (approved.meta.approved, approved.meta.approved_by, approved.recorded_seq is not None) == (True, "ann", True)
        assert (await change(js, "run_001", "approve", by="bob")).recorded_seq is None, "a second approval records nothing"
        promoted = await change(js, "run_002", "promote_baseline", by="lee")
        assert (promoted.meta.approved_by, promoted.meta.baseline, promoted.meta.baseline_by) == ("lee", True, "lee")
        await change(js, "run_003", "archive")
        await change(js, "run_003", "note", note="**odd** demand in week 3")
        await change(js, "run_002", "tags", add=["q3", "board"])
        seq = await publish_runs(js, range(4, 10))
        assert await listed(js, seq, archived="include") == ["run_001", "run_002", "run_007", "run_008", "run_009"]
        assert await listed(js, seq, tag="q3") == ["run_002"]
        status = await ask(js, subjects.QRY_STATUS, Consistency(min_seq=seq), RegistryStatus)
        assert (status.approved_runs, status.runs_dropped_by_retention) == (2, 5)
        refused = await ask(js, subjects.CMD_RUN_META, ChangeRunMeta(run_id="run_000", action="approve", by="ann"),
                            RunMetaChanged)
        assert isinstance(refused, ErrorReply) and refused.error == "run_not_found"
        cmp = await ask(js, subjects.QRY_RUNS_COMPARE, CompareRuns(run_ids=["run_009"], base="baseline"), Comparison)
        assert (cmp.base_id, cmp.bases) == ("run_002", {"run_009": "run_002"})
        code, out = await scpln(settings, "rebuild", "--verify")
        assert code == 0 and "every table is identical" in out, out
        metas = (await ask(js, subjects.QRY_RUN_META, GetRunMeta(run_ids=["run_001", "run_002"]), RunMetas)).metas
        assert metas["run_002"].tags == ["board", "q3"] and metas["run_001"].approved
        baselines = await ask(js, subjects.QRY_BASELINES, ListBaselines(), BaselinesPage)
        assert [(b.scenario_id, b.run_id, b.latest_run_id) for b in baselines.baselines] == [
            ("scn_1", "run_002", "run_009")]
    finally:
        await registry.stop()
