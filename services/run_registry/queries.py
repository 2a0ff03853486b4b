"""Read-only queries over the registry's read models: ``(conn, query) -> reply``.

Every function answers with the contracts model of its query and fills ``last_seq`` from the
checkpoint; ``lag`` stays 0 here (the NATS wiring knows the stream and fills it). Unknown ids
raise ``NotFound``; a malformed cursor raises ``InvalidQuery``.
"""

import base64
import binascii
import json
from typing import Any

from sqlalchemy import (
    Connection,
    Row,
    and_,
    bindparam,
    case,
    func,
    literal_column,
    select,
    text,
    tuple_,
    type_coerce,
)

from contracts import queries as q
from contracts.distribution import KpiDistribution, kpi_distributions
from contracts.envelope import INT64_MAX
from contracts.events import RunSummary
from contracts.kpis import KPIS
from contracts.overrides import ScenarioOverride
from services.run_registry import db, imports, meta_queries
from services.run_registry.job_history import job_history
from services.run_registry.run_counts import DROPPED, DUPLICATE_FINAL_FACTS, UNDECODABLE

runs, plans, jobs, aggregates = db.runs, db.plans, db.jobs, db.aggregates
ROWID = literal_column("rowid")
_RUN_FIELDS = tuple(q.RunRow.model_fields)
STATUS_COUNTER = "runs:{}"
NAME_COUNTER = "runs_named:{}"
_STATUSES = ("succeeded", "failed")
_SELECTIVE = ("plan_version_id", "scenario_id", "config_version_id")
PREFIX_END = "\uffff"
"""Above every character of an id: ``prefix <= id < prefix + PREFIX_END`` is "id starts with prefix", a range
the plan version index answers (SQLite compares text bytewise, and ids are ASCII)."""
_LAST_SEQ = "checkpoint:last_seq"
_COUNTS = text(f"""
SELECT '{_LAST_SEQ}', coalesce(max(last_seq), 0) FROM checkpoint
UNION ALL
SELECT name, value FROM counters WHERE name IN ('runs:succeeded', 'runs:failed')
   OR (:needle IS NOT NULL AND name > 'runs_named:' AND name < 'runs_named;' AND value > 0
       AND instr(substr(name, 12), :needle) > 0)""")
"""The projection's position, the run counts by status and, when a scenario name is asked
for, by each stored lower-case scenario name containing it (``RunCounts`` keeps them exact;
a name whose runs are all gone counts 0 and is left out). One statement: the run list's
fixed cost is mostly per statement."""


_NAMES = bindparam("scenario_names", expanding=True)


class NotFound(LookupError):
    """No row with this id; ``error_code`` is the contracts ErrorCode to answer with."""

    def __init__(self, kind: str, id: str, message: str | None = None) -> None:
        super().__init__(f"{kind} {id!r} not found")
        self.kind, self.id = kind, id
        self.error_code = f"{kind}_not_found"
        self.message = message or f"{kind} {id} does not exist"


class InvalidQuery(ValueError):
    """The query cannot be answered as asked (e.g. a cursor from another sort)."""


class NotAllowed(ValueError):
    """The query asks for what the read model cannot give (a comparison with baselines none has)."""


def position(conn: Connection) -> dict[str, int]:
    return {"last_seq": conn.execute(select(func.max(db.checkpoint.c.last_seq))).scalar() or 0, "lag": 0}


def counter(conn: Connection, name: str) -> int:
    return conn.execute(select(db.counters.c.value).where(db.counters.c.name == name)).scalar() or 0


KPI_KEYS = [k.key for k in KPIS]


def run_row(row: Row[Any] | dict[str, Any]) -> q.RunRow:
    data = row._mapping if isinstance(row, Row) else row
    return q.RunRow.model_validate({k: data[k] for k in _RUN_FIELDS if k in data})


