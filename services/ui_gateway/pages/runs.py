"""Run history: filters that live in the URL, sort, paging; select runs to compare or delete."""

import asyncio
import time as clock
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError

from contracts import subjects
from contracts.commands import DeleteRun, RunDeletedReply
from contracts.queries import (
    CompareRuns,
    Comparison,
    Consistency,
    GetRun,
    ListRuns,
    RegistryStatus,
    RunDetail,
    RunsPage,
)
from services.ui_gateway.auth.guard import Actor, allow
from services.ui_gateway.deps import BusDep, MinSeq, ask, written_seq
from services.ui_gateway.pages.common import redirect, render
from services.ui_gateway.pages.run_meta import META_FILTERS, meta_filters

router = APIRouter(prefix="/ui/runs", include_in_schema=False)
FILTERS = ("plan_version_id", "scenario_name", "config_version_id", "status", "since", "until", *META_FILTERS)
COLUMNS = (("started_at", "Started"), ("duration_ms", "Duration"), ("fill_rate", "Fill rate"),
           ("profit_total", "Profit"))


def _day_start(text: str, days: int = 0) -> datetime | None:
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError as exc:
        raise HTTPException(422, f"dates are YYYY-MM-DD, not {text!r}") from exc
    try:
        return datetime.combine(day + timedelta(days=days), time(), tzinfo=UTC)
    except OverflowError:
        return None  # the day after the last one there is: no bound


def list_query(params: dict[str, str], min_seq: MinSeq = 0) -> ListRuns:
    """The registry query a run-history URL stands for (``until`` includes its whole day; the plan version
    box matches ids that start with what it holds, as the scenario box matches names that contain it)."""
    values: dict[str, Any] = {k: params[k] for k in ("scenario_name", "config_version_id",
                                                     "status", "sort", "order", "limit", "offset") if params.get(k)}
    if plan := params.get("plan_version_id", "").strip():
        values["plan_version_prefix"] = plan
    values.update(since=_day_start(params.get("since", "")), until=_day_start(params.get("until", ""), days=1),
                  min_seq=min_seq, **meta_filters(params))
    if values["since"] and values["until"] and values["since"] >= values["until"]:
        raise HTTPException(422, f"the 'Started from' date ({params['since']}) is after the 'to' date ({params['until']})")
    try:
        return ListRuns.model_validate(values)
    except ValidationError as exc:
        raise HTTPException(422, "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())) from exc


@router.get("", dependencies=[allow("read")])
async def runs_page(request: Request, bus: BusDep, min_seq: MinSeq = 0, flash: str = "") -> Response:
    params = dict(request.query_params)
    query = list_query(params, min_seq)
    page, status = await asyncio.gather(ask(bus, subjects.QRY_RUNS_LIST, query, RunsPage), _status(request, bus))
    filters = {k: params.get(k, "") for k in FILTERS}
    return render(request, "runs.html", page=page, query=query, filters=filters, columns=COLUMNS,
                  offset=query.offset, pager_total=page.total, flash=flash, status=status)


STATUS_FRESH_S = 5.0
"""How old the registry status behind the history's notice may be: asked at most this often,
not once more per page view."""


async def _status(request: Request, bus: BusDep) -> RegistryStatus:
    cached = getattr(request.app.state, "registry_status", None)
    now = clock.monotonic()
    if cached is not None and now - cached[0] < STATUS_FRESH_S:
        return cached[1]  # type: ignore[no-any-return]
    status = await ask(bus, subjects.QRY_STATUS, Consistency(), RegistryStatus)
    request.app.state.registry_status = (now, status)
    return status


def compare_query(run_ids: list[str], base: str | None, threshold: float) -> CompareRuns:
    ids = list(dict.fromkeys(r for r in run_ids if r))
    against_baselines = base == "baseline"
    if len(ids) < (1 if against_baselines else 2):
        raise HTTPException(422, "select at least two runs to compare" if not against_baselines else
                                 "select the runs to compare with their scenarios' baselines")
    try:
        if against_baselines:
            return CompareRuns(run_ids=ids, base="baseline", threshold=threshold)
        return CompareRuns(run_ids=ids, base_id=base or None, threshold=threshold)
    except ValidationError as exc:
        raise HTTPException(422, f"cannot compare these runs: {exc.errors()[0]['msg']}") from exc


@router.get("/compare", dependencies=[allow("read")])
async def compare_page(request: Request, bus: BusDep, run_id: Annotated[list[str], Query()] = [],  # noqa: B006
                       base: str = "", threshold: float = 0.05,
                       threshold_pct: Annotated[float | None, Query(ge=0)] = None) -> Response:
    """``threshold`` as a fraction, or ``threshold_pct`` (the page's form) in percent."""
    if threshold_pct is not None:
        threshold = threshold_pct / 100
    comparison = await ask(bus, subjects.QRY_RUNS_COMPARE, compare_query(run_id, base, threshold), Comparison)
    return render(request, "compare.html", cmp=comparison, threshold=threshold,
                  with_results=[r.run_id for r in comparison.runs if r.results is not None])


@router.post("/delete", dependencies=[allow("runs.delete")])
async def delete_runs(bus: BusDep, actor: Actor, run_id: Annotated[list[str], Form()] = [],  # noqa: B006
                      back: Annotated[str, Form()] = "/ui/runs") -> Response:
    """Delete the selected runs: all of them, or none when one of them does not exist."""
    ids = list(dict.fromkeys(r for r in run_id if r))
    if not ids:
        raise HTTPException(422, "select the runs to delete")
    missing = [rid for rid in ids if not await _exists(bus, rid)]
    if missing:
        raise HTTPException(404, f"no run {', '.join(missing)}: nothing was deleted")
    for rid in ids:
        await ask(bus, subjects.CMD_RUN_DELETE, DeleteRun(run_id=rid, by=actor.username), RunDeletedReply)
    seq = await written_seq(bus)
    target = back if back.startswith("/ui/runs") and "min_seq=" not in back else "/ui/runs"
    return redirect(target, min_seq=seq, flash=f"Deleted {len(ids)} run(s).")


async def _exists(bus: BusDep, run_id: str) -> bool:
    try:
        await ask(bus, subjects.QRY_RUN_GET, GetRun(run_id=run_id), RunDetail)
    except HTTPException as exc:
        if exc.status_code == 404:
            return False
        raise
    return True
