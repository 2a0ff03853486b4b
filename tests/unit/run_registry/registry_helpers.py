"""Event factories and engines for the run registry's tests."""

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from contracts import events as ev
from services.run_registry import db

T0 = datetime(2026, 3, 1, tzinfo=UTC)
_ENV = {"correlation_id": "corr", "producer": "test"}
ART = {"name": "doc", "bucket": "b", "key": "k", "sha256": "0" * 64, "size": 10}


def engine_for(backend: str, tmp: Path | None = None) -> Engine:
    engine = db.open_engine(backend, str(tmp / "registry.db") if tmp else ":memory:")
    db.create_schema(engine)
    return engine


def summary(fill_rate: float = 0.9, profit: float = 100.0, **extra: Any) -> dict[str, Any]:
    return {
        "planning_days": 30, "fill_rate": fill_rate, "store_demand_total": 1000.0,
        "store_sales_total": 1000.0 * fill_rate, "customer_shortage_total": 1000.0 * (1 - fill_rate),
        "network_shortage_total": 0.0, "avg_on_hand_by_type": {"store": 5.0}, "backorder_peak": 0.0,
        "backorder_peak_day": 0, "revenue_total": 500.0, "cost_total": 500.0 - profit,
        "penalty_total": 0.0, "profit_total": profit, "profit_per_day_avg": profit / 30,
        "top_shortage_items": [{"item_code": "P", "shortage": 1.0}], **extra,
    }


def scenario_created(sid: str = "s1", name: str = "Base", at: datetime = T0) -> ev.ScenarioCreated:
    return ev.ScenarioCreated(scenario_id=sid, name=name, occurred_at=at, **_ENV)


def config_created(cid: str = "c1") -> ev.ConfigVersionCreated:
    return ev.ConfigVersionCreated(config_version_id=cid, name="cfg", sha256="1" * 64, document=ART,
                                   planning_days=30, counts={"items": 3}, occurred_at=T0, **_ENV)


def plan_created(pv: str = "p1", cid: str = "c1", sid: str = "s1", job: str = "jp1",
                 sim_job: str = "js1", at: datetime = T0) -> ev.PlanCreated:
    return ev.PlanCreated(plan_version_id=pv, config_version_id=cid, base_scenario_id=sid,
                          scenario_name="Base", job_id=job, seed=7, config=ART, artifacts=[ART],
                          kpis={"demand": 10.0}, simulation_job_id=sim_job, occurred_at=at, **_ENV)


def progress(job: str, state: str, job_type: str = "simulation", value: float = 0.5,
             pv: str | None = None, run_id: str | None = None, at: datetime = T0) -> ev.JobProgress:
    return ev.JobProgress(job_id=job, job_type=job_type, state=state, progress=value, step="day 1",
                          plan_version_id=pv, run_id=run_id, occurred_at=at, **_ENV)


def run_completed(run_id: str, started: datetime = T0, pv: str = "p1", cid: str = "c1",
                  sid: str = "s1", name: str = "Base", fill_rate: float = 0.9, profit: float = 100.0,
                  duration_ms: float = 1000.0, job: str = "js1") -> ev.RunCompleted:
    return ev.RunCompleted(
        run_id=run_id, plan_version_id=pv, config_version_id=cid, scenario_id=sid, scenario_name=name,
        job_id=job, seed=7, started_at=started, finished_at=started + timedelta(milliseconds=duration_ms),
        duration_ms=duration_ms, summary=summary(fill_rate, profit), results=ART | {"key": f"{run_id}.json.gz"},
        simulator_version="1.0",
        **_ENV)


def run_failed(run_id: str, started: datetime = T0, pv: str = "p1", cid: str = "c1", sid: str = "s1",
               name: str = "Base", duration_ms: float = 1000.0) -> ev.RunFailed:
    return ev.RunFailed(run_id=run_id, plan_version_id=pv, config_version_id=cid, scenario_id=sid,
                        scenario_name=name, job_id="js1", reason="boom", started_at=started,
                        finished_at=started + timedelta(milliseconds=duration_ms), **_ENV)


def run_deleted(run_id: str) -> ev.RunDeleted:
    return ev.RunDeleted(run_id=run_id, **_ENV)


def messages(events: list[Any], start: int = 1) -> list[tuple[int, str, bytes]]:
    return [(start + i, ev.subject_for(e), ev.encode(e)) for i, e in enumerate(events)]


def rows(engine: Engine, table: str, order_by: str) -> list[dict[str, Any]]:
    t = db.metadata.tables[table]
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(t).order_by(t.c[order_by]))]


def run_ids(engine: Engine) -> list[str]:
    return [r["run_id"] for r in rows(engine, "runs", "run_id")]