def encode_cursor(sort: str, order: str, value: Any, run_id: str) -> str:
    raw = db.UtcMicros().process_bind_param(value, None) if sort.endswith("_at") else value
    return base64.urlsafe_b64encode(json.dumps([sort, order, raw, run_id]).encode()).decode()


def decode_cursor(cursor: str, sort: str, order: str) -> tuple[Any, str]:
    try:
        c_sort, c_order, value, run_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError, binascii.Error) as exc:
        raise InvalidQuery("malformed cursor") from exc
    if (c_sort, c_order) != (sort, order) or not isinstance(run_id, str):
        raise InvalidQuery("the cursor belongs to another sort or order")
    if not _sort_value(value):
        raise InvalidQuery("malformed cursor")
    return value, run_id


def _sort_value(value: Any) -> bool:
    """A value a cursor may hold: none (a run without the KPI), or a number SQLite can bind."""
    if value is None or type(value) is float:
        return True
    return type(value) is int and -INT64_MAX - 1 <= value <= INT64_MAX


def _unindexed(column: Any) -> Any:
    """The column behind SQLite's unary +, which keeps the planner off its index."""
    return type_coerce(literal_column(f"+runs.{column.name}"), column.type)


def _counts(conn: Connection, query: q.ListRuns) -> tuple[dict[str, int], list[str] | None]:
    """(run counters, the lower-case scenario names matching the query's or None)."""
    needle = query.scenario_name.lower() if query.scenario_name else None
    counts: dict[str, int] = dict(conn.execute(_COUNTS, {"needle": needle}).all())  # type: ignore[arg-type]
    if needle is None:
        return counts, None
    prefix = NAME_COUNTER.format("")
    return counts, sorted(name[len(prefix):] for name in counts if name.startswith(prefix))


def _run_filters(query: q.ListRuns, names: list[str] | None, indexed: bool = True) -> list[Any]:
    """WHERE clauses of a run list. Not ``indexed``: only ``status`` may steer the planner
    (its indexes pair it with every sort key); the others are tested row by row."""
    col = (lambda name: runs.c[name]) if indexed else (lambda name: _unindexed(runs.c[name]))
    clauses = [col(name) == getattr(query, name) for name in _SELECTIVE if getattr(query, name) is not None]
    if query.plan_version_prefix:
        plan = col("plan_version_id")
        clauses += [plan >= query.plan_version_prefix, plan < query.plan_version_prefix + PREFIX_END]
    if query.status is not None:
        clauses.append(runs.c.status == query.status)
    if query.since is not None:
        clauses.append(col("started_at") >= query.since)
    if query.until is not None:
        clauses.append(col("started_at") < query.until)
    if names is not None:
        clauses.append(col("scenario_name_lc").in_(_NAMES))
    return clauses


def _names_param(names: list[str] | None) -> dict[str, list[str]]:
    return {} if names is None else {_NAMES.key: names}


def _counters_sum(conn: Connection, names: list[str]) -> int:
    return conn.execute(select(func.sum(db.counters.c.value)).where(db.counters.c.name.in_(names))).scalar() or 0


def _totals(conn: Connection, query: q.ListRuns, where: list[Any], counts: dict[str, int],
            names: list[str] | None) -> tuple[int, int]:
    """(filtered, all) run counts; from the cached counters when no filter or one alone
    (status, or scenario name) applies, else by COUNT over the filter's index."""
    all_runs = sum(counts.get(STATUS_COUNTER.format(s), 0) for s in _STATUSES)
    if not where:
        return all_runs, all_runs
    if len(where) == 1 and query.status is not None:
        return counts.get(STATUS_COUNTER.format(query.status), 0), all_runs
    if len(where) == 1 and names is not None:
        return sum(counts[NAME_COUNTER.format(n)] for n in names), all_runs
    count = select(func.count()).select_from(runs).where(*where)
    return conn.execute(count, _names_param(names)).scalar() or 0, all_runs


