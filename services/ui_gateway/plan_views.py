"""A plan's artifacts as a planner reads them: grids with dates as columns and a row per measure of
each family or item (the aggregate and detail PSI, MRP per item, load against capacity per week).

Each builder reads one artifact's layout (services/plan_service/domain/pipeline) and returns a
``Grid`` of every group; ``page`` then keeps the groups a search matches, a page of them at a time.
A document a builder does not know (another layout, missing parts) gives None: the page then shows
it as generic tables (``artifacts.artifact_tables``).
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from itertools import accumulate
from typing import Any

from services.ui_gateway.periods import Period, periods

PAGE_GROUPS = 20


@dataclass(frozen=True)
class Column:
    label: str
    code: str
    title: str


@dataclass(frozen=True)
class Line:
    measure: str
    values: list[float | None]
    total: float | None = None
    kind: str = "qty"
    """``qty`` or ``pct`` (a share, shown in %)."""
    flags: list[bool] = field(default_factory=list)
    """Cells to look at (load over capacity, a backlog, stock below safety stock)."""


@dataclass(frozen=True)
class Group:
    key: str
    note: str
    lines: list[Line]
    kind: str = "item"
    """``family`` or ``item``: a family's rows head its items'."""
    family: str = ""

    @property
    def search(self) -> str:
        return f"{self.key} {self.family} {self.note}".lower()


@dataclass(frozen=True)
class Grid:
    name: str
    title: str
    intro: str
    columns: list[Column]
    groups: list[Group]
    what: str = "family or item"
    """What a group is, for the search box ("family", "item", …)."""
    noun: tuple[str, str] = ("family or item", "families and items")
    """What a group is, and what they are, counted."""
    total_label: str = "Total"
    notes: list[str] = field(default_factory=list)
    matched: int = 0
    page: int = 1
    pages: int = 1
    query: str = ""

    @property
    def count(self) -> int:
        return len(self.groups)


def cell(value: float | None, kind: str = "qty") -> str:
    """A grid cell: whole numbers from 100 up, one decimal from 10, two below; a share in %."""
    if value is None:
        return "–"
    if kind == "pct":
        return f"{value * 100:.1f}%"
    rounded = round(value, 0 if abs(value) >= 100 else 1 if abs(value) >= 10 else 2)
    return "0" if rounded == 0 else f"{rounded:,.2f}".rstrip("0").rstrip(".")


def columns(spans: Sequence[Period]) -> list[Column]:
    """Date labels with the year shown on the first column and where it changes."""
    out, year = [], None
    for span in spans:
        show_year = span.last_date.year != year
        out.append(Column(span.label(year=show_year), span.code, span.title))
        year = span.last_date.year
    return out


def page(grid: Grid, query: str = "", number: int = 1, size: int = PAGE_GROUPS) -> Grid:
    """The groups matching ``query`` (any case, in the key, family or note), page ``number`` of them. A
    family matched by name brings its items along."""
    needle = query.strip().lower()
    kept = [g for g in grid.groups if not needle or needle in g.search]
    pages = max(1, -(-len(kept) // size))
    number = min(max(1, number), pages)
    return replace(grid, groups=kept[(number - 1) * size: number * size], matched=len(kept), page=number,
                   pages=pages, query=query.strip())


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _row(matrix: Any, index: int, width: int) -> list[float | None]:
    if not isinstance(matrix, list) or index >= len(matrix) or not isinstance(matrix[index], list):
        raise ValueError("matrix row missing")
    row = [_num(v) for v in matrix[index]]
    if len(row) != width:
        raise ValueError("matrix row of another width")
    return row


def _sum(values: Sequence[float | None]) -> float | None:
    return None if any(v is None for v in values) else sum(v for v in values if v is not None)


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    return numerator / denominator if numerator is not None and denominator else None


def _flow(measure: str, values: list[float | None], flag: Callable[[float], bool] | None = None) -> Line:
    flags = [v is not None and flag(v) for v in values] if flag else []
    return Line(measure, values, _sum(values), flags=flags)


def _stock(measure: str, values: list[float | None], flag: Callable[[float], bool] | None = None) -> Line:
    """A balance: its total is where it ends."""
    flags = [v is not None and flag(v) for v in values] if flag else []
    return Line(measure, values, values[-1] if values else None, flags=flags)


def _items(doc: dict[str, Any]) -> list[tuple[str, str]]:
    """(item, family) in the artifact's order."""
    return [(str(i.get("item")), str(i.get("family", ""))) for i in doc["items"]]


