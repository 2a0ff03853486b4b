"""A fake Bus for the gateway's route tests: canned replies per subject, objects in a dict,
job-progress events in a list. It records every request it was asked."""

import gzip
import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

from contracts import queries as q
from contracts import subjects
from contracts.commands import ErrorReply, MaintenanceStatus, RunMetaChanged, SetMaintenance
from contracts.envelope import Contract
from contracts.events import ArtifactRef, JobProgress, MaintenanceEnded, MaintenanceStarted
from contracts.identity import TokenIssued, UserAdded
from contracts.notifications import NotifierStatus
from runtime import identity
from runtime.maintenance import Maintenance
from runtime.objects import artifact_ref
from runtime.storage_report import StorageBoard
from services.ui_gateway.bus import ObjectMissing, TooLarge, Unavailable

T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
RESULTS = ArtifactRef(name="daily_results", bucket=subjects.RESULTS_BUCKET, key="run_a.json.gz", sha256="a" * 64,
                      size=10, content_type="application/gzip")
Reply = Contract | Callable[[Any], Contract]


class FakeBus:
    def __init__(self) -> None:
        self.connected = True
        self.replies: dict[str, Reply] = {}
        self.objects: dict[tuple[str, str], bytes] = {}
        self.progress: list[tuple[int, JobProgress]] = []
        self.asked: list[tuple[str, Contract]] = []
        self.progress_after: list[int | None] = []
        self.seq = 100
        self.max_payload: int | None = None
        self.identities = identity.Identities()
        self.identities_ready = True
        self.tokens: dict[str, str] = {role: self.add_user(role, role) for role in identity.ROLES}
        """A token per role, of a user named after the role."""
        self.maintenance = Maintenance()
        self.replies[subjects.CMD_MAINTENANCE_SET] = self.set_maintenance
        self.storage_board = StorageBoard()

    def set_maintenance(self, cmd: SetMaintenance) -> MaintenanceStatus:
        """plan_service's answer, its fact folded at once as the gateway's follower would."""
        if cmd.on == self.maintenance.on and cmd.message == self.maintenance.message:
            return self.maintenance.status()
        self.seq += 1
        fact = MaintenanceStarted(message=cmd.message, by=cmd.by, correlation_id="maintenance", producer="test") \
            if cmd.on else MaintenanceEnded(by=cmd.by, correlation_id="maintenance", producer="test")
        self.maintenance.apply(fact, self.seq)
        return self.maintenance.status(recorded_seq=self.seq)

    async def maintenance_at(self, seq: int | None) -> Maintenance:
        return self.maintenance

    def add_user(self, username: str, role: str, password: str | None = None) -> str:
        """A user (with this password, or a cheap unknown hash) and a token of theirs; returns the token."""
        password_hash = identity.hash_password(password) if password else "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"
        self.identities.apply(UserAdded(username=username, role=role, password_hash=password_hash, added_by="test",
                                        correlation_id=username, producer="test"))
        token_id, secret, sha = identity.new_token()
        self.identities.apply(TokenIssued(token_id=token_id, username=username, token_sha256=sha, issued_by="test",
                                          correlation_id=username, producer="test"))
        return secret

    async def ask(self, subject: str, request: Contract, reply: type) -> Any:
        if self.max_payload is not None and len(request.model_dump_json()) > self.max_payload:
            raise TooLarge(f"the message bus carries at most {self.max_payload} bytes")
        self.asked.append((subject, request))
        if subject not in self.replies:
            raise Unavailable(f"no answer on {subject}: NoRespondersError")
        answer = self.replies[subject]
        return answer(request) if callable(answer) else answer

    async def ask_raw(self, subject: str, request: Contract) -> bytes:
        return (await self.ask(subject, request, Contract)).model_dump_json().encode()

    async def read_object(self, bucket: str, key: str) -> bytes:
        try:
            return self.objects[(bucket, key)]
        except KeyError:
            raise ObjectMissing(f"{bucket}/{key}") from None

    async def put_object(self, bucket: str, key: str, data: bytes) -> ArtifactRef:
        self.objects[(bucket, key)] = data
        return artifact_ref("upload", bucket, key, data, "application/json")

    async def stream_seq(self) -> int:
        return self.seq

    async def job_progress(self, after_seq: int | None) -> AsyncIterator[tuple[int, JobProgress]]:
        self.progress_after.append(after_seq)
        for seq, event in self.progress:
            if after_seq is None or seq > after_seq:
                yield seq, event

    def requests(self, subject: str) -> list[Any]:
        return [r for s, r in self.asked if s == subject]


def not_found(kind: str) -> ErrorReply:
    return ErrorReply(error=f"{kind}_not_found", message=f"{kind} does not exist")  # type: ignore[arg-type]


def run_row(run_id: str = "run_a", **over: Any) -> q.RunRow:
    values: dict[str, Any] = {
        "run_id": run_id, "plan_version_id": "plan_1", "config_version_id": "cfg_1", "scenario_id": "scn_baseline",
        "scenario_name": "Baseline", "job_id": "job_sim", "started_at": T0, "finished_at": T0, "duration_ms": 812.0,
        "status": "succeeded", "seed": 42, "summary": {"fill_rate": 0.975, "profit_total": 1234.5, "planning_days": 3},
        "results": RESULTS}
    return q.RunRow(**{**values, **over})


