"""Read-only queries on plan reviews: the PSI grid of a level (derived measures computed here:
aggregate backlog = demand − supply; detail on hand and backlog from the SKU's opening stock and
the running sum of supply − demand, backorders served first), the review state, the audit trail
and the weights. Quantities are stored in millionths and answered as numbers."""

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Row, func, select, text

from contracts import review_queries as rq
from contracts.psi import PsiWeight, parse_key, row_key
from services.run_registry import db
from services.run_registry.queries import NotFound, _plan_rows, position

U = 1_000_000
_LABELS = {"open": "open", "edit": "edit", "lock": "lock", "unlock": "unlock", "reconcile": "reconcile",
           "weight": "weight", "revise": "revision stored", "submit": "submit", "approve": "approve",
           "reject": "reject", "superseded": "superseded"}
_MATCH = "(:q IS NULL OR instr(lower({}), :q) > 0)"
_TEXT = {"aggregate": "period || ' ' || family", "det": "week || ' ' || sku || ' ' || family || ' ' || period"}
_AGGREGATE = text(f"""
WITH below AS (SELECT family, period, sum(demand) AS d, sum(supply) AS s FROM psi_detail
               WHERE plan_version_id = :pv GROUP BY family, period)
SELECT a.*, coalesce(b.d, 0) AS detail_demand, coalesce(b.s, 0) AS detail_supply
FROM psi_aggregate a LEFT JOIN below b ON b.family = a.family AND b.period = a.period
WHERE a.plan_version_id = :pv AND {_MATCH.format("a.period || ' ' || a.family")}
ORDER BY a.family_index, a.period_index LIMIT :limit OFFSET :offset""")
_DETAIL = text(f"""
WITH running AS (
  SELECT *, opening + sum(supply - demand) OVER (PARTITION BY sku_index ORDER BY week_index) AS net_end
  FROM psi_detail WHERE plan_version_id = :pv)
SELECT * FROM running WHERE {_MATCH.format("week || ' ' || sku || ' ' || family || ' ' || period")}
ORDER BY sku_index, week_index LIMIT :limit OFFSET :offset""")
_COUNT = {level: text(f"SELECT count(*) FROM psi_{'aggregate' if level == 'aggregate' else 'detail'} "
                      f"WHERE plan_version_id = :pv AND {_MATCH.format(haystack)}") for level, haystack in _TEXT.items()}
_DISAGREEING = text("""
SELECT count(*) FROM psi_aggregate a
JOIN (SELECT family, period, sum(demand) AS d, sum(supply) AS s FROM psi_detail WHERE plan_version_id = :pv
      GROUP BY family, period) b ON b.family = a.family AND b.period = a.period
WHERE a.plan_version_id = :pv AND (a.demand != b.d OR a.supply != b.s)""")
_RUN_REVISIONS = text("""
SELECT r.run_id, CASE WHEN s.supply_plan_sha256 = :source THEN 0 ELSE v.revision END AS revision
FROM runs r JOIN simulation_requests s ON s.job_id = r.job_id
LEFT JOIN plan_revisions v ON v.plan_version_id = r.plan_version_id AND v.sha256 = s.supply_plan_sha256
WHERE r.plan_version_id = :pv AND s.supply_plan_sha256 IS NOT NULL""")


def _field(level: str, measure: str) -> str:
    return "supply_plan" if level == "det" and measure == "supply" else measure


def _review(conn: Connection, plan_version_id: str) -> Row[Any] | None:
    return conn.execute(select(db.plan_reviews).where(db.plan_reviews.c.plan_version_id == plan_version_id)).first()


def _status(conn: Connection, plan_version_id: str) -> str:
    found = _plan_rows(conn, db.plans.c.plan_version_id == plan_version_id)
    if not found:
        raise NotFound("plan", plan_version_id)
    return str(found[0]["status"])


def _cells(level: str, row: dict[str, Any]) -> dict[str, Any]:
    """The set measures of a row as the original named them, with their pipeline values and flags."""
    supply = "supply_plan" if level == "det" else "supply"
    demand, supplied, demand_was, supply_was = row["demand"], row["supply"], row["demand_original"], row["supply_original"]
    return {"demand": demand / U, supply: supplied / U,
            "original": {"demand": demand_was / U, supply: supply_was / U},
            "edited": [f for f, now, was in (("demand", demand, demand_was), (supply, supplied, supply_was)) if now != was],
            "locked": [f for f, locked in (("demand", row["demand_locked"]), (supply, row["supply_locked"])) if locked]}


def _aggregate_row(row: Any) -> dict[str, Any]:
    return {"period": row["period"], "family": row["family"], **_cells("aggregate", row),
            "backlog": (row["demand"] - row["supply"]) / U,
            "detail": {"demand": row["detail_demand"] / U, "supply": row["detail_supply"] / U},
            "agrees": row["demand"] == row["detail_demand"] and row["supply"] == row["detail_supply"]}


def _detail_row(row: Any) -> dict[str, Any]:
    net_end, net_start = row["net_end"], row["net_end"] - row["supply"] + row["demand"]
    return {"week": row["week"], "sku": row["sku"], "family": row["family"], "period": row["period"],
            **_cells("det", row), "backlog": max(-net_end, 0) / U, "on_hand_start": max(net_start, 0) / U,
            "on_hand_end": max(net_end, 0) / U}


