"""One run: summary with links, KPI cards, charts of the daily PSI and P&L, CSV downloads."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from contracts import subjects
from contracts.queries import GetRun, RunDetail
from services.ui_gateway import markdown
from services.ui_gateway.api.results import results_head, results_ref
from services.ui_gateway.auth.guard import allow
from services.ui_gateway.deps import BusDep, MinSeq, ask
from services.ui_gateway.pages.common import render
from services.ui_gateway.pages.kpis import CARDS
from services.ui_gateway.pages.run_meta import run_meta_of
from services.ui_gateway.results import chart_data

router = APIRouter(prefix="/ui/runs", include_in_schema=False)



@router.get("/{run_id}", dependencies=[allow("read")])
async def run_page(request: Request, run_id: str, bus: BusDep, min_seq: MinSeq = 0, flash: str = "") -> Response:
    detail = await ask(bus, subjects.QRY_RUN_GET, GetRun(run_id=run_id, min_seq=min_seq), RunDetail)
    return render(request, "run.html", run=detail.run, plan=detail.plan, scenario=detail.scenario,
                  config=detail.config, cards=CARDS, meta=await run_meta_of(bus, run_id), note_html=markdown.render,
                  imported=detail.imported, flash=flash)


@router.get("/{run_id}/chart.json", dependencies=[allow("read")])
async def run_chart(request: Request, run_id: str, bus: BusDep, node: str | None = None,
                    item: str | None = None) -> JSONResponse:
    """The run page's chart data: the node-item pairs, one pair's daily measures, the daily P&L."""
    head = await results_head(request, await results_ref(bus, run_id))
    return JSONResponse(chart_data(head, node, item), headers={"cache-control": "private, max-age=3600"})
