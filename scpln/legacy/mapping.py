"""Rows of an original scpln database → facts of this system (pure; no I/O).

Ids: ``run_id`` and ``plan_version_id`` are kept; the original's integer ids become
``legacy-<source>-scenario-<id>`` and ``legacy-<source>-config-<id>``, ``<source>`` the source
database's key (``source.source_key``), so two databases' scenario 1 are two scenarios here.
Every event id is a uuid5 of the source, the row and the fact's kind, so the same row always
gives the same events (the stream drops a repeat within its duplicate window; beyond it, the
markers say what is already in)."""

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from contracts import events as ev
from contracts import subjects
from contracts.envelope import Envelope
from contracts.legacy import (
    IMPORTED_TAG,
    LEGACY_PRODUCER,
    LEGACY_RUN_TAG,
    NO_PLAN,
    LegacyRowImported,
    config_version_id_of,
    scenario_id_of,
)
from contracts.run_meta import NOTE_MAX
from runtime.objects import artifact_ref
from scpln.legacy.configs import convert
from scpln.legacy.results import daily_results
from scpln.legacy.source import loads

NAMESPACE = uuid5(NAMESPACE_URL, "https://scpln/legacy-import")
IMPORTER = "legacy-import"
SIMULATOR_VERSION = "scpln-original"
NUMERIC_SUMMARY = ("store_demand_total", "store_sales_total", "customer_shortage_total", "backorder_peak",
                   "revenue_total", "cost_total", "penalty_total", "profit_total", "profit_per_day_avg")


def event_id(source: str, table: str, key: str, kind: str) -> UUID:
    return uuid5(NAMESPACE, f"{source}/{table}/{key}/{kind}")


def at(ms: object) -> datetime:
    return datetime.fromtimestamp((ms if isinstance(ms, int | float) else 0) / 1000, UTC)


@dataclass(frozen=True)
class StoredObject:
    name: str
    bucket: str
    key: str
    data: bytes
    content_type: str = "application/json"

    def ref(self) -> ev.ArtifactRef:
        return artifact_ref(self.name, self.bucket, self.key, self.data, self.content_type)


@dataclass
class RowImport:
    """What one source row becomes: objects to store first, then facts, then its marker."""

    source: str
    table: str
    key: str
    ids: dict[str, str]
    objects: list[StoredObject] = field(default_factory=list)
    events: list[Envelope] = field(default_factory=list)

    def marker(self, sha256: str, source_file: str) -> LegacyRowImported:
        return LegacyRowImported(
            event_id=event_id(self.source, self.table, self.key, "marker"),
            correlation_id=f"{self.source}/{self.table}/{self.key}", producer=LEGACY_PRODUCER, source=self.source,
            imported_from=sha256, source_file=source_file, table=self.table, source_key=self.key, ids=self.ids,
            event_ids=[str(e.event_id) for e in self.events],
            occurred_at=self.events[0].occurred_at if self.events else datetime.now(UTC))


@dataclass
class Context:
    """The source's key, and what rows need of other rows: scenario names, config documents, runs' scenarios."""

    source: str
    scenario_names: dict[int, str] = field(default_factory=dict)
    configs: list["RowImport"] = field(default_factory=list)
    """The config versions, converted once (plans name their documents)."""
    config_refs: dict[int, ev.ArtifactRef] = field(default_factory=dict)
    run_scenarios: dict[str, int | None] = field(default_factory=dict)
    node_types: dict[int, dict[str, str]] = field(default_factory=dict)
    """Per config version, each node's type (canonical_nodes), for the daily results."""

    def scenario_name(self, legacy_id: int | None) -> str:
        if legacy_id is None:
            return "(no scenario)"
        return self.scenario_names.get(legacy_id, f"(deleted scenario {legacy_id})")

    def scenario_id(self, legacy_id: int | None) -> str:
        return scenario_id_of(self.source, "none" if legacy_id is None else legacy_id)

    def config_version_id(self, legacy_id: int | None) -> str:
        return config_version_id_of(self.source, "none" if legacy_id is None else legacy_id)

    def row(self, table: str, key: str, ids: dict[str, str]) -> RowImport:
        return RowImport(self.source, table, key, ids)

    def envelope(self, table: str, key: str, kind: str, when: datetime, correlation: str) -> dict[str, Any]:
        return {"event_id": event_id(self.source, table, key, kind), "occurred_at": when,
                "correlation_id": correlation, "causation_id": f"legacy:{self.source}/{table}/{key}",
                "producer": LEGACY_PRODUCER}


