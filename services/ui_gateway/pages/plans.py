"""Plan pages: create a plan from a base scenario and a config version; list; one plan."""

import asyncio
import json
from typing import Annotated, Any, get_args

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import Response
from pydantic import ValidationError

from contracts import subjects
from contracts.commands import CreatePlan, PlanAccepted, RerunPlan, RunsAccepted
from contracts.envelope import INT64_MAX
from contracts.queries import (
    ConfigsPage,
    GetPlan,
    ListConfigs,
    ListPlans,
    ListRuns,
    ListScenarios,
    PlanDetail,
    PlansPage,
    PlanStatus,
    RunsPage,
    ScenariosPage,
)
from contracts.replications import REPLICATIONS_MAX
from services.ui_gateway.auth.guard import Actor, allow
from services.ui_gateway.deps import BusDep, MinSeq, Offset, ask, read_object
from services.ui_gateway.pages.common import error_text, redirect, render
from services.ui_gateway.pages.kpis import DISTRIBUTED
from services.ui_gateway.pages.plan_artifacts import (
    RUNS_PAGE,
    aggregate_views,
    artifact_views,
    plan_horizon,
    runs_links,
    runs_page_number,
)
from services.ui_gateway.pages.plan_options import OPTION_INPUTS, form_options, plan_options
from services.ui_gateway.pages.psi import review_context
from services.ui_gateway.periods import start_of
from services.ui_gateway.results import gunzip

router = APIRouter(prefix="/ui/plans", include_in_schema=False)
PAGE = 50
PLAN_STATUSES = get_args(PlanStatus)


def _list_query(status: str, offset: int, min_seq: int) -> ListPlans:
    try:
        return ListPlans(status=status or None, limit=PAGE, offset=offset, min_seq=min_seq)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise HTTPException(422, f"unknown plan status {status!r}: choose one of {', '.join(PLAN_STATUSES)}") from exc


async def _plans_page(request: Request, bus: BusDep, form: dict[str, Any], offset: Offset = 0, min_seq: MinSeq = 0,
                      error: HTTPException | None = None, status: str = "") -> Response:
    plans, scenarios, configs = await asyncio.gather(
        ask(bus, subjects.QRY_PLANS_LIST, _list_query(status, offset, min_seq), PlansPage),
        ask(bus, subjects.QRY_SCENARIOS_LIST, ListScenarios(), ScenariosPage),
        ask(bus, subjects.QRY_CONFIGS_LIST, ListConfigs(), ConfigsPage),
    )
    message, errors = error_text(error.detail) if error else ("", [])
    return render(request, "plans.html", status_code=error.status_code if error else 200, plans=plans,
                  scenarios=scenarios.scenarios, configs=configs.configs, form=form, offset=offset, page=PAGE,
                  message=message, errors=errors, status=status, statuses=PLAN_STATUSES,
                  option_inputs=OPTION_INPUTS)


@router.get("", dependencies=[allow("read")])
async def plans_page(request: Request, bus: BusDep, base_scenario_id: str = "", config_version_id: str = "",
                     offset: Offset = 0, min_seq: MinSeq = 0, status: str = "") -> Response:
    """The plan form and the plans, newest first; ``status`` shows only planning, ready, failed
    or cancelled plans."""
    form = {"base_scenario_id": base_scenario_id, "config_version_id": config_version_id, "seed": 42, "options": {},
            "replications": 1}
    return await _plans_page(request, bus, form, offset, min_seq, status=status)


@router.post("", dependencies=[allow("plans.create")])
async def create_plan(request: Request, bus: BusDep, actor: Actor, base_scenario_id: Annotated[str, Form()] = "",
                      config_version_id: Annotated[str, Form()] = "", seed: Annotated[int, Form(ge=0, le=INT64_MAX)] = 42,
                      request_id: Annotated[str, Form(max_length=200)] = "",
                      replications: Annotated[int, Form(ge=1, le=REPLICATIONS_MAX)] = 1) -> Response:
    """The form carries an id of its own: sent twice (a double click, a reload), it makes one plan.
    Its options are fields of their own (``plan_options``)."""
    options = form_options(await request.form())
    form = {"base_scenario_id": base_scenario_id, "config_version_id": config_version_id, "seed": seed,
            "options": options, "request_id": request_id, "replications": replications}
    try:
        if not base_scenario_id or not config_version_id:
            raise HTTPException(422, "choose a base scenario and a config version")
        command = CreatePlan(base_scenario_id=base_scenario_id, config_version_id=config_version_id, seed=seed,
                             options=plan_options(options), request_id=request_id or None,
                             requested_by=actor.username, replications=replications)
        accepted = await ask(bus, subjects.CMD_PLAN_CREATE, command, PlanAccepted)
    except HTTPException as exc:
        return await _plans_page(request, bus, form, error=exc)
    return redirect("/ui/jobs", created=accepted.job_id, plan=accepted.plan_version_id)