def _scan_sort_index(query: q.ListRuns, total: int, all_runs: int, offset: int) -> bool:
    """Walk the sort key's index testing each row, rather than gather the filtered rows and
    sort them, when that reads fewer rows (the filter keeps a large share of the runs).
    Plan, scenario and config filters are selective: their own indexes always win. A plan version prefix may
    be broad (``plan_``): its range is read in its index only when it holds a small share of the runs."""
    if any(getattr(query, name) is not None for name in _SELECTIVE) or meta_queries.selective(query):
        return False
    if imports.selective(query) or query.origin is not None:
        return False
    if query.sort == "started_at" and query.scenario_name is None and not query.plan_version_prefix:
        return False
    return total > 0 and (offset + query.limit) * all_runs < total * total


def _order(query: q.ListRuns, backwards: bool = False) -> tuple[Any, list[Any]]:
    key = db.SORT_COLUMNS[query.sort]
    if (query.order == "desc") != backwards:
        return key, [key.desc(), runs.c.run_id.desc()]
    return key, [key.asc(), runs.c.run_id.asc()]


def _window(query: q.ListRuns, total: int) -> tuple[int, int, bool]:
    """(offset, count, backwards) that fetch rows offset..offset+limit (one more than the
    page, to know whether another follows); a page past the middle is read from the far end."""
    if query.cursor or query.offset <= total // 2:
        return (0 if query.cursor else query.offset), query.limit + 1, False
    last = total - 1 - query.offset
    start = max(0, last - query.limit)
    return start, max(0, last - start + 1), True


def list_runs(conn: Connection, query: q.ListRuns) -> q.RunsPage:
    offset = 0 if query.cursor else query.offset
    counts, names = _counts(conn, query)
    at = {"last_seq": counts.pop(_LAST_SEQ), "lag": 0}
    legacy = imports.run_filters(conn, query)
    where = _run_filters(query, names) + meta_queries.filters(query) + legacy
    total, all_runs = (0, 0) if names == [] else _totals(conn, query, where, counts, names)
    hidden = meta_queries.hidden(query)
    if hidden and total:
        total -= meta_queries.archived_among(conn, where, _names_param(names))
    skip, count, backwards = _window(query, total)
    if count == 0:
        return q.RunsPage(runs=[], total=total, limit=query.limit, offset=offset, **at)
    if where and _scan_sort_index(query, total, all_runs, skip):
        where = _run_filters(query, names, indexed=False) + meta_queries.filters(query, indexed=False) + legacy
    key, order = _order(query, backwards)
    page = select(ROWID).select_from(runs).where(*where, *hidden)
    if query.cursor:
        after, mark = tuple_(key, runs.c.run_id), tuple_(*decode_cursor(query.cursor, query.sort, query.order))
        page = page.where(after < mark if query.order == "desc" else after > mark)
    page = page.order_by(*order).limit(count).offset(skip)
    rows = conn.execute(select(runs, key.label("sort_value")).where(ROWID.in_(page)).order_by(*order),
                        _names_param(names)).all()
    rows = rows[::-1] if backwards else rows
    more, rows = len(rows) > query.limit, rows[: query.limit]
    cursor = encode_cursor(query.sort, query.order, rows[-1].sort_value, rows[-1].run_id) if more else None
    return q.RunsPage(runs=meta_queries.annotate(conn, [run_row(r) for r in rows]), total=total,
                      limit=query.limit, offset=offset, next_cursor=cursor, **at)


def _one(conn: Connection, table: Any, key: str, value: str) -> Row[Any] | None:
    return conn.execute(select(table).where(table.c[key] == value)).first()


