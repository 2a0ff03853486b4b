"""Rows of an original scpln database → facts of this system (pure; no I/O).

Ids: ``run_id`` and ``plan_version_id`` are kept; the original's integer ids become
``legacy-scenario-<id>`` and ``legacy-config-<id>``. Every event id is a uuid5 of the source
row and the fact's kind, so the same row always gives the same events (the stream drops a
repeat within its duplicate window; beyond it, the markers say what is already in)."""

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from contracts import events as ev
from contracts import subjects
from contracts.envelope import Envelope
from contracts.legacy import IMPORTED_TAG, LEGACY_PRODUCER, LEGACY_RUN_TAG, NO_PLAN, LegacyRowImported
from contracts.run_meta import NOTE_MAX
from runtime.objects import artifact_ref
from scpln.legacy.results import daily_results
from scpln.legacy.source import loads

NAMESPACE = uuid5(NAMESPACE_URL, "https://scpln/legacy-import")
IMPORTER = "legacy-import"
SIMULATOR_VERSION = "scpln-original"
NUMERIC_SUMMARY = ("store_demand_total", "store_sales_total", "customer_shortage_total", "backorder_peak",
                   "revenue_total", "cost_total", "penalty_total", "profit_total", "profit_per_day_avg")


def scenario_id(legacy_id: object) -> str:
    return f"legacy-scenario-{legacy_id}"


def config_version_id(legacy_id: object) -> str:
    return f"legacy-config-{legacy_id}"


def event_id(table: str, key: str, kind: str) -> UUID:
    return uuid5(NAMESPACE, f"{table}/{key}/{kind}")


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

    table: str
    key: str
    ids: dict[str, str]
    objects: list[StoredObject] = field(default_factory=list)
    events: list[Envelope] = field(default_factory=list)

    def marker(self, sha256: str, source_file: str) -> LegacyRowImported:
        return LegacyRowImported(
            event_id=event_id(self.table, self.key, "marker"), correlation_id=f"{self.table}/{self.key}",
            producer=LEGACY_PRODUCER, imported_from=sha256, source_file=source_file, table=self.table,
            source_key=self.key, ids=self.ids, event_ids=[str(e.event_id) for e in self.events],
            occurred_at=self.events[0].occurred_at if self.events else datetime.now(UTC))


@dataclass
class Context:
    """What rows need of other rows: scenario names, config documents, runs' scenarios."""

    scenario_names: dict[int, str] = field(default_factory=dict)
    config_refs: dict[int, ev.ArtifactRef] = field(default_factory=dict)
    run_scenarios: dict[str, int | None] = field(default_factory=dict)
    node_types: dict[int, dict[str, str]] = field(default_factory=dict)
    """Per config version, each node's type (canonical_nodes), for the daily results."""

    def scenario_name(self, legacy_id: int | None) -> str:
        if legacy_id is None:
            return "(no scenario)"
        return self.scenario_names.get(legacy_id, f"(deleted scenario {legacy_id})")


def _envelope(table: str, key: str, kind: str, when: datetime, correlation: str) -> dict[str, Any]:
    return {"event_id": event_id(table, key, kind), "occurred_at": when, "correlation_id": correlation,
            "causation_id": f"legacy:{table}/{key}", "producer": LEGACY_PRODUCER}


def scenario(row: dict[str, Any]) -> RowImport:
    sid, key, when = scenario_id(row["id"]), str(row["id"]), at(row["created_at"])
    out = RowImport("scenarios", key, {"scenario_id": sid})
    parent = scenario_id(row["parent_id"]) if row["parent_id"] is not None else None
    out.events.append(ev.ScenarioCreated(**_envelope("scenarios", key, "created", when, sid), scenario_id=sid,
                                         name=row["name"] or sid, description=row["description"] or "",
                                         tag=row["tag"] or "", parent_id=parent))
    if row["locked"]:
        out.events.append(ev.ScenarioLocked(**_envelope("scenarios", key, "locked", at(row.get("updated_at")), sid),
                                            scenario_id=sid, locked_by=IMPORTER))
    return out


def config_document(row: dict[str, Any], children: dict[str, list[dict[str, Any]]]) -> bytes:
    """The original's config version as it stored it: its row and its child tables' rows."""
    doc = {"format": "scpln-original/canonical_config_version", "version": row, "tables": children}
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), default=str).encode()


def config(row: dict[str, Any], children: dict[str, list[dict[str, Any]]], sha: str) -> RowImport:
    cid, key = config_version_id(row["id"]), str(row["id"])
    out = RowImport("canonical_config_versions", key, {"config_version_id": cid})
    stored = StoredObject("canonical", subjects.CONFIGS_BUCKET, f"legacy/{sha[:16]}/config-{key}.json",
                          config_document(row, children))
    out.objects.append(stored)
    meta = loads(row.get("metadata_json"), {})
    horizon = meta.get("planning_horizon") if isinstance(meta, dict) else None
    warnings = [{"code": "imported_original_format", "path": "$",
                 "message": "imported from the original scpln: its document is the original's tables, kept as is; "
                            "plans cannot be made from it here"}]
    if row.get("is_deleted"):
        warnings.append({"code": "deleted_in_original", "path": "$", "message": "soft-deleted in the original"})
    ref = stored.ref()
    out.events.append(ev.ConfigVersionCreated(
        **_envelope(out.table, key, "created", at(row["created_at"]), cid), config_version_id=cid,
        name=row["name"] or cid, version_tag=row.get("version_tag") or "", sha256=ref.sha256, document=ref,
        planning_days=horizon if isinstance(horizon, int) and horizon >= 0 else 0,
        counts={name.removeprefix("canonical_"): len(rows) for name, rows in children.items()}, warnings=warnings))
    return out