@router.get("/{plan_version_id}", dependencies=[allow("read")])
async def plan_page(request: Request, plan_version_id: str, bus: BusDep, min_seq: MinSeq = 0, flash: str = "") -> Response:
    """The plan: its summary, KPIs and spread, a page of its runs (``runs_page``; updated live), its
    artifacts as grids dated from its day 1 (each grid searched and paged by ``<grid>_q``/``<grid>_page``)
    and its aggregates."""
    params = request.query_params
    detail, runs = await asyncio.gather(
        ask(bus, subjects.QRY_PLAN_GET, GetPlan(plan_version_id=plan_version_id, min_seq=min_seq), PlanDetail),
        _plan_runs(bus, plan_version_id, params, min_seq))
    documents = await asyncio.gather(*(_artifact(bus, ref) for ref in detail.plan.artifacts))
    tables = await asyncio.gather(*(_artifact(bus, a.artifact) for a in detail.aggregates if a.artifact))
    return render(request, "plan.html", plan=detail.plan, runs=detail.runs,
                  artifacts=artifact_views(detail.plan.artifacts, documents, params),
                  aggregates=aggregate_views(detail.aggregates, tables, start_of(*documents), params),
                  plan_dates=plan_horizon(documents), flash=flash, imported=detail.imported, **runs,
                  review=await review_context(request, bus, plan_version_id, min_seq), **spread(detail))


def spread(detail: PlanDetail) -> dict[str, Any]:
    """What the plan page shows of its runs taken together: the distributions (``DISTRIBUTED``),
    how many runs succeeded, their currency, and whether any kept daily results (the fan chart)."""
    by_key = {d.key: d for d in detail.distribution}
    succeeded = [r for r in detail.runs if r.status == "succeeded"]
    return {"distribution": [by_key[k] for k in DISTRIBUTED if k in by_key],
            "succeeded": by_key["fill_rate"].count if "fill_rate" in by_key else len(succeeded),
            "currency": next((r.summary.get("currency") for r in succeeded if r.summary.get("currency")), ""),
            "with_results": any(r.results is not None for r in succeeded), "replications_max": REPLICATIONS_MAX}


async def _plan_runs(bus: BusDep, plan_version_id: str, params: Any, min_seq: int) -> dict[str, Any]:
    number = runs_page_number(params)
    query = ListRuns(plan_version_id=plan_version_id, limit=RUNS_PAGE, offset=(number - 1) * RUNS_PAGE,
                     min_seq=min_seq)
    page = await ask(bus, subjects.QRY_RUNS_LIST, query, RunsPage)
    return {"runs_page": page, "runs_nav": runs_links(params, number, page.total)}


@router.get("/{plan_version_id}/runs", dependencies=[allow("read")])
async def plan_runs(request: Request, plan_version_id: str, bus: BusDep, min_seq: MinSeq = 0) -> Response:
    """The plan page's runs alone (an HTML fragment, ``runs_page`` as on the page): what the page
    fetches again when one of the plan's simulations ends (``min_seq``: at least as new as that)."""
    detail, runs = await asyncio.gather(
        ask(bus, subjects.QRY_PLAN_GET, GetPlan(plan_version_id=plan_version_id, min_seq=min_seq), PlanDetail),
        _plan_runs(bus, plan_version_id, request.query_params, min_seq))
    return render(request, "_plan_runs.html", plan=detail.plan, **runs)


async def _artifact_bytes(bus: BusDep, ref: Any) -> bytes:
    data = await read_object(bus, ref.bucket, ref.key)
    return gunzip(data) if ref.content_type == "application/gzip" else data


async def _artifact(bus: BusDep, ref: Any) -> Any:
    try:
        return json.loads(await _artifact_bytes(bus, ref))
    except (HTTPException, ValueError) as exc:
        return {"unavailable": getattr(exc, "detail", str(exc))}


@router.get("/{plan_version_id}/artifacts/{name}", dependencies=[allow("read")])
async def artifact_download(plan_version_id: str, name: str, bus: BusDep) -> Response:
    detail = await ask(bus, subjects.QRY_PLAN_GET, GetPlan(plan_version_id=plan_version_id), PlanDetail)
    ref = next((a for a in detail.plan.artifacts if a.name == name), None)
    if ref is None:
        raise HTTPException(404, f"plan {plan_version_id} has no artifact {name!r}")
    return Response(await _artifact_bytes(bus, ref), media_type="application/json",
                    headers={"content-disposition": f'attachment; filename="{plan_version_id}-{name}.json"'})


@router.get("/{plan_version_id}/aggregates/{job_id}", dependencies=[allow("read")])
async def aggregate_download(plan_version_id: str, job_id: str, bus: BusDep) -> Response:
    detail = await ask(bus, subjects.QRY_PLAN_GET, GetPlan(plan_version_id=plan_version_id), PlanDetail)
    found = next((a for a in detail.aggregates if a.job_id == job_id and a.artifact), None)
    if found is None:
        raise HTTPException(404, f"plan {plan_version_id} has no finished aggregate job {job_id}")
    return Response(await _artifact_bytes(bus, found.artifact), media_type="application/json",
                    headers={"content-disposition": f'attachment; filename="{plan_version_id}-{job_id}.json"'})


@router.post("/{plan_version_id}/runs", dependencies=[allow("plans.rerun")])
async def simulate_again(plan_version_id: str, bus: BusDep,
                         replications: Annotated[int, Form(ge=1, le=REPLICATIONS_MAX)] = 1,
                         reproduce: Annotated[bool, Form()] = False) -> Response:
    """Simulate the plan again ×``replications``: new seeds, or its first ones with ``reproduce``."""
    command = RerunPlan(plan_version_id=plan_version_id, replications=replications, reproduce=reproduce)
    accepted = await ask(bus, subjects.CMD_PLAN_RERUN, command, RunsAccepted)
    return redirect("/ui/jobs", created=accepted.job_id, plan=plan_version_id)