_WITH_JOB = plans.outerjoin(jobs, jobs.c.job_id == plans.c.job_id)
_ENDED = jobs.c.state.in_(("failed", "cancelled"))
PLAN_STATUS = case((plans.c.status == "ready", "ready"), (_ENDED, jobs.c.state), else_="planning")
"""A plan is ready once created; until then its planning job says whether it is still planning
or ended without a plan (job states only move forward, so a plan's status does too, except
that a plan created after all, by a worker that was only slow, is ready)."""
_ENDED_WITHOUT_PLAN = and_(plans.c.status != "ready", _ENDED)
_PLAN_COLUMNS = [
    *(c for c in plans.c if c.name != "status"), PLAN_STATUS.label("status"),
    case((_ENDED_WITHOUT_PLAN, jobs.c.step), else_="").label("failed_step"),
    case((_ENDED_WITHOUT_PLAN, jobs.c.message), else_="").label("reason"),
]


def _plan_rows(conn: Connection, *where: Any, limit: int = 1, offset: int = 0) -> list[dict[str, Any]]:
    own = runs.c.plan_version_id == plans.c.plan_version_id
    latest = select(runs).where(own).order_by(runs.c.started_at.desc(), runs.c.run_id.desc()).limit(1)
    stats = [
        select(func.count()).select_from(runs).where(own).scalar_subquery().label("run_count"),
        latest.with_only_columns(runs.c.run_id).scalar_subquery().label("latest_run_id"),
        latest.with_only_columns(runs.c.fill_rate).scalar_subquery().label("latest_fill_rate"),
    ]
    stmt = select(*_PLAN_COLUMNS, *stats).select_from(_WITH_JOB).where(*where).order_by(
        plans.c.created_at.desc(), plans.c.plan_version_id.desc()).limit(limit).offset(offset)
    return [dict(r._mapping) for r in conn.execute(stmt)]


def plan_row(data: dict[str, Any]) -> q.PlanRow:
    return q.PlanRow.model_validate({k: data[k] for k in q.PlanRow.model_fields})


def list_plans(conn: Connection, query: q.ListPlans) -> q.PlansPage:
    where = [plans.c[c] == getattr(query, c) for c in ("base_scenario_id", "config_version_id")
             if getattr(query, c) is not None]
    if query.status is not None:
        where.append(PLAN_STATUS == query.status)
    found = _plan_rows(conn, *where, limit=query.limit, offset=query.offset)
    total = conn.execute(select(func.count()).select_from(_WITH_JOB).where(*where)).scalar() or 0
    return q.PlansPage(plans=[plan_row(p) for p in found], total=total, **position(conn))


def get_plan(conn: Connection, query: q.GetPlan) -> q.PlanDetail:
    found = _plan_rows(conn, plans.c.plan_version_id == query.plan_version_id)
    if not found:
        raise NotFound("plan", query.plan_version_id)
    own = select(runs).where(runs.c.plan_version_id == query.plan_version_id)
    rows = conn.execute(own.order_by(runs.c.started_at.desc(), runs.c.run_id.desc()).limit(1000))
    jobs = select(aggregates).where(aggregates.c.plan_version_id == query.plan_version_id)
    done = conn.execute(jobs.order_by(aggregates.c.requested_at.desc(), aggregates.c.job_id).limit(200))
    return q.PlanDetail(plan=plan_row(found[0]), runs=meta_queries.annotate(conn, [run_row(r) for r in rows]),
                        aggregates=[q.AggregateRow.model_validate(dict(a._mapping)) for a in done],
                        distribution=plan_distribution(conn, query.plan_version_id),
                        imported=imports.origins(conn, plan=query.plan_version_id, scenario=found[0]["base_scenario_id"],
                                                 config=found[0]["config_version_id"]), **position(conn))


def plan_distribution(conn: Connection, plan_version_id: str) -> list[KpiDistribution]:
    """Each run KPI over every succeeded run of the plan (not only the page of runs listed), in
    the order of contracts/kpis.py."""
    succeeded = select(runs.c.summary).where(runs.c.plan_version_id == plan_version_id, runs.c.status == "succeeded")
    return kpi_distributions((row.summary for row in conn.execute(succeeded)), KPI_KEYS)


