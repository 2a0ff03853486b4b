"""What the plan page shows of its artifacts and aggregates: a grid with dates as columns where the
layout is known (``plan_views``), else the generic tables; a page of each grid's groups, filtered by
the grid's own search box (``<grid>_q``, ``<grid>_page`` in the address, so every grid keeps its place)."""

from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from services.ui_gateway.artifacts import Table, artifact_tables
from services.ui_gateway.periods import horizon, periods, start_of
from services.ui_gateway.plan_views import Grid, artifact_grid, page, results_grid

OPEN_BY_DEFAULT = ("aggregate", "plan_final")


@dataclass(frozen=True)
class Paged:
    """A page of a grid, and how to reach its neighbours without losing the rest of the page's place."""

    grid: Grid
    previous: str | None
    next: str | None
    keep: list[tuple[str, str]]
    """The address's other parameters, which the grid's search form sends along."""


@dataclass(frozen=True)
class ArtifactView:
    ref: Any
    view: Paged | None
    tables: list[Table]
    open: bool


def _paged(grid: Grid, params: QueryParams) -> Paged:
    number = params.get(f"{grid.name}_page", "1")
    shown = page(grid, params.get(f"{grid.name}_q", ""), int(number) if number.isdigit() else 1)
    own = (f"{grid.name}_q", f"{grid.name}_page")
    keep = [(k, v) for k, v in params.multi_items() if k not in (*own, "flash")]

    def link(number: int) -> str:
        query = keep + ([(own[0], shown.query)] if shown.query else []) + [(own[1], str(number))]
        return f"?{urlencode(query)}#view-{grid.name}"

    return Paged(shown, link(shown.page - 1) if shown.page > 1 else None,
                 link(shown.page + 1) if shown.page < shown.pages else None, keep)


def _asked(name: str, params: QueryParams) -> bool:
    return f"{name}_q" in params or f"{name}_page" in params


def artifact_views(refs: list[Any], documents: list[Any], params: QueryParams) -> list[ArtifactView]:
    by_name = {ref.name: doc for ref, doc in zip(refs, documents)}
    start = start_of(*documents)
    views = []
    for ref, doc in zip(refs, documents):
        grid = artifact_grid(ref.name, doc, start, by_name)
        views.append(ArtifactView(ref, _paged(grid, params) if grid else None,
                                  [] if grid else artifact_tables(doc),
                                  ref.name in OPEN_BY_DEFAULT or _asked(ref.name, params)))
    return views


def aggregate_views(aggregates: list[Any], documents: list[Any], start: date, params: QueryParams) -> list[Any]:
    """(aggregate row, its grid or None, its generic table or None), newest first."""
    ready = iter(documents)
    views = []
    for a in aggregates:
        doc = next(ready) if a.artifact else None
        grid = results_grid(f"results_{a.job_id}", doc, start) if doc is not None else None
        views.append((a, _paged(grid, params) if grid else None, None if grid else doc))
    return views


def plan_horizon(documents: list[Any]) -> dict[str, Any]:
    """The plan's start, horizon and periods as dates (from its aggregate artifact), for its summary."""
    doc = next((d for d in documents if isinstance(d, dict) and d.get("step") == "aggregate"), None)
    if doc is None or not isinstance(doc.get("horizon_days"), int):
        return {}
    start = start_of(doc)
    spans = periods(doc.get("periods"), start) or []
    return {"horizon": horizon(start, doc["horizon_days"]), "start": start,
            "periods": [(p.label(), p.title) for p in spans]}


RUNS_PAGE = 20


def runs_page_number(params: QueryParams) -> int:
    raw = params.get("runs_page", "1")
    return max(1, int(raw)) if raw.isdigit() and len(raw) < 10 else 1


def runs_links(params: QueryParams, number: int, total: int) -> dict[str, Any]:
    """The plan page's runs: which page, how many, and the addresses of the pages beside it."""
    pages = max(1, -(-total // RUNS_PAGE))
    keep = [(k, v) for k, v in params.multi_items() if k not in ("runs_page", "min_seq", "flash")]

    def link(n: int) -> str:
        return f"?{urlencode([*keep, ('runs_page', str(n))])}#plan-runs-section"

    return {"number": number, "pages": pages, "first": (number - 1) * RUNS_PAGE + 1,
            "last": min(number * RUNS_PAGE, total), "previous": link(number - 1) if number > 1 else None,
            "next": link(number + 1) if number < pages else None}