def scenario(row: dict[str, Any], ctx: Context) -> RowImport:
    sid, key, when = ctx.scenario_id(row["id"]), str(row["id"]), at(row["created_at"])
    out = ctx.row("scenarios", key, {"scenario_id": sid})
    parent = ctx.scenario_id(row["parent_id"]) if row["parent_id"] is not None else None
    out.events.append(ev.ScenarioCreated(**ctx.envelope("scenarios", key, "created", when, sid), scenario_id=sid,
                                         name=row["name"] or sid, description=row["description"] or "",
                                         tag=row["tag"] or "", parent_id=parent))
    if row["locked"]:
        out.events.append(ev.ScenarioLocked(**ctx.envelope("scenarios", key, "locked", at(row.get("updated_at")), sid),
                                            scenario_id=sid, locked_by=IMPORTER))
    return out


def config(row: dict[str, Any], children: dict[str, list[dict[str, Any]]], ctx: Context) -> RowImport:
    """The version as a canonical-1.0 document (``configs.convert``): plannable here when it validates."""
    cid, key = ctx.config_version_id(row["id"]), str(row["id"])
    out = ctx.row("canonical_config_versions", key, {"config_version_id": cid})
    parent = ctx.config_version_id(row["parent_version_id"]) if row.get("parent_version_id") is not None else None
    converted = convert(row, children, parent)
    stored = StoredObject("config", subjects.CONFIGS_BUCKET, f"legacy/{ctx.source}/config-{key}.json",
                          converted.document)
    out.objects.append(stored)
    ref = stored.ref()
    out.events.append(ev.ConfigVersionCreated(
        **ctx.envelope(out.table, key, "created", at(row["created_at"]), cid), config_version_id=cid,
        name=row["name"] or cid, version_tag=row.get("version_tag") or "", sha256=ref.sha256, document=ref,
        planning_days=converted.planning_days, counts=converted.counts, warnings=converted.warnings))
    return out


def plan(row: dict[str, Any], artifacts: list[dict[str, Any]], run_ids: list[str], ctx: Context) -> RowImport:
    pv, when = row["version_id"], at(row["created_at"])
    out = ctx.row("plan_versions", pv, {"plan_version_id": pv})
    legacy_fields = {k: v for k, v in row.items() if k != "version_id"}
    folder = f"legacy/{ctx.source}/{pv}"
    objects = [StoredObject("legacy_plan_version", subjects.ARTIFACTS_BUCKET, f"{folder}/plan_version.json",
                            json.dumps(legacy_fields, sort_keys=True, default=str).encode())]
    objects += [StoredObject(a["name"].removesuffix(".json"), subjects.ARTIFACTS_BUCKET, f"{folder}/{a['name']}",
                             (a["json_text"] or "null").encode())
                for a in artifacts]
    out.objects.extend(objects)
    cfg = row["config_version_id"]
    config_ref = ctx.config_refs.get(cfg) if cfg is not None else None
    sim_job = str(event_id(ctx.source, "plan_versions", pv, "simulation_job"))
    out.events.append(ev.PlanCreated(
        **ctx.envelope(out.table, pv, "created", when, pv), plan_version_id=pv,
        config_version_id=ctx.config_version_id(cfg), base_scenario_id=ctx.scenario_id(row["base_scenario_id"]),
        scenario_name=ctx.scenario_name(row["base_scenario_id"]),
        job_id=str(event_id(ctx.source, "plan_versions", pv, "planning_job")), seed=0,
        config=config_ref or objects[0].ref(), artifacts=[o.ref() for o in objects], simulation_job_id=sim_job))
    out.events.append(ev.JobProgress(
        **ctx.envelope(out.table, pv, "simulation_job", when, sim_job), job_id=sim_job,
        job_type=ev.JobType.simulation, state=ev.JobState.succeeded, progress=1.0, step="imported",
        message="run in the original scpln, imported", plan_version_id=pv, run_id=run_ids[0] if run_ids else None))
    return out