def _run_or_404(conn: Connection, run_id: str) -> q.RunRow:
    row = _one(conn, runs, "run_id", run_id)
    if row is None:
        deleted = _one(conn, db.deleted_runs, "run_id", run_id)
        if deleted is not None:
            by = f" by {deleted.deleted_by}" if deleted.deleted_by else ""
            raise NotFound("run", run_id, f"run {run_id} was deleted{by} at "
                                          f"{deleted.deleted_at:%Y-%m-%d %H:%M:%S} UTC (the event log keeps its history)")
        raise NotFound("run", run_id)
    return meta_queries.annotate(conn, [run_row(row)])[0]


def get_run(conn: Connection, query: q.GetRun) -> q.RunDetail:
    run = _run_or_404(conn, query.run_id)
    found = _plan_rows(conn, plans.c.plan_version_id == run.plan_version_id)
    plan = plan_row(found[0]).model_dump(mode="json") | {"options": found[0]["options"]} if found else None
    scenario = _one(conn, db.scenarios, "scenario_id", run.scenario_id)
    config = _one(conn, db.configs, "config_version_id", run.config_version_id)
    return q.RunDetail(
        run=run, plan=plan, imported=imports.origins(conn, run=run.run_id, plan=run.plan_version_id,
                                                     scenario=run.scenario_id, config=run.config_version_id),
        scenario=q.ScenarioRow.model_validate(dict(scenario._mapping)).model_dump(mode="json") if scenario else None,
        config=q.ConfigRow.model_validate(dict(config._mapping)).model_dump(mode="json") if config else None,
        **position(conn))


def compare_runs(conn: Connection, query: q.CompareRuns) -> q.Comparison:
    ids = list(dict.fromkeys(query.run_ids))
    if query.base == "baseline":
        return compare_with_baselines(conn, query, ids)
    base_id = query.base_id or ids[0]
    if base_id not in ids:
        ids.insert(0, base_id)
    found = [_run_or_404(conn, run_id) for run_id in ids]
    kpis = kpi_comparisons(found, base_id, query.threshold, query.keys)
    return q.Comparison(base_id=base_id, runs=found, kpis=kpis, **position(conn))


def compare_with_baselines(conn: Connection, query: q.CompareRuns, ids: list[str]) -> q.Comparison:
    """Each run against its scenario's baseline: the baselines come first (each once), then the
    runs; a run whose scenario has no baseline has no differences. None has one: not_allowed."""
    asked = [_run_or_404(conn, run_id) for run_id in ids]
    baseline_of = meta_queries.baselines_of(conn, sorted({run.scenario_id for run in asked}))
    if not baseline_of:
        raise NotAllowed("no run's scenario has a baseline: promote a run to its scenario's baseline first")
    bases = {run.run_id: baseline_of[run.scenario_id] for run in asked if run.scenario_id in baseline_of}
    first = [baseline_of[run.scenario_id] for run in asked if run.scenario_id in baseline_of]
    found = [_run_or_404(conn, run_id) for run_id in dict.fromkeys(first) if run_id not in ids]
    found += asked
    kpis = kpi_comparisons(found, first[0], query.threshold, query.keys, bases=bases)
    return q.Comparison(base_id=first[0], runs=found, kpis=kpis, bases=bases,
                        without_baseline=[run.run_id for run in asked if run.run_id not in bases], **position(conn))


_SUMMARY_ORDER = {name: i for i, name in enumerate(RunSummary.model_fields)}


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _kpi_keys(found: list[q.RunRow], keys: list[str] | None) -> list[str]:
    if keys is not None:
        return list(dict.fromkeys(keys))
    present = {k for run in found for k, v in run.summary.items() if _numeric(v)}
    return sorted(present, key=lambda k: (_SUMMARY_ORDER.get(k, len(_SUMMARY_ORDER)), k))


