"""Planning inputs: taken from ``planning_inputs`` where the config carries them, else derived from its
demands (family demand, mix shares), its months (periods and weeks) and its capacities."""

from dataclasses import dataclass
from datetime import date

import numpy as np

from contracts.buckets import BucketError, day_range, start_date_of
from contracts.canonical import CanonicalConfig
from services.plan_service.domain.grouping import family_of
from services.plan_service.domain.pipeline import calendar as cal
from services.plan_service.domain.pipeline.calendar import Calendar
from services.plan_service.domain.pipeline.capacity import family_capacity_per_day
from services.plan_service.domain.pipeline.errors import PipelineError


@dataclass(frozen=True)
class PlanInputs:
    start: date
    calendar: Calendar
    families: list[str]
    items: list[str]
    item_family: np.ndarray
    """Index into ``families`` of each item (SKU) the plan covers."""
    family_demand: np.ndarray
    """Per family and period."""
    mix_share: np.ndarray
    """Per item and period: the item's share of its family; the shares of one family sum to 1."""
    capacity_day: np.ndarray
    """Per family and day; ``inf`` where nothing limits the family."""
    period_preference: np.ndarray | None = None
    """Per period: (1 + score / max |score|) / (1 + cost / max |cost|) from the planning inputs' period
    scores and costs (a period without a row counts 0); None when the config gives neither."""


def horizon_of(config: CanonicalConfig, start: date) -> int:
    horizon = config.planning_days or max((_days(d.bucket, start).last for d in config.demands), default=0)
    if horizon <= 0:
        raise PipelineError("aggregate", "the config has no planning horizon and no demand to plan")
    return horizon


def _days(bucket: str, start: date):
    try:
        return day_range(bucket, start)
    except BucketError as exc:
        raise PipelineError("aggregate", str(exc)) from exc


def plan_items(config: CanonicalConfig, families: dict[str, str]) -> list[str]:
    """Items with demand, or named by the planning inputs' family demand or mix shares, in the config's order."""
    given = {row["family"] for row in config.planning_inputs.family_demand}
    wanted = {d.item_code for d in config.demands} | {r["item_code"] for r in config.planning_inputs.mix_shares}
    return [i.code for i in config.items if i.code in wanted or families.get(i.code) in given]


def demand_per_day(config: CanonicalConfig, items: list[str], start: date, horizon: int) -> np.ndarray:
    index = {item: k for k, item in enumerate(items)}
    daily = np.zeros((len(items), horizon))
    for demand in config.demands:
        if demand.item_code not in index:
            continue
        days = _days(demand.bucket, start)
        clipped = days.clip(horizon)
        if clipped.days and days.days:
            daily[index[demand.item_code], clipped.first - 1:clipped.last] += demand.mean / days.days
    return daily


def sum_over_periods(daily: np.ndarray, calendar: Calendar) -> np.ndarray:
    return np.stack([daily[:, p.first - 1:p.last].sum(axis=1) for p in calendar.periods], axis=1)


def group(values: np.ndarray, index: np.ndarray, count: int) -> np.ndarray:
    out = np.zeros((count,) + values.shape[1:])
    np.add.at(out, index, values)
    return out


def build_calendar(config: CanonicalConfig, start: date, horizon: int) -> Calendar:
    inputs = config.planning_inputs
    if inputs.calendar:
        return cal.custom_calendar(inputs.calendar, start, horizon)
    if inputs.family_demand:
        labels = dict.fromkeys(str(row["period"]) for row in inputs.family_demand
                               if cal.inside(str(row["period"]), start, horizon))
        if not labels:
            raise PipelineError("aggregate", "no family demand period lies inside the horizon")
        return cal.derived_calendar([cal.span(label, start, horizon) for label in labels], horizon)
    return cal.derived_calendar(cal.month_periods(start, horizon), horizon)