def plan_row(**over: Any) -> q.PlanRow:
    artifact = ArtifactRef(name="aggregate", bucket=subjects.ARTIFACTS_BUCKET, key="plan_1/aggregate.json",
                           sha256="b" * 64, size=10)
    values: dict[str, Any] = {
        "plan_version_id": "plan_1", "config_version_id": "cfg_1", "base_scenario_id": "scn_baseline",
        "scenario_name": "Baseline", "job_id": "job_plan", "status": "ready", "seed": 42, "created_at": T0, "artifacts": [artifact],
        "kpis": {"demand_total": 100.0}, "run_count": 1, "latest_run_id": "run_a", "latest_fill_rate": 0.975}
    return q.PlanRow(**{**values, **over})


def job_row(**over: Any) -> q.JobRow:
    values: dict[str, Any] = {"job_id": "job_plan", "job_type": "planning", "state": "running", "progress": 0.4,
                                  "step": "mrp", "message": "", "plan_version_id": "plan_1", "created_at": T0, "updated_at": T0}
    return q.JobRow(**{**values, **over})


def scenario_row(**over: Any) -> q.ScenarioRow:
    values: dict[str, Any] = {"scenario_id": "scn_baseline", "name": "Baseline", "created_at": T0, "updated_at": T0}
    return q.ScenarioRow(**{**values, **over})


def config_row(**over: Any) -> q.ConfigRow:
    document = ArtifactRef(name="config", bucket=subjects.CONFIGS_BUCKET, key="cfg_1.json", sha256="c" * 64, size=2)
    values: dict[str, Any] = {"config_version_id": "cfg_1", "name": "sample", "version_tag": "v1", "sha256": "c" * 64,
                                  "planning_days": 3, "counts": {"items": 2}, "document": document, "created_at": T0}
    return q.ConfigRow(**{**values, **over})


def results_doc(run_id: str = "run_a", days: int = 3) -> dict[str, Any]:
    def pair(node: str, item: str, node_type: str) -> dict[str, Any]:
        measures = ("start", "receipts", "demand", "sales", "shipments", "shortage", "backorder", "produced",
                    "consumed", "ordered", "end")
        return {"node": node, "item": item, "node_type": node_type, **{m: [float(d) for d in range(days)] for m in measures}}

    return {"schema_id": "scpln-results-1", "run_id": run_id, "planning_days": days, "start_date": "2025-01-01",
            "series": [pair("W1", "P1", "warehouse"), pair("S1", "P1", "store")],
            "pnl": {"revenue": [10.0] * days, "cost_total": [4.0] * days, "profit": [6.0] * days},
            "cost_trace": [{"day": 1, "category": "storage", "node": "S1", "item": "P1", "amount": 4.0}]}


def gz(doc: dict[str, Any]) -> bytes:
    return gzip.compress(json.dumps(doc).encode())


def runs_of(query: q.ListRuns, runs: list[q.RunRow]) -> q.RunsPage:
    """The registry's answer to a run list, filtered by plan version (exact or prefix) and paged."""
    kept = [r for r in runs if query.plan_version_id in (None, r.plan_version_id)
            and r.plan_version_id.startswith(query.plan_version_prefix or "")]
    return q.RunsPage(runs=kept[query.offset: query.offset + query.limit], total=len(kept), limit=query.limit,
                      offset=query.offset, last_seq=7)


def registry(bus: FakeBus) -> FakeBus:
    """Canned registry answers: one plan, one run, one job, one scenario, one config."""
    run, plan = run_row(), plan_row()
    bus.replies.update({
        subjects.QRY_RUNS_LIST: lambda r: runs_of(r, [run]),
        subjects.QRY_RUN_GET: lambda r: q.RunDetail(run=run_row(r.run_id)) if r.run_id.startswith("run_") else not_found("run"),
        subjects.QRY_PLANS_LIST: q.PlansPage(plans=[plan], total=1),
        subjects.QRY_PLAN_GET: lambda r: q.PlanDetail(plan=plan, runs=[run]) if r.plan_version_id == "plan_1" else not_found("plan"),
        subjects.QRY_JOBS_LIST: q.JobsPage(jobs=[job_row()], total=1, last_seq=7),
        subjects.QRY_JOB_GET: q.JobDetail(job=job_row(), last_seq=7),
        subjects.QRY_SCENARIOS_LIST: q.ScenariosPage(scenarios=[scenario_row(), scenario_row(
            scenario_id="scn_locked", name="Locked", locked=True, locked_by="lead", locked_at=T0)]),
        subjects.QRY_SCENARIO_GET: q.ScenarioDetail(scenario=scenario_row()),
        subjects.QRY_CONFIGS_LIST: q.ConfigsPage(configs=[config_row()], total=1),
        subjects.QRY_CONFIG_GET: q.ConfigDetail(config=config_row()),
        subjects.QRY_STATUS: q.RegistryStatus(runs=1, last_seq=7),
        subjects.QRY_RUN_META: lambda r: q.RunMetas(metas={i: q.RunMeta(run_id=i) for i in r.run_ids}),
        subjects.QRY_BASELINES: q.BaselinesPage(baselines=[]),
        subjects.QRY_NOTIFIER_STATUS: NotifierStatus(events=["run_completed"], signed=True, give_up_after_s=3600.0,
                                                     receivers=[], recent=[]),
        subjects.CMD_RUN_META: lambda c: RunMetaChanged(run_id=c.run_id, meta=q.RunMeta(run_id=c.run_id)),
        subjects.QRY_POSITION: q.ReadModelPosition(last_seq=7),
    })
    bus.objects[(RESULTS.bucket, RESULTS.key)] = gz(results_doc())
    bus.objects[(subjects.ARTIFACTS_BUCKET, "plan_1/aggregate.json")] = json.dumps(
        {"step": "aggregate", "rows": [{"family": "F1", "period": "M1", "demand": 5.0}]}).encode()
    bus.objects[(subjects.CONFIGS_BUCKET, "cfg_1.json")] = b"{}"
    return bus
