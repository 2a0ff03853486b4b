"""A plan's PSI as plan_service folds it: both levels' cells, their pipeline values, the locks and
the weights. Built from the plan's artifacts (plan_final; the periods from aggregate, the opening
stock from mrp), then every PSI fact of the plan applied in log order. Pure.

A cell is ``(level, measure, row, column)``: aggregate rows are families and columns periods;
detail rows are SKUs and columns weeks. A week belongs to the period holding its fourth day (its
last, for a shorter week); an aggregate cell is, at first, the sum of the detail cells below it.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from contracts.events import PlanPsiEdited, PlanPsiLocksChanged, PlanPsiReconciled, PlanPsiWeightsSet
from contracts.psi import MEASURES, Level, Measure, PsiCell, PsiCellValue, row_key
from services.plan_service.domain.psi.spread import quantity, units

Cell = tuple[str, str, int, int]
"""(level, measure, row, column)."""


class UnknownCell(KeyError):
    """A period, week, family or SKU the plan does not have."""


def _matrix(rows: int, columns: int) -> list[list[int]]:
    return [[0] * columns for _ in range(rows)]


@dataclass
class PsiGrid:
    periods: list[dict[str, Any]]
    weeks: list[dict[str, Any]]
    week_period: list[int]
    families: list[str]
    skus: list[str]
    sku_family: list[int]
    opening: list[int]
    values: dict[str, dict[str, list[list[int]]]]
    """level → measure → [row][column], in units."""
    base: dict[str, dict[str, list[list[int]]]]
    locked: set[Cell] = field(default_factory=set)
    weights: dict[str, float] = field(default_factory=dict)
    """Row key → weight (distributions by weights)."""

    def __post_init__(self) -> None:
        self._columns = {"aggregate": {p["label"]: i for i, p in enumerate(self.periods)},
                         "det": {w["label"]: i for i, w in enumerate(self.weeks)}}
        self._rows = {"aggregate": {f: i for i, f in enumerate(self.families)},
                      "det": {s: i for i, s in enumerate(self.skus)}}
        self.members: dict[tuple[int, int], list[tuple[int, int]]] = {}
        for s, f in enumerate(self.sku_family):
            for w, p in enumerate(self.week_period):
                self.members.setdefault((f, p), []).append((s, w))

    def cell(self, c: PsiCell) -> Cell:
        try:
            return c.level, c.measure, self._rows[c.level][c.key], self._columns[c.level][c.period]
        except KeyError:
            what = ("period", "family") if c.level == "aggregate" else ("week", "SKU")
            raise UnknownCell(f"the plan has no {what[0]} {c.period!r} or no {what[1]} {c.key!r}") from None

    def named(self, cell: Cell, value: int | None = None) -> PsiCell | PsiCellValue:
        level, measure, row, column = cell
        period = (self.periods if level == "aggregate" else self.weeks)[column]["label"]
        key = (self.families if level == "aggregate" else self.skus)[row]
        if value is None:
            return PsiCell(level=level, period=period, key=key, measure=measure)  # type: ignore[arg-type]
        return PsiCellValue(level=level, period=period, key=key, measure=measure, value=quantity(value))  # type: ignore[arg-type]

    def get(self, cell: Cell) -> int:
        return self.values[cell[0]][cell[1]][cell[2]][cell[3]]

    def original(self, cell: Cell) -> int:
        return self.base[cell[0]][cell[1]][cell[2]][cell[3]]

    def set(self, cell: Cell, value: int) -> None:
        self.values[cell[0]][cell[1]][cell[2]][cell[3]] = value

    def row_cells(self, cell: Cell) -> list[Cell]:
        """Every measure of the cell's row."""
        return [(cell[0], m, cell[2], cell[3]) for m in MEASURES]

    def below(self, cell: Cell) -> list[Cell]:
        """The detail cells of the same measure below an aggregate cell."""
        return [("det", cell[1], s, w) for s, w in self.members.get((cell[2], cell[3]), [])]

    def above(self, cell: Cell) -> Cell | None:
        """The aggregate cell a detail cell belongs to."""
        period = self.week_period[cell[3]]
        return ("aggregate", cell[1], self.sku_family[cell[2]], period) if period >= 0 else None

    def row_key(self, cell: Cell) -> str:
        named = self.named(cell)
        return row_key(named.level, named.period, named.key)

    def aggregate_cells(self) -> Iterator[Cell]:
        for measure in MEASURES:
            for f in range(len(self.families)):
                for p in range(len(self.periods)):
                    yield "aggregate", measure, f, p

    def apply(self, event: object) -> None:
        """Fold one PSI fact of this plan in."""
        match event:
            case PlanPsiEdited():
                self._set_all([*event.cells, *event.distributed, *event.rolled_up])
            case PlanPsiReconciled():
                self._set_all(event.cells)
            case PlanPsiLocksChanged():
                self.locked.update(self.cell(c) for c in event.locked)
                self.locked.difference_update(self.cell(c) for c in event.unlocked)
            case PlanPsiWeightsSet():
                self.weights.update((w.key, w.weight) for w in event.weights)

    def _set_all(self, cells: Iterable[PsiCellValue]) -> None:
        for c in cells:
            self.set(self.cell(c), units(c.value))


def week_periods(weeks: list[dict[str, Any]], periods: list[dict[str, Any]]) -> list[int]:
    """The period of each week: the one holding its fourth day (its last, for a shorter week)."""
    out = []
    for week in weeks:
        day = min(week["first_day"] + 3, week["last_day"])
        found = [i for i, p in enumerate(periods) if p["first_day"] <= day <= p["last_day"]]
        out.append(found[0] if found else -1)
    return out


def grid_from_documents(plan_final: dict[str, Any], aggregate: dict[str, Any], mrp: dict[str, Any]) -> PsiGrid:
    """The PSI the pipeline made: detail from plan_final, aggregate its sum by the weeks' periods."""
    weeks = [{k: w[k] for k in ("label", "first_day", "last_day")} for w in plan_final["weeks"]]
    periods = [{k: p[k] for k in ("label", "first_day", "last_day")} for p in aggregate["periods"]]
    families = list(plan_final["families"])
    items = plan_final["items"]
    skus, sku_family = [i["item"] for i in items], [families.index(i["family"]) for i in items]
    on_hand = {i["item"]: i.get("on_hand") or 0.0 for i in mrp.get("items", [])}
    det = {"demand": _units(plan_final["demand"]), "supply": _units(plan_final["supply"])}
    week_period = week_periods(weeks, periods)
    agg = {m: _matrix(len(families), len(periods)) for m in MEASURES}
    for measure in MEASURES:
        for s, f in enumerate(sku_family):
            for w, p in enumerate(week_period):
                if p >= 0:
                    agg[measure][f][p] += det[measure][s][w]
    values: dict[str, dict[str, list[list[int]]]] = {"aggregate": agg, "det": det}
    return PsiGrid(periods, weeks, week_period, families, skus, sku_family,
                   [units(on_hand.get(s, 0.0)) for s in skus], values, _copy(values))


def _units(matrix: list[list[float | None]]) -> list[list[int]]:
    return [[units(v or 0.0) for v in row] for row in matrix]


def _copy(values: dict[str, dict[str, list[list[int]]]]) -> dict[str, dict[str, list[list[int]]]]:
    return {level: {m: [list(row) for row in rows] for m, rows in by.items()} for level, by in values.items()}


def level_of(cell: Cell) -> Level:
    return cell[0]  # type: ignore[return-value]


def measure_of(cell: Cell) -> Measure:
    return cell[1]  # type: ignore[return-value]