def plan(row: dict[str, Any], artifacts: list[dict[str, Any]], run_ids: list[str], ctx: Context,
         sha: str) -> RowImport:
    pv, when = row["version_id"], at(row["created_at"])
    out = RowImport("plan_versions", pv, {"plan_version_id": pv})
    legacy_fields = {k: v for k, v in row.items() if k != "version_id"}
    objects = [StoredObject("legacy_plan_version", subjects.ARTIFACTS_BUCKET, f"legacy/{sha[:16]}/{pv}/plan_version.json",
                            json.dumps(legacy_fields, sort_keys=True, default=str).encode())]
    objects += [StoredObject(a["name"].removesuffix(".json"), subjects.ARTIFACTS_BUCKET,
                             f"legacy/{sha[:16]}/{pv}/{a['name']}", (a["json_text"] or "null").encode())
                for a in artifacts]
    out.objects.extend(objects)
    cfg = row["config_version_id"]
    config_ref = ctx.config_refs.get(cfg) if cfg is not None else None
    sim_job = str(event_id("plan_versions", pv, "simulation_job"))
    out.events.append(ev.PlanCreated(
        **_envelope(out.table, pv, "created", when, pv), plan_version_id=pv,
        config_version_id=config_version_id(cfg), base_scenario_id=scenario_id(row["base_scenario_id"]),
        scenario_name=ctx.scenario_name(row["base_scenario_id"]),
        job_id=str(event_id("plan_versions", pv, "planning_job")), seed=0,
        config=config_ref or objects[0].ref(), artifacts=[o.ref() for o in objects], simulation_job_id=sim_job))
    out.events.append(ev.JobProgress(
        **_envelope(out.table, pv, "simulation_job", when, sim_job), job_id=sim_job, job_type=ev.JobType.simulation,
        state=ev.JobState.succeeded, progress=1.0, step="imported", message="run in the original scpln, imported",
        plan_version_id=pv, run_id=run_ids[0] if run_ids else None))
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
    sid = row["scenario_id"]
    started = at(row["started_at"])
    duration = float(row["duration_ms"] or 0)
    cfg = row["config_version_id"]
    out = RowImport("runs", rid, {"run_id": rid, "plan_version_id": pv,
                                  "scenario_id": scenario_id(sid) if sid is not None else "",
                                  "config_version_id": config_version_id(cfg) if cfg is not None else ""})
    job = row["plan_job_id"] or str(event_id("runs", rid, "job"))
    daily = daily_results(rid, loads(row.get("results"), None), loads(row.get("daily_profit_loss"), None),
                          loads(row.get("cost_trace"), None), ctx.node_types.get(cfg, {}))
    if daily is not None:
        out.objects.append(StoredObject("daily_results", subjects.RESULTS_BUCKET, f"{rid}.json.gz", daily,
                                        "application/gzip"))
    out.events.append(ev.RunCompleted(
        **_envelope("runs", rid, "completed", started + timedelta(milliseconds=duration), job), run_id=rid,
        plan_version_id=pv, config_version_id=config_version_id(cfg) if cfg is not None else "legacy-config-none",
        scenario_id=scenario_id(sid) if sid is not None else "legacy-scenario-none",
        scenario_name=ctx.scenario_name(sid), job_id=job, seed=0, started_at=started,
        finished_at=started + timedelta(milliseconds=duration), duration_ms=duration,
        summary=summary(loads(row["summary"], {})), simulator_version=SIMULATOR_VERSION,
        results=out.objects[0].ref() if out.objects else None))
    tags = [IMPORTED_TAG] + ([LEGACY_RUN_TAG] if row["plan_version_id"] is None else [])
    out.events.append(ev.RunTagsChanged(**_envelope("runs", rid, "tags", started, rid), run_id=rid, added=tags,
                                        changed_by=IMPORTER))
    return out


def run_meta(row: dict[str, Any], ctx: Context) -> RowImport:
    """Approval, baseline, archive and note of a run. The original keeps one note per run, edited
    in place: it becomes one note here. A baseline is promoted by whoever approved it."""
    rid = row["run_id"]
    out = RowImport("runs_meta", rid, {"run_id": rid})
    sid = ctx.run_scenarios.get(rid)
    scen = scenario_id(sid) if sid is not None else "legacy-scenario-none"
    who = row["approved_by"] or IMPORTER
    when = at(row["approved_at"]) if row["approved_at"] else datetime.now(UTC)

    def env(kind: str) -> dict[str, Any]:
        return _envelope("runs_meta", rid, kind, when, rid)
    if row["approved_at"]:
        out.events.append(ev.RunApproved(**env("approved"), run_id=rid, scenario_id=scen, approved_by=who))
    if row["baseline"]:
        out.events.append(ev.BaselinePromoted(**env("baseline"), run_id=rid, scenario_id=scen, promoted_by=who))
    if row["archived"]:
        out.events.append(ev.RunArchived(**env("archived"), run_id=rid, archived_by=IMPORTER))
    if (note := (row["note"] or "").strip()):
        out.events.append(ev.RunNoteAdded(**env("note"), run_id=rid, note_id=str(event_id("runs_meta", rid, "note")),
                                          text=note[:NOTE_MAX], author=who))
    return out
