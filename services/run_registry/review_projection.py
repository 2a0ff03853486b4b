"""The registry's projection of plan review facts: PSI cells at both levels (quantities in
millionths, so sums are exact), locks, weights, the review state, the supply plans of revisions
and the audit trail (one row per fact). Pure, like ``projections``; imported there to register."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from contracts import events as ev
from contracts.psi import PsiCell, PsiCellValue, cell_key
from services.run_registry.projections import Change, Update, Upsert, _applies, aware

AUDIT_KEYS = 20
"""Keys an audit row names (the cells count says how many there were)."""


def units(value: float) -> int:
    return round(value * 1_000_000)


def _key(plan_version_id: str, cell: PsiCell) -> tuple[str, dict[str, Any]]:
    if cell.level == "aggregate":
        return "psi_aggregate", {"plan_version_id": plan_version_id, "family": cell.key, "period": cell.period}
    return "psi_detail", {"plan_version_id": plan_version_id, "sku": cell.key, "week": cell.period}


def _set(plan_version_id: str, cells: list[PsiCellValue], by: str, at: datetime) -> list[Change]:
    return [Update(*_key(plan_version_id, c), {c.measure: units(c.value), "edited_by": by, "edited_at": at})
            for c in cells]


def _audit(event: Any, seq: int, kind: str, *, level: str | None = None, keys: Sequence[str] = (), cells: int = 0,
           payload: dict[str, Any] | None = None, note: str = "", actor: str = "", plan_version_id: str | None = None,
           revision: int | None = None) -> Upsert:
    """The fact's row in its plan's audit trail (another plan's, for one it supersedes)."""
    return Upsert("psi_audit", {
        "plan_version_id": plan_version_id or event.plan_version_id, "seq": seq, "event_type": kind,
        "at": aware(event.occurred_at), "actor": actor or getattr(event, "by", ""), "note": note, "level": level,
        "revision": getattr(event, "revision", 0) if revision is None else revision, "cells": cells,
        "keys": list(keys)[:AUDIT_KEYS], "payload": payload or {}})


def _review(plan_version_id: str, **values: Any) -> Update:
    return Update("plan_reviews", {"plan_version_id": plan_version_id}, values)


@_applies(ev.PlanPsiBaselined)
def _(event: ev.PlanPsiBaselined, seq: int) -> list[Change]:
    pv, changes = event.plan_version_id, []
    periods = {p.label: i for i, p in enumerate(event.periods)}
    families = list(dict.fromkeys(row.family for row in event.aggregate))
    for row in event.aggregate:
        demand, supply = units(row.demand), units(row.supply)
        changes.append(Upsert("psi_aggregate", {
            "plan_version_id": pv, "family": row.family, "period": row.period, "family_index": families.index(row.family),
            "period_index": periods[row.period], "demand": demand, "supply": supply, "demand_original": demand,
            "supply_original": supply}))
    weeks = [(week.label, week.period) for week in event.weeks]
    for i, sku in enumerate(event.skus, start=event.first_sku):
        opening = units(sku.opening)
        for w, ((label, period), wanted, planned) in enumerate(zip(weeks, sku.demand, sku.supply)):
            demand, supply = round(wanted * 1_000_000), round(planned * 1_000_000)  # units(), inlined: many cells
            changes.append(Upsert("psi_detail", {
                "plan_version_id": pv, "sku": sku.sku, "week": label, "sku_index": i, "week_index": w,
                "family": sku.family, "period": period, "opening": opening, "demand": demand,
                "supply": supply, "demand_original": demand, "supply_original": supply}))
    return changes


@_applies(ev.PlanReviewOpened)
def _(event: ev.PlanReviewOpened, seq: int) -> list[Change]:
    row = {"plan_version_id": event.plan_version_id, "base_scenario_id": event.base_scenario_id, "state": "draft",
           "revision": 0, "source": event.source.model_dump(mode="json"), "opened_by": event.by,
           "opened_at": aware(event.occurred_at)}
    return [Upsert("plan_reviews", row), _audit(event, seq, "open", payload={"parts": event.parts})]


@_applies(ev.PlanPsiEdited)
def _(event: ev.PlanPsiEdited, seq: int) -> list[Change]:
    at, cells = aware(event.occurred_at), [*event.cells, *event.distributed, *event.rolled_up]
    payload = {"values": {cell_key(c): c.value for c in event.cells[:AUDIT_KEYS]},
               "distributed": len(event.distributed), "rolled_up": len(event.rolled_up)}
    if event.distribution is not None:
        payload["distribution"] = event.distribution.model_dump(mode="json")
    return [*_set(event.plan_version_id, cells, event.by, at), _review(event.plan_version_id, revision=event.revision),
            _audit(event, seq, "edit", level=event.level, keys=[cell_key(c) for c in event.cells], cells=len(cells),
                   payload=payload, note=event.note)]


@_applies(ev.PlanPsiLocksChanged)
def _(event: ev.PlanPsiLocksChanged, seq: int) -> list[Change]:
    changes: list[Change] = [Update(*_key(event.plan_version_id, c), {f"{c.measure}_locked": locked})
                             for cells, locked in ((event.locked, True), (event.unlocked, False)) for c in cells]
    level = next((c.level for c in [*event.locked, *event.unlocked]), None)
    keys = [cell_key(c) for c in [*event.locked, *event.unlocked]]
    payload = {"locked": len(event.locked), "unlocked": len(event.unlocked)}
    return [*changes, _audit(event, seq, "lock" if event.locked else "unlock", level=level, keys=keys,
                             cells=len(keys), payload=payload, note=event.note)]


@_applies(ev.PlanPsiReconciled)
def _(event: ev.PlanPsiReconciled, seq: int) -> list[Change]:
    payload = {"groups": event.groups, "rounding": {m: r.model_dump(mode="json") for m, r in event.rounding.items()}}
    return [*_set(event.plan_version_id, event.cells, event.by, aware(event.occurred_at)),
            _review(event.plan_version_id, revision=event.revision),
            _audit(event, seq, "reconcile", keys=[cell_key(c) for c in event.cells], cells=len(event.cells),
                   payload=payload, note=event.note)]


@_applies(ev.PlanPsiWeightsSet)
def _(event: ev.PlanPsiWeightsSet, seq: int) -> list[Change]:
    at = aware(event.occurred_at)
    rows = [Upsert("psi_weights", {"plan_version_id": event.plan_version_id, "key": w.key, "weight": w.weight,
                                   "set_by": event.by, "set_at": at}) for w in event.weights]
    payload = {"weights": {w.key: w.weight for w in event.weights[:AUDIT_KEYS]}}
    return [*rows, _audit(event, seq, "weight", keys=[w.key for w in event.weights], cells=len(event.weights),
                          payload=payload, note=event.note)]


@_applies(ev.PlanRevised)
def _(event: ev.PlanRevised, seq: int) -> list[Change]:
    row = {"plan_version_id": event.plan_version_id, "revision": event.revision,
           "supply_plan": event.supply_plan.model_dump(mode="json"), "sha256": event.supply_plan.sha256,
           "at": aware(event.occurred_at)}
    payload = {"supply_plan": event.supply_plan.key, "changed_cells": event.changed_cells}
    return [Upsert("plan_revisions", row), _audit(event, seq, "revise", payload=payload, actor="plan_service")]


@_applies(ev.PlanSubmitted)
def _(event: ev.PlanSubmitted, seq: int) -> list[Change]:
    at = aware(event.occurred_at)
    return [_review(event.plan_version_id, state="submitted", last_decision="submitted", revision=event.revision,
                    submitted_by=event.by, submitted_at=at, submitted_note=event.note),
            _audit(event, seq, "submit", payload={"supply_plan": event.supply_plan.key}, note=event.note)]


@_applies(ev.PlanApproved)
def _(event: ev.PlanApproved, seq: int) -> list[Change]:
    at = aware(event.occurred_at)
    changes: list[Change] = [
        _review(event.plan_version_id, state="approved", last_decision="approved", approved_by=event.by,
                approved_at=at, reason=event.note),
        _audit(event, seq, "approve", payload={"supersedes": event.supersedes, "submitted_by": event.submitted_by},
               note=event.note)]
    if event.supersedes:
        changes += [_review(event.supersedes, state="superseded", superseded_by=event.plan_version_id, superseded_at=at),
                    _audit(event, seq, "superseded", plan_version_id=event.supersedes, revision=-1,
                           payload={"by_plan": event.plan_version_id})]
    return changes


@_applies(ev.PlanRejected)
def _(event: ev.PlanRejected, seq: int) -> list[Change]:
    at = aware(event.occurred_at)
    return [_review(event.plan_version_id, state="draft", last_decision="rejected", rejected_by=event.by,
                    rejected_at=at, reason=event.reason),
            _audit(event, seq, "reject", note=event.reason, payload={"submitted_by": event.submitted_by})]