def aggregate_grid(doc: dict[str, Any], start: date) -> Grid | None:
    """Aggregate PSI: per family and period, demand, capacity, supply and backlog."""
    spans = periods(doc.get("periods"), start)
    if spans is None or not isinstance(doc.get("rows"), list):
        return None
    cells = {(r.get("family"), r.get("period")): r for r in doc["rows"] if isinstance(r, dict)}
    groups = []
    for family in doc.get("families", []):
        values = {m: [_num(cells.get((family, p.code), {}).get(m)) for p in spans]
                  for m in ("demand", "capacity", "supply", "backlog")}
        capacity = Line("capacity", values["capacity"], _sum(values["capacity"]))
        groups.append(Group(str(family), "", [
            _flow("demand", values["demand"]), capacity, _flow("supply", values["supply"]),
            _flow("backlog", values["backlog"], lambda v: v > 1e-9)], kind="family", family=str(family)))
    return Grid("aggregate", "Aggregate PSI", "Per product family and period: demand, the capacity that limits it, "
                "the supply planned and the backlog left (demand − supply).", columns(spans), groups,
                what="family", noun=("family", "families"), notes=["Capacity “–”: nothing limits the family in that period."])


def detail_grid(doc: dict[str, Any], start: date, mrp: dict[str, Any] | None = None) -> Grid | None:
    """Detail PSI (plan_final): per family, then per item, and week: demand, the reconciled supply, the
    backlog carried (demand not yet supplied) and, for items, the stock on hand MRP projects."""
    spans = periods(doc.get("weeks"), start)
    if spans is None or not isinstance(doc.get("items"), list):
        return None
    width = len(spans)
    on_hand = _mrp_rows(mrp, "projected_on_hand", width) if mrp else {}
    families = [str(f) for f in doc.get("families", [])]
    items = _items(doc)
    groups = []
    for f, family in enumerate(families):
        groups.append(Group(family, f"family · {sum(1 for _, fam in items if fam == family)} items",
                            _psi(_row(doc["family_demand"], f, width), _row(doc["family_supply"], f, width)),
                            kind="family", family=family))
        for k, (item, item_family) in enumerate(items):
            if item_family != family:
                continue
            lines = _psi(_row(doc["demand"], k, width), _row(doc["supply"], k, width))
            if item in on_hand:
                lines.append(_stock("on hand", on_hand[item], lambda v: v < -1e-9))
            groups.append(Group(item, f"family {family}", lines, family=family))
    return Grid("plan_final", "Detail PSI", "Per family and item and week: demand, the reconciled supply plan, the "
                "backlog carried (demand not yet supplied) and the stock on hand MRP projects at the end of the week.",
                columns(spans), groups)


def _psi(demand: list[float | None], supply: list[float | None]) -> list[Line]:
    gap = [(d or 0.0) - (s or 0.0) for d, s in zip(demand, supply)]
    backlog = [max(0.0, round(v, 9)) for v in accumulate(gap)]
    return [_flow("demand", demand), _flow("supply", supply), _stock("backlog", backlog, lambda v: v > 1e-9)]


def _mrp_rows(doc: dict[str, Any], key: str, width: int) -> dict[str, list[float | None]]:
    try:
        return {str(item.get("item")): _row(doc[key], k, width) for k, item in enumerate(doc["items"])}
    except (KeyError, TypeError, ValueError):
        return {}


