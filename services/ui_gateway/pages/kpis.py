"""How the pages show KPIs. Label, unit and formula come from contracts/kpis.py (the run KPIs
``KPIS`` and the plan KPIs ``PLAN_KPIS``); the unit says the format:

- ``fraction``: a percentage with one decimal (0.975 → 97.5%);
- ``money``: two decimals and the run's currency (1,234.50 EUR);
- ``units``: whole units (items in discrete units are counted whole), two decimals only where a
  value holds a fraction (continuous units such as kg, averages, stub estimates);
- ``days``, ``day``, ``count``: whole numbers; ``flag``: yes / no.

Which way is better (the colour of a difference on the compare pages) is the pages' own.
"""

import math
from typing import Any

from contracts.kpis import KPI_BY_KEY, PLAN_KPI_BY_KEY, Kpi
from services.ui_gateway.pages.common import num

BETTER: dict[str, int] = {
    "fill_rate": +1, "fill_rate_on_time": +1, "profit_total": +1, "revenue_total": +1, "profit_per_day_avg": +1,
    "store_sales_total": +1, "store_sales_on_time": +1, "cost_total": -1, "penalty_total": -1,
    "lost_sales_total": -1, "backorder_open_end": -1, "customer_shortage_total": -1, "network_shortage_total": -1,
    "backorder_peak": -1, "fill_rate_estimate": +1, "backlog_total": -1, "unplanned_at_horizon_end": -1,
    "past_due_releases_total": -1,
}
"""+1 when more is better, -1 when less is; KPIs not named are neither."""

CARDS = ("fill_rate", "fill_rate_on_time", "profit_total", "revenue_total", "cost_total", "penalty_total",
         "profit_per_day_avg", "store_demand_total", "store_sales_total", "store_sales_on_time", "store_sales_late",
         "lost_sales_total", "backorder_open_end", "customer_shortage_total", "network_shortage_total",
         "backorder_peak", "planning_days")
"""The run KPIs a run page shows as cards, in this order."""

DISTRIBUTED = ("fill_rate", "fill_rate_on_time", "profit_total", "revenue_total", "cost_total", "penalty_total",
               "store_sales_total", "store_sales_late", "lost_sales_total", "backorder_open_end",
               "customer_shortage_total", "network_shortage_total", "backorder_peak")
"""The run KPIs a plan page shows the distribution of, in this order (the JSON API gives them all)."""


def kpi(key: str) -> Kpi:
    """A run KPI's definition; a key no table knows is labelled from its name, in units."""
    return KPI_BY_KEY.get(key) or Kpi(key, key.replace("_", " ").capitalize(), "units", "")


def plan_kpi(key: str) -> Kpi:
    """A plan KPI's definition (a run KPI's when the plan table does not know it)."""
    return PLAN_KPI_BY_KEY.get(key) or kpi(key)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def formatted(value: Any, unit: str, currency: str = "") -> str:
    """A value in its unit's format (see the module's docstring); "–" when there is none."""
    if not _number(value):
        return num(value)
    if unit == "fraction":
        return f"{value * 100:.1f}%"
    if unit == "money":
        return f"{value:,.2f} {currency}".rstrip()
    if unit in ("days", "day", "count"):
        return f"{round(value):,}"
    if unit == "flag":
        return "yes" if value else "no"
    whole = round(value)
    return f"{whole:,}" if abs(value - whole) < 1e-6 else f"{value:,.2f}"


def kpi_value(value: Any, key: str, currency: str = "") -> str:
    return formatted(value, kpi(key).unit, currency)


def plan_kpi_value(value: Any, key: str) -> str:
    return formatted(value, plan_kpi(key).unit)


def kpi_diff(delta: float, key: str, currency: str = "") -> str:
    """A difference against a base: percentage points for a rate."""
    unit = kpi(key).unit
    if unit == "fraction":
        return f"{delta * 100:+.1f} pp"
    if unit == "money":
        return f"{delta:+,.2f} {currency}".rstrip()
    whole = round(delta)
    return f"{whole:+,}" if abs(delta - whole) < 1e-6 else f"{delta:+,.2f}"


def kpi_trend(delta: float, key: str) -> str:
    """``better``, ``worse`` or empty, for the colour of a difference."""
    better = BETTER.get(key, 0)
    direction = better * (delta > 0) - better * (delta < 0)
    return "better" if direction > 0 else "worse" if direction < 0 else ""


FILTERS = {
    "kpi_value": kpi_value, "kpi_diff": kpi_diff, "kpi_trend": kpi_trend, "plan_kpi_value": plan_kpi_value,
    "kpi_label": lambda key: kpi(key).label, "kpi_formula": lambda key: kpi(key).formula,
    "plan_kpi_label": lambda key: plan_kpi(key).label, "plan_kpi_formula": lambda key: plan_kpi(key).formula,
}
"""The templates' KPI filters (``common.make_templates`` installs them)."""
