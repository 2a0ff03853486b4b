"""How the pages show a run's KPIs: a label, a format, and which way is better (for the colour
of a difference on the compare page)."""

from dataclasses import dataclass
from typing import Any

from services.ui_gateway.pages.common import num


@dataclass(frozen=True)
class Kpi:
    label: str
    kind: str
    """``pct`` (a fraction shown in %), ``money`` (two decimals), ``qty`` or ``day``."""
    better: int = 0
    """+1 when more is better, -1 when less is, 0 when neither."""


KPIS: dict[str, Kpi] = {
    "fill_rate": Kpi("Fill rate", "pct", +1),
    "profit_total": Kpi("Profit", "money", +1),
    "revenue_total": Kpi("Revenue", "money", +1),
    "cost_total": Kpi("Cost", "money", -1),
    "penalty_total": Kpi("Penalties", "money", -1),
    "profit_per_day_avg": Kpi("Profit per day", "money", +1),
    "store_demand_total": Kpi("Store demand", "qty"),
    "store_sales_total": Kpi("Store sales", "qty", +1),
    "customer_shortage_total": Kpi("Customer shortage", "qty", -1),
    "network_shortage_total": Kpi("Network shortage", "qty", -1),
    "backorder_peak": Kpi("Backorder peak", "qty", -1),
    "backorder_peak_day": Kpi("Backorder peak day", "day"),
    "planning_days": Kpi("Days", "day"),
}
CARDS = ("fill_rate", "profit_total", "revenue_total", "cost_total", "penalty_total", "profit_per_day_avg",
         "store_demand_total", "store_sales_total", "customer_shortage_total", "network_shortage_total",
         "backorder_peak", "planning_days")


def kpi(key: str) -> Kpi:
    return KPIS.get(key) or Kpi(key.replace("_", " ").capitalize(), "qty")


def kpi_value(value: Any, key: str) -> str:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return num(value)
    kind = kpi(key).kind
    if kind == "pct":
        return f"{value * 100:.1f}%"
    if kind == "money":
        return f"{value:,.2f}"
    return num(value)


def kpi_diff(delta: float, key: str) -> str:
    """A difference against the base run: percentage points for a rate."""
    kind = kpi(key).kind
    if kind == "pct":
        return f"{delta * 100:+.1f} pp"
    if kind == "money" or not float(delta).is_integer():
        return f"{delta:+,.2f}"
    return f"{int(delta):+,}"


def kpi_trend(delta: float, key: str) -> str:
    """``better``, ``worse`` or empty, for the colour of a difference."""
    direction = kpi(key).better * (delta > 0) - kpi(key).better * (delta < 0)
    return "better" if direction > 0 else "worse" if direction < 0 else ""