MRP_LINES = (("gross_requirements", "gross requirements", "flow"), ("scheduled_receipts", "scheduled receipts", "flow"),
             ("projected_on_hand", "on hand", "stock"), ("net_requirements", "net requirements", "flow"),
             ("planned_receipts", "planned receipts", "flow"), ("planned_releases", "planned releases", "flow"))


MRP_NOTE = ("On hand is flagged where it falls below the item's safety stock; releases due before the first week "
            "are released in it and counted as past due.")


def mrp_grid(doc: dict[str, Any], start: date) -> Grid | None:
    """MRP per item and week: gross requirements, scheduled receipts, projected on hand, net requirements,
    planned receipts and releases (offset by the lead time)."""
    spans = periods(doc.get("weeks"), start)
    if spans is None or not isinstance(doc.get("items"), list):
        return None
    width = len(spans)
    groups = []
    for k, item in enumerate(doc["items"]):
        safety = _num(item.get("safety_stock")) or 0.0
        lines = []
        for key, measure, kind in MRP_LINES:
            values = _row(doc[key], k, width)
            if key == "scheduled_receipts" and not any(values):
                continue
            lines.append(_stock(measure, values, lambda v, floor=safety: v < floor - 1e-9) if kind == "stock"
                         else _flow(measure, values))
        groups.append(Group(str(item.get("item")), _mrp_note(item), lines))
    return Grid("mrp", "MRP per item", "Per item and week: gross requirements (end items from the plan, components "
                "from their parents' releases), stock on hand projected at the end of the week, net requirements, "
                "and planned receipts released their lead time earlier.", columns(spans), groups,
                what="item", noun=("item", "items"), notes=[MRP_NOTE])


def _mrp_note(item: dict[str, Any]) -> str:
    parts = ["component" if item.get("dependent") else "end item",
             f"lead time {item.get('lead_time_weeks', 0)} wk"]
    for key, label in (("lot_size", "lot"), ("min_order_qty", "MOQ"), ("safety_stock", "safety"),
                       ("on_hand", "on hand"), ("past_due", "past due")):
        value = _num(item.get(key))
        if value:
            parts.append(f"{label} {value:,.10g}")
    return " · ".join(parts)


def reconcile_grid(doc: dict[str, Any], start: date) -> Grid | None:
    """Per family and week: load against capacity, the supply it allows, what spills into the next week
    and the slack carried; load over capacity is flagged."""
    spans = periods(doc.get("weeks"), start)
    if spans is None or not isinstance(doc.get("families"), list):
        return None
    width = len(spans)
    unplanned = doc.get("unplanned_at_horizon_end") or {}
    groups = []
    for f, family in enumerate(doc["families"]):
        load, capacity, supply = (_row(doc[key], f, width) for key in ("load", "capacity", "supply"))
        over = [c is not None and l_ is not None and l_ > c + 1e-9 for l_, c in zip(load, capacity)]
        use = [_ratio(s, c) for s, c in zip(supply, capacity)]
        left = _num(unplanned.get(family)) if isinstance(unplanned, dict) else None
        groups.append(Group(str(family), f"unplanned at the end: {left:,.10g}" if left else "", [
            Line("load", load, _sum(load), flags=over), Line("capacity", capacity, _sum(capacity)),
            _flow("supply", supply), _stock("spill", _row(doc["spill"], f, width), lambda v: v > 1e-9),
            _stock("slack", _row(doc["slack"], f, width)),
            Line("utilisation", use, _ratio(_sum(supply), _sum(capacity)), kind="pct")], kind="family",
            family=str(family)))
    return Grid("reconcile", "Load against capacity", "Per family and week: the load allocated to it against its "
                "capacity; what does not fit spills into the next week, unused capacity is carried as slack.",
                columns(spans), groups, what="family", noun=("family", "families"), notes=_rollup(doc.get("rollup")))