def get_psi(conn: Connection, query: rq.GetPsi) -> rq.PsiPage:
    review = _review(conn, query.plan_version_id)
    base = {"plan_version_id": query.plan_version_id, "level": query.level, **position(conn)}
    if review is None:
        return rq.PsiPage(**base, opened=False, plan_status=_status(conn, query.plan_version_id))  # type: ignore[arg-type]
    params = {"pv": query.plan_version_id, "q": query.q.strip().lower() if query.q and query.q.strip() else None,
              "limit": query.limit, "offset": query.offset}
    result = conn.execute(_AGGREGATE if query.level == "aggregate" else _DETAIL, params)
    keys, make = list(result.keys()), _aggregate_row if query.level == "aggregate" else _detail_row
    rows = [make(dict(zip(keys, found, strict=True))) for found in result]
    total = conn.execute(_COUNT[query.level], params).scalar() or 0
    return rq.PsiPage(**base, opened=True, plan_status="ready", state=review.state, revision=review.revision,
                      total=total, rows=rows, locks=lock_keys(conn, query.plan_version_id, query.level))


def lock_keys(conn: Connection, plan_version_id: str, level: str) -> list[str]:
    table = db.psi_aggregate if level == "aggregate" else db.psi_detail
    period, key = (table.c.period, table.c.family) if level == "aggregate" else (table.c.week, table.c.sku)
    locked = conn.execute(select(period, key, table.c.demand_locked, table.c.supply_locked).where(
        table.c.plan_version_id == plan_version_id, (table.c.demand_locked | table.c.supply_locked)))
    keys = []
    for p, k, demand, supply in locked:
        row = row_key(level, p, k)
        keys += [row] if demand and supply else [f"{row}:field={_field(level, 'demand' if demand else 'supply')}"]
    return sorted(keys)


def get_psi_state(conn: Connection, query: rq.GetPsiState) -> rq.PsiStateReply:
    status = _status(conn, query.plan_version_id)
    review = _review(conn, query.plan_version_id)
    base = {"plan_version_id": query.plan_version_id, "plan_status": status, **position(conn)}
    if review is None:
        return rq.PsiStateReply(**base, opened=False)  # type: ignore[arg-type]
    revisions = conn.execute(select(db.plan_revisions).where(
        db.plan_revisions.c.plan_version_id == query.plan_version_id).order_by(db.plan_revisions.c.revision))
    params = {"pv": query.plan_version_id, "source": review.source["sha256"]}
    runs = {r.run_id: r.revision for r in conn.execute(_RUN_REVISIONS, params) if r.revision is not None}
    values = {k: v for k, v in review._mapping.items() if k in rq.PsiStateReply.model_fields and k not in base}
    return rq.PsiStateReply(**base, **values, opened=True, disagreements=conn.execute(_DISAGREEING, params).scalar() or 0,
                            revisions=[rq.PlanRevisionRow(revision=r.revision, supply_plan=r.supply_plan, at=r.at)
                                       for r in revisions], run_revisions=runs)


def get_psi_audit(conn: Connection, query: rq.GetPsiAudit) -> rq.PsiAudit:
    _status(conn, query.plan_version_id)
    audit = db.psi_audit
    where = [audit.c.plan_version_id == query.plan_version_id]
    if query.level is not None:
        where.append(audit.c.level == query.level)
    if query.q and query.q.strip():
        needle = query.q.strip().lower()
        haystack = func.lower(audit.c.note + " " + audit.c.actor + " " + audit.c.event_type + " " + audit.c["keys"])
        where.append(func.instr(haystack, needle) > 0)
    rows = conn.execute(select(audit).where(*where).order_by(audit.c.seq.desc()).limit(query.limit).offset(query.offset))
    total = conn.execute(select(func.count()).select_from(audit).where(*where)).scalar() or 0
    return rq.PsiAudit(plan_version_id=query.plan_version_id, total=total, events=[_entry(r) for r in rows],
                       **position(conn))


def _entry(row: Row[Any]) -> rq.PsiAuditEntry:
    at: datetime = row.at.astimezone(UTC)
    keys: list[str] = row._mapping["keys"]
    preview = json.dumps(row.payload, ensure_ascii=False, sort_keys=True)
    return rq.PsiAuditEntry(
        event_id=row.seq, event_type=row.event_type, display_event=_LABELS.get(row.event_type, row.event_type),
        timestamp=int(at.timestamp() * 1000), display_time=at.isoformat().replace("+00:00", "Z"), actor=row.actor,
        notes=row.note, level=row.level, revision=row.revision, key_hash=keys[0] if keys else None,
        key_display=_display(keys[0]) if keys else "", payload=row.payload | {"cells": row.cells},
        payload_preview=preview if len(preview) <= 160 else preview[:157] + "...")


def _display(key: str) -> str:
    try:
        _level, period, name, measure = parse_key(key)
    except ValueError:
        return key
    return f"{period} / {name}" + (f" / {measure}" if measure else "")


def get_psi_weights(conn: Connection, query: rq.GetPsiWeights) -> rq.PsiWeightsPage:
    _status(conn, query.plan_version_id)
    table = db.psi_weights
    rows = conn.execute(select(table.c.key, table.c.weight).where(
        table.c.plan_version_id == query.plan_version_id).order_by(table.c.key))
    return rq.PsiWeightsPage(plan_version_id=query.plan_version_id, rows=[PsiWeight(key=k, weight=w) for k, w in rows],
                             **position(conn))