def _diff(value: float | None, base: float | None, threshold: float) -> tuple[float | None, float | None, bool]:
    """(absolute, relative, flagged) difference of value against base."""
    if value is None or base is None:
        return None, None, False
    delta = value - base
    if base == 0:
        return delta, (0.0 if delta == 0 else None), delta != 0
    pct = delta / abs(base)
    return delta, pct, abs(pct) > threshold


def kpi_comparisons(found: list[q.RunRow], base_id: str, threshold: float,
                    keys: list[str] | None, bases: dict[str, str] | None = None) -> list[q.KpiComparison]:
    """Numeric summary KPIs side by side, each run against the base run, or against its own
    base (``bases``: run → base run; a run without one, or a base itself, has no difference)."""
    by_id = {run.run_id: run for run in found}
    base_of = (lambda rid: bases.get(rid)) if bases is not None else (lambda rid: base_id)
    result = []
    for key in _kpi_keys(found, keys):
        values = {rid: (float(v) if _numeric(v := run.summary.get(key)) else None) for rid, run in by_id.items()}
        diffs = {rid: _diff(v, values.get(base_of(rid)) if base_of(rid) else None, threshold)  # type: ignore[arg-type]
                 for rid, v in values.items()}
        result.append(q.KpiComparison(
            key=key, values=values, diff_abs={r: d[0] for r, d in diffs.items()},
            diff_pct={r: d[1] for r, d in diffs.items()}, flagged={r: d[2] for r, d in diffs.items()}))
    return result