def given_family_demand(config: CanonicalConfig, families: list[str], calendar: Calendar, start: date) -> np.ndarray:
    f_index, p_index = {f: k for k, f in enumerate(families)}, {p.label: k for k, p in enumerate(calendar.periods)}
    demand = np.zeros((len(families), len(calendar.periods)))
    for row in config.planning_inputs.family_demand:
        if not cal.inside(str(row["period"]), start, calendar.horizon):
            continue
        if str(row["period"]) not in p_index:
            raise PipelineError("aggregate", f"family demand period {row['period']!r} is not in the calendar")
        demand[f_index[row["family"]], p_index[str(row["period"])]] += float(row["demand"])
    return demand


def mix_shares(config: CanonicalConfig, items: list[str], item_family: np.ndarray, item_demand: np.ndarray,
               family_count: int) -> np.ndarray:
    """Given shares per family (normalised), else each item's share of its family's demand in the period,
    else over the horizon, else an equal split."""
    family_demand = group(item_demand, item_family, family_count)[item_family]
    total = item_demand.sum(axis=1)
    family_total = group(total, item_family, family_count)[item_family]
    members = np.bincount(item_family, minlength=family_count)[item_family]
    horizon_share = np.where(family_total > 0, total / np.where(family_total > 0, family_total, 1), 1 / members)
    share = np.where(family_demand > 0, item_demand / np.where(family_demand > 0, family_demand, 1), horizon_share[:, None])
    given = np.zeros(len(items))
    index = {item: k for k, item in enumerate(items)}
    for row in config.planning_inputs.mix_shares:
        given[index[row["item_code"]]] += float(row["share"])
    given_total = group(given, item_family, family_count)[item_family]
    override = given_total > 0
    share[override] = (given[override] / given_total[override])[:, None]
    return share


def period_preference(config: CanonicalConfig, calendar: Calendar) -> np.ndarray | None:
    """How much each period is preferred for a family's shortfall, as the original scpln weighs a
    neighbouring period's headroom: raised by its score, lowered by its cost, both relative to the
    largest given."""
    given = config.planning_inputs
    if not given.period_costs and not given.period_scores:
        return None
    index = {p.label: k for k, p in enumerate(calendar.periods)}

    def relative(rows: list[dict], field: str) -> np.ndarray:
        values = np.zeros(len(calendar.periods))
        for row in rows:
            if str(row.get("period")) in index:
                values[index[str(row["period"])]] = float(row[field])
        largest = np.abs(values).max(initial=0.0)
        return np.maximum(values / largest, 0.0) if largest > 0 else values

    return (1 + relative(given.period_scores, "score")) / (1 + relative(given.period_costs, "cost"))


def planning_inputs(config: CanonicalConfig, options: dict) -> PlanInputs:
    start = start_date_of(config.meta.attributes)
    horizon = horizon_of(config, start)
    calendar = build_calendar(config, start, horizon)
    family_map = family_of(config) | {r["item_code"]: r["family"] for r in config.planning_inputs.mix_shares}
    items = plan_items(config, family_map)
    if not items:
        raise PipelineError("aggregate", "the config has no demand to plan")
    families = sorted({family_map[item] for item in items} | {r["family"] for r in config.planning_inputs.family_demand})
    position = {family: k for k, family in enumerate(families)}
    item_family = np.array([position[family_map[item]] for item in items], dtype=int)
    daily = demand_per_day(config, items, start, horizon)
    item_demand = sum_over_periods(daily, calendar)
    family_demand = (given_family_demand(config, families, calendar, start) if config.planning_inputs.family_demand
                     else group(item_demand, item_family, len(families)))
    shares = mix_shares(config, items, item_family, item_demand, len(families))
    capacity = family_capacity_per_day(config, items, item_family, families, daily, calendar, start)
    if options.get("ignore_capacity"):
        capacity = np.full_like(capacity, np.inf)
    return PlanInputs(start, calendar, families, items, item_family, family_demand, shares, capacity,
                      period_preference(config, calendar))
