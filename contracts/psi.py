"""The PSI of a plan under review: its two levels, their cells and how they are named.

- ``aggregate``: period × family. ``demand`` and ``supply`` are set; ``backlog`` is demand − supply.
- ``det``: week × SKU. ``demand`` and ``supply_plan`` are set; ``backlog`` and on hand follow from
  them and the SKU's opening stock, week after week (backorders are served first).

A cell is one measure of one row. Rows are named as the original scpln named them, so the
scripts of its users keep working: ``agg:period=M1,family=FAM1`` and ``det:week=W1,sku=P1``;
``…:field=supply_plan`` names one measure of a row.
"""

from typing import Annotated, Literal

from pydantic import Field

from contracts.envelope import Contract

Level = Literal["aggregate", "det"]
Measure = Literal["demand", "supply"]
MEASURES: tuple[Measure, ...] = ("demand", "supply")
LockMode = Literal["lock", "unlock", "toggle"]
RoundMode = Literal["nearest", "floor", "ceil"]
WeightMode = Literal["current", "equal", "demand", "supply", "weights"]

FIELD_OF: dict[tuple[str, str], str] = {
    ("aggregate", "demand"): "demand", ("aggregate", "supply"): "supply",
    ("det", "demand"): "demand", ("det", "supply"): "supply_plan"}
"""The name a measure has in the rows of a level (the original's field names)."""
MEASURE_OF_FIELD: dict[str, Measure] = {"demand": "demand", "supply": "supply", "supply_plan": "supply"}
DERIVED_FIELDS = frozenset({"backlog", "on_hand_start", "on_hand_end"})
"""Fields that follow from demand and supply: never set, always computed."""
_ROW_PREFIX = {"aggregate": ("agg:period=", ",family="), "det": ("det:week=", ",sku=")}
_FIELD_SUFFIX = ":field="

Quantity = Annotated[float, Field(ge=0, le=1e12, allow_inf_nan=False)]
"""A quantity of the PSI: finite, not negative, kept to 6 decimals."""


class PsiCell(Contract):
    """One measure of one row of a plan's PSI."""

    level: Level = Field(description="aggregate (period × family) or det (week × SKU).")
    period: str = Field(min_length=1, description="The aggregate level's period (M1…) or the detail level's week (W1…).")
    key: str = Field(min_length=1, description="The family (aggregate) or the SKU (det).")
    measure: Measure = Field(description="demand or supply (the detail level calls supply supply_plan).")


class PsiCellValue(PsiCell):
    value: Quantity = Field(description="The cell's value from this fact on.")


class PsiRounding(Contract):
    """Values a distribution or a reconcile gives are multiples of ``step`` (the remainder, which
    keeps the total exact, goes to the largest cell)."""

    step: float = Field(ge=1e-6, le=1e12, allow_inf_nan=False, description="Rounding step, e.g. 1 for whole units.")
    mode: RoundMode = Field(default="nearest", description="nearest (halves up), floor or ceil.")


class PsiDistribution(Contract):
    """How an aggregate edit is spread over the detail cells below it (family's SKUs × period's weeks)."""

    weight_mode: WeightMode = Field(default="current", description=(
        "current: the detail cells' current values of the measure; equal; demand or supply: the detail cells' "
        "current values of that measure; weights: the plan's weights (POST /plans/{id}/psi/weights). All zero: equal."))
    rounding: dict[Measure, PsiRounding] = Field(default_factory=dict, description="Rounding per measure; none: exact.")


class PsiWeight(Contract):
    key: str = Field(min_length=1, max_length=500, description="A detail row, det:week=W1,sku=P1 (or an aggregate row).")
    weight: float = Field(ge=0, le=1e12, allow_inf_nan=False, description="Its weight in distributions by weights.")


class PsiSpan(Contract):
    label: str = Field(description="M1…, or W1….")
    first_day: int = Field(description="First day of the horizon it covers (day 1 is the start date).")
    last_day: int = Field(description="Last day it covers.")


class PsiWeek(PsiSpan):
    period: str = Field(description="The period the week belongs to: the one holding its fourth day (its last, "
                                    "for a shorter week).")


class PsiSkuRows(Contract):
    """The detail rows of one SKU, week by week in the order of the plan's weeks."""

    sku: str
    family: str
    opening: float = Field(description="On hand at the start of the first week.")
    demand: list[float]
    supply: list[float]


class PsiAggregateRow(Contract):
    period: str
    family: str
    demand: float
    supply: float


def row_key(level: str, period: str, key: str) -> str:
    start, middle = _ROW_PREFIX[level]
    return f"{start}{period}{middle}{key}"


def cell_key(cell: PsiCell) -> str:
    return f"{row_key(cell.level, cell.period, cell.key)}{_FIELD_SUFFIX}{FIELD_OF[(cell.level, cell.measure)]}"


def parse_key(text: str) -> tuple[Level, str, str, Measure | None]:
    """(level, period, key, measure or None for a whole row) of a row or cell key; ValueError."""
    row, _, field = text.partition(_FIELD_SUFFIX)
    for level, (start, middle) in _ROW_PREFIX.items():
        if row.startswith(start) and middle in row:
            period, _, key = row[len(start):].partition(middle)
            if not period or not key:
                break
            if field and field not in MEASURE_OF_FIELD:
                raise ValueError(f"{text!r}: {field!r} is no field that can be set (demand, supply, supply_plan)")
            return level, period, key, MEASURE_OF_FIELD[field] if field else None  # type: ignore[return-value]
    raise ValueError(f"{text!r} names no PSI row: agg:period=M1,family=FAM1 or det:week=W1,sku=P1 "
                     "(with :field=demand or :field=supply_plan for one cell)")