def _page(conn: Connection, table: Any, where: list[Any], order: list[Any], limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    rows = conn.execute(select(table).where(*where).order_by(*order).limit(limit).offset(offset))
    total = conn.execute(select(func.count()).select_from(table).where(*where)).scalar() or 0
    return [dict(r._mapping) for r in rows], total


def list_jobs(conn: Connection, query: q.ListJobs) -> q.JobsPage:
    where = [jobs.c[c] == getattr(query, c).value for c in ("state", "job_type") if getattr(query, c) is not None]
    if query.unfinished:
        where.append(jobs.c.state.in_(("queued", "running")))
    if query.updated_before is not None:
        where.append(jobs.c.updated_at < query.updated_before)
    order = [jobs.c.created_at.desc(), jobs.c.job_id.desc()]
    found, total = _page(conn, jobs, where, order, query.limit, query.offset)
    return q.JobsPage(jobs=[q.JobRow.model_validate(j) for j in found], total=total, **position(conn))


_JOB_EVENTS = select(db.job_events).where(db.job_events.c.job_id == bindparam("job_id")).order_by(db.job_events.c.seq)


def get_job(conn: Connection, query: q.GetJob) -> q.JobDetail:
    row = _one(conn, jobs, "job_id", query.job_id)
    if row is None:
        raise NotFound("job", query.job_id)
    job = q.JobRow.model_validate(dict(row._mapping))
    if not query.history:
        return q.JobDetail(job=job, **position(conn))
    steps, messages, total = job_history(conn.execute(_JOB_EVENTS, {"job_id": query.job_id}))
    return q.JobDetail(job=job, steps=steps, messages=messages, messages_total=total, **position(conn))


def list_scenarios(conn: Connection, query: q.ListScenarios) -> q.ScenariosPage:
    table = db.scenarios
    where = [] if query.include_archived else [table.c.archived.is_(False)]
    rows = conn.execute(select(table).where(*where).order_by(table.c.name, table.c.scenario_id))
    return q.ScenariosPage(scenarios=[q.ScenarioRow.model_validate(dict(r._mapping)) for r in rows], **position(conn))


def get_scenario(conn: Connection, query: q.GetScenario) -> q.ScenarioDetail:
    row = _one(conn, db.scenarios, "scenario_id", query.scenario_id)
    if row is None:
        raise NotFound("scenario", query.scenario_id)
    scenario = q.ScenarioRow.model_validate(dict(row._mapping))
    return q.ScenarioDetail(scenario=scenario, inherited=_inherited(conn, scenario),
                            imported=imports.origins(conn, scenario=scenario.scenario_id), **position(conn))


def _inherited(conn: Connection, scenario: q.ScenarioRow) -> list[ScenarioOverride]:
    """The overrides of the scenario's ancestors, the root's first (a plan applies them before its own)."""
    chain, seen, parent = [], {scenario.scenario_id}, scenario.parent_id
    while parent is not None and parent not in seen and (found := _one(conn, db.scenarios, "scenario_id", parent)):
        seen.add(parent)
        chain.append(q.ScenarioRow.model_validate(dict(found._mapping)))
        parent = chain[-1].parent_id
    return [ScenarioOverride(scenario_id=s.scenario_id, override=o) for s in reversed(chain) for o in s.overrides]


def list_configs(conn: Connection, query: q.ListConfigs) -> q.ConfigsPage:
    table = db.configs
    order = [table.c.created_at.desc(), table.c.config_version_id.desc()]
    found, total = _page(conn, table, [], order, query.limit, query.offset)
    return q.ConfigsPage(configs=[q.ConfigRow.model_validate(c) for c in found], total=total, **position(conn))


def get_config(conn: Connection, query: q.GetConfig) -> q.ConfigDetail:
    row = _one(conn, db.configs, "config_version_id", query.config_version_id)
    if row is None:
        raise NotFound("config", query.config_version_id)
    return q.ConfigDetail(config=q.ConfigRow.model_validate(dict(row._mapping)),
                          imported=imports.origins(conn, config=query.config_version_id), **position(conn))


LATEST_DEAD_LETTERS = 5
_letters = db.dead_letters
_LATEST_LETTERS = select(_letters.c.seq, _letters.c.subject, _letters.c.error.label("reason"), _letters.c.attempts,
                         _letters.c.recorded_at).order_by(_letters.c.seq.desc()).limit(LATEST_DEAD_LETTERS)


def status(conn: Connection, query: q.Consistency | None = None) -> q.RegistryStatus:
    total = _counters_sum(conn, [STATUS_COUNTER.format(s) for s in _STATUSES])
    letters = conn.execute(select(func.count()).select_from(_letters)).scalar() or 0
    latest = [q.DeadLetter.model_validate(dict(row._mapping)) for row in conn.execute(_LATEST_LETTERS)]
    return q.RegistryStatus(runs=total, runs_dropped_by_retention=counter(conn, DROPPED),
                            dead_letters=letters, events_undecodable=counter(conn, UNDECODABLE),
                            duplicate_final_facts=counter(conn, DUPLICATE_FINAL_FACTS),
                            latest_dead_letters=latest, approved_runs=meta_queries.approved_count(conn),
                            pending_object_deletions=conn.execute(_PENDING_OBJECTS).scalar() or 0,
                            **position(conn))


_PENDING_OBJECTS = select(func.count()).select_from(db.pending_object_deletions)


def read_model_position(conn: Connection, query: q.Consistency | None = None) -> q.ReadModelPosition:
    """Only where the read model stands (one row of ``checkpoint``): what a cached answer is checked against."""
    return q.ReadModelPosition(**position(conn))


def get_run_meta(conn: Connection, query: q.GetRunMeta) -> q.RunMetas:
    """Each run's governance; with ``must_exist`` a run not held (deleted, dropped, unknown) is run_not_found."""
    metas = meta_queries.run_metas(conn, query)
    if query.must_exist:
        for run_id, meta in metas.items():
            if meta.scenario_id is None:
                _run_or_404(conn, run_id)
    return q.RunMetas(metas=metas, **position(conn))


def list_baselines(conn: Connection, query: q.ListBaselines) -> q.BaselinesPage:
    return q.BaselinesPage(baselines=meta_queries.list_baselines(conn, query), **position(conn))
