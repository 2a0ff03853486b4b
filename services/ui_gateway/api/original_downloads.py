"""The original scpln's download routes, kept for the scripts written against it: each answers
with the content of this system's equivalent (the same bytes for the CSVs of the results)."""

import csv
import io
import json
from typing import Any

from fastapi import APIRouter, Request, Response

from contracts import subjects
from contracts.queries import GetRun, RunDetail
from services.ui_gateway.api.results import config_document, run_results
from services.ui_gateway.auth.guard import allow
from services.ui_gateway.deps import BusDep, ask

router = APIRouter(tags=["runs (original scpln routes)"])


@router.get("/runs/{run_id}/results.csv", dependencies=[allow("read")], responses={200: {"content": {"text/csv": {}}}})
async def results_csv(run_id: str, request: Request, bus: BusDep) -> Response:
    """``GET /runs/{run_id}/results?format=csv&part=series``."""
    return await run_results(run_id, request, bus, format="csv", part="series")


@router.get("/runs/{run_id}/pl.csv", dependencies=[allow("read")], responses={200: {"content": {"text/csv": {}}}})
async def pl_csv(run_id: str, request: Request, bus: BusDep) -> Response:
    """``GET /runs/{run_id}/results?format=csv&part=pnl``."""
    return await run_results(run_id, request, bus, format="csv", part="pnl")


@router.get("/runs/{run_id}/trace.csv", dependencies=[allow("read")], responses={200: {"content": {"text/csv": {}}}})
async def trace_csv(run_id: str, request: Request, bus: BusDep) -> Response:
    """``GET /runs/{run_id}/results?format=csv&part=costs``."""
    return await run_results(run_id, request, bus, format="csv", part="costs")


@router.get("/runs/{run_id}/summary.csv", dependencies=[allow("read")], responses={200: {"content": {"text/csv": {}}}})
async def summary_csv(run_id: str, bus: BusDep) -> Response:
    """The run's ``summary`` of ``GET /runs/{run_id}`` as the original wrote it: ``run_id,metric,value``,
    one row per KPI sorted by name, nested keys joined with dots, lists as JSON."""
    run = (await ask(bus, subjects.QRY_RUN_GET, GetRun(run_id=run_id), RunDetail)).run
    return Response(summary_rows(run_id, run.summary), media_type="text/csv",
                    headers={"content-disposition": f'attachment; filename="summary_{run_id}.csv"'})


@router.get("/runs/{run_id}/config.json", dependencies=[allow("read")])
async def config_json(run_id: str, bus: BusDep) -> Response:
    """``{"run_id", "config_id", "config"}``: ``config`` is ``GET /configs/{config_version_id}/document``
    of the run's config version, ``config_id`` that id."""
    run = (await ask(bus, subjects.QRY_RUN_GET, GetRun(run_id=run_id), RunDetail)).run
    document = await config_document(run.config_version_id, bus, download=False)
    body = b'{"run_id":%s,"config_id":%s,"config":%s}' % (
        json.dumps(run_id).encode(), json.dumps(run.config_version_id).encode(), document.body)
    return Response(body, media_type="application/json")


def flatten(value: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, item in value.items():
        name = f"{prefix}{key}"
        if isinstance(item, dict):
            flat |= flatten(item, f"{name}.")
        else:
            flat[name] = json.dumps(item, ensure_ascii=False) if isinstance(item, list) else item
    return flat


def summary_rows(run_id: str, summary: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["run_id", "metric", "value"])
    for metric, value in sorted(flatten(summary).items()):
        writer.writerow([run_id, metric, "" if value is None else value])
    return out.getvalue()