def summary(raw: dict[str, Any]) -> ev.RunSummary:
    number = {k: float(raw[k]) if isinstance(raw.get(k), int | float) else 0.0 for k in NUMERIC_SUMMARY}
    fill = raw.get("fill_rate")
    on_hand = raw.get("avg_on_hand_by_type")
    network = raw.get("network_shortage_total")
    return ev.RunSummary(
        **number, planning_days=max(int(raw.get("planning_days") or 0), 0),
        fill_rate=min(max(float(fill), 0.0), 1.0) if isinstance(fill, int | float) else 0.0,
        network_shortage_total=float(network) if isinstance(network, int | float) else None,
        avg_on_hand_by_type={k: float(v) for k, v in on_hand.items() if isinstance(v, int | float)}
        if isinstance(on_hand, dict) else {},
        backorder_peak_day=int(raw.get("backorder_peak_day") or 0),
        top_shortage_items=[i for i in raw.get("top_shortage_items") or [] if isinstance(i, dict)])


def run(row: dict[str, Any], ctx: Context) -> RowImport:
    rid = row["run_id"]
    pv = row["plan_version_id"] or NO_PLAN
    sid, cfg = row["scenario_id"], row["config_version_id"]
    started = at(row["started_at"])
    duration = float(row["duration_ms"] or 0)
    out = ctx.row("runs", rid, {"run_id": rid, "plan_version_id": pv, "scenario_id": ctx.scenario_id(sid),
                                "config_version_id": ctx.config_version_id(cfg)})
    job = row["plan_job_id"] or str(event_id(ctx.source, "runs", rid, "job"))
    daily = daily_results(rid, loads(row.get("results"), None), loads(row.get("daily_profit_loss"), None),
                          loads(row.get("cost_trace"), None), ctx.node_types.get(cfg, {}))
    if daily is not None:
        out.objects.append(StoredObject("daily_results", subjects.RESULTS_BUCKET, f"{rid}.json.gz", daily,
                                        "application/gzip"))
    out.events.append(ev.RunCompleted(
        **ctx.envelope("runs", rid, "completed", started + timedelta(milliseconds=duration), job), run_id=rid,
        plan_version_id=pv, config_version_id=ctx.config_version_id(cfg), scenario_id=ctx.scenario_id(sid),
        scenario_name=ctx.scenario_name(sid), job_id=job, seed=0, started_at=started,
        finished_at=started + timedelta(milliseconds=duration), duration_ms=duration,
        summary=summary(loads(row["summary"], {})), simulator_version=SIMULATOR_VERSION,
        results=out.objects[0].ref() if out.objects else None))
    tags = [IMPORTED_TAG] + ([LEGACY_RUN_TAG] if row["plan_version_id"] is None else [])
    out.events.append(ev.RunTagsChanged(**ctx.envelope("runs", rid, "tags", started, rid), run_id=rid, added=tags,
                                        changed_by=IMPORTER))
    return out


def run_meta(row: dict[str, Any], ctx: Context) -> RowImport:
    """Approval, baseline, archive and note of a run. The original keeps one note per run, edited
    in place: it becomes one note here. A baseline is promoted by whoever approved it."""
    rid = row["run_id"]
    out = ctx.row("runs_meta", rid, {"run_id": rid})
    scen = ctx.scenario_id(ctx.run_scenarios.get(rid))
    who = row["approved_by"] or IMPORTER
    when = at(row["approved_at"]) if row["approved_at"] else datetime.now(UTC)

    def env(kind: str) -> dict[str, Any]:
        return ctx.envelope("runs_meta", rid, kind, when, rid)
    if row["approved_at"]:
        out.events.append(ev.RunApproved(**env("approved"), run_id=rid, scenario_id=scen, approved_by=who))
    if row["baseline"]:
        out.events.append(ev.BaselinePromoted(**env("baseline"), run_id=rid, scenario_id=scen, promoted_by=who))
    if row["archived"]:
        out.events.append(ev.RunArchived(**env("archived"), run_id=rid, archived_by=IMPORTER))
    if (note := (row["note"] or "").strip()):
        note_id = str(event_id(ctx.source, "runs_meta", rid, "note"))
        out.events.append(ev.RunNoteAdded(**env("note"), run_id=rid, note_id=note_id, text=note[:NOTE_MAX], author=who))
    return out