def _rollup(rollup: Any) -> list[str]:
    if not isinstance(rollup, dict):
        return []
    worst = _num(rollup.get("max_relative_difference")) or 0.0
    tolerance = _num(rollup.get("tolerance")) or 0.0
    verdict = "within" if rollup.get("ok") else "beyond"
    return [(f"Roll-up check: the weekly plan summed per family and period is {verdict} the tolerance of "
             f"{tolerance:.1%} of the aggregate plan (largest difference {worst:.2%}).")]


def allocate_grid(doc: dict[str, Any], start: date) -> Grid | None:
    """Per item and period: its share of the family's supply and the supply it gets."""
    spans = periods(doc.get("periods"), start)
    if spans is None or not isinstance(doc.get("items"), list):
        return None
    width = len(spans)
    groups = [Group(item, f"family {family}", [
        Line("mix share", _row(doc["mix_share"], k, width), kind="pct"),
        _flow("supply", _row(doc["period_supply"], k, width))], family=family)
        for k, (item, family) in enumerate(_items(doc))]
    return Grid("allocate", "Allocation to items", "Per item and period: its share of its family's supply, and the "
                "supply that gives it (split into weeks by the calendar in the detail PSI).", columns(spans), groups,
                what="item or family", noun=("item", "items"))


BUILDERS: dict[str, Callable[..., Grid | None]] = {
    "aggregate": aggregate_grid, "allocate": allocate_grid, "mrp": mrp_grid, "reconcile": reconcile_grid,
    "plan_final": detail_grid,
}


def artifact_grid(name: str, doc: Any, start: date, documents: dict[str, Any]) -> Grid | None:
    """The grid of the plan's artifact ``name``, or None when there is none for its layout."""
    builder = BUILDERS.get(name)
    if builder is None or not isinstance(doc, dict) or "unavailable" in doc:
        return None
    try:
        if name == "plan_final":
            mrp = documents.get("mrp")
            return detail_grid(doc, start, mrp if isinstance(mrp, dict) else None)
        return builder(doc, start)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError):
        return None


AGGREGATE_MEASURES = (("demand", "flow"), ("sales", "flow"), ("shortage", "flow"), ("produced", "flow"),
                      ("end_stock", "stock"))


def results_grid(name: str, doc: Any, start: date) -> Grid | None:
    """An aggregate job's table (a run's daily results by bucket and group) as a grid: a column per bucket."""
    if not isinstance(doc, dict) or not isinstance(doc.get("columns"), list) or not isinstance(doc.get("rows"), list):
        return None
    try:
        index = {c: k for k, c in enumerate(doc["columns"])}
        spans = list(dict.fromkeys((str(r[index["bucket"]]), int(r[index["first_day"]]), int(r[index["last_day"]]))
                                   for r in doc["rows"]))
        spans.sort(key=lambda s: s[1])
        position = {s[0]: k for k, s in enumerate(spans)}
        values: dict[str, dict[str, list[float | None]]] = {}
        for r in doc["rows"]:
            group = values.setdefault(str(r[index["group"]]), {m: [None] * len(spans) for m, _ in AGGREGATE_MEASURES})
            for measure, _ in AGGREGATE_MEASURES:
                group[measure][position[str(r[index["bucket"]])]] = _num(r[index[measure]])
    except (KeyError, TypeError, ValueError, IndexError):
        return None
    groups = [Group(key, "", [_stock("end stock", v["end_stock"]) if m == "end_stock" else _flow(m, v[m])
                              for m, _ in AGGREGATE_MEASURES])
              for key, v in sorted(values.items())]
    by = f"by {doc.get('group_by', 'group')} and {doc.get('bucket', 'bucket')}"
    return Grid(name, f"Run results {by}", "Demand, sales, shortage and production summed over each bucket; end stock "
                "at the end of its last day.", columns([Period(c, f, last, start) for c, f, last in spans]), groups,
                what=str(doc.get("group_by", "group")), noun=("group", "groups"))
