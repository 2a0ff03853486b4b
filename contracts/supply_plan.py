"""The supply plan a run executes, and how a run reports on it.

A plan's supply plan is its ``plan_final`` artifact (services/plan_service/domain/pipeline/final.py):
weekly supply per item, in the order of ``items`` and ``weeks``. A later revision of the plan is a
document of the same layout (at least ``weeks``, ``items`` and ``supply``; other keys are kept as
they are and not read), stored in the object store and named by the ``supply_plan`` of the run
request. The simulator executes it (``execution: "plan"``, the default) or replays the config's
inventory policies (``execution: "policy"``, the behaviour before plans were executed).

How a plan is executed (services/simulator/engine/supply.py): an item's weekly supply is what the
plan wants in stock in that week, spread evenly over the week's days (whole units for discrete
items) at the nodes where the item enters the network (the factories that make it, else the nodes
that buy it from a supplier), split among them by the demand each faces; production is released
its lead time earlier, a purchase ordered its lead time earlier (before day 1: on day 1, late).
The components that production needs are ordered (or made) so as to be there on the day it is
released, net of the stock on hand (the run's own explosion of the plan). Where the plan says
nothing (past its last week, items it does not name, distribution to warehouses and stores) the
inventory policies act.
"""

import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from contracts.envelope import Contract

SUPPLY_PLAN_ARTIFACT = "plan_final"
"""Name of the plan artifact (``PlanCreated.artifacts``) a plan's first runs execute."""

Execution = Literal["plan", "policy"]
EXECUTION_DESCRIPTION = (
    "How a run executes the plan: \"plan\" (default) releases production and purchases as the plan's supply plan "
    "says, inventory policies acting only where it says nothing; \"policy\" replays the config's inventory "
    "policies and leaves the supply plan aside (the behaviour before plans were executed, for comparison).")

T = TypeVar("T")

REASONS = ("capacity", "storage", "components", "upstream", "lead_time")
"""Why a planned quantity was not there in its week: production or transport capacity (production
policies, capacity rows, arc and supplier limits); no room at a node with a hard storage limit;
components short for production; the upstream node's stock short for a purchase; the plan wanted it
sooner than its lead time allows from day 1."""


def plan_execution(options: Mapping[str, Any], artifacts: Sequence[T]) -> tuple[Execution, T | None]:
    """How a plan's runs execute it (its options' ``execution``, "plan" unless "policy") and its supply plan
    among its artifacts (PlanCreated's), None when it has none."""
    execution: Execution = "policy" if options.get("execution") == "policy" else "plan"
    return execution, next((a for a in artifacts if getattr(a, "name", None) == SUPPLY_PLAN_ARTIFACT), None)


class PlanWeek(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    label: str = Field(description="Week label, e.g. W3.")
    first_day: int = Field(ge=1, description="First day of the week (1-based day of the horizon).")
    last_day: int = Field(ge=1, description="Last day of the week.")


class PlanItem(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    item: str = Field(description="Item code.")
    family: str = Field(default="", description="Product family.")


class SupplyPlan(BaseModel):
    """A supply plan document (plan_final's layout): ``supply[i][w]`` units of ``items[i]`` wanted in
    stock in ``weeks[w]``. Weeks are in day order and do not overlap; quantities are finite and not
    negative."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    weeks: list[PlanWeek] = Field(description="The plan's weeks, in day order.")
    items: list[PlanItem] = Field(description="The items the plan covers.")
    supply: list[list[float]] = Field(description="Per item and week: units wanted in stock in that week.")

    @model_validator(mode="after")
    def _consistent(self) -> "SupplyPlan":
        if len(self.supply) != len(self.items):
            raise ValueError(f"supply has {len(self.supply)} rows for {len(self.items)} items")
        for item, row in zip(self.items, self.supply):
            if len(row) != len(self.weeks):
                raise ValueError(f"supply of {item.item} has {len(row)} weeks, the plan {len(self.weeks)}")
            if any(not math.isfinite(q) or q < 0 for q in row):
                raise ValueError(f"supply of {item.item} holds a negative or non-finite quantity")
        last = 0
        for week in self.weeks:
            if week.last_day < week.first_day or week.first_day <= last:
                raise ValueError(f"week {week.label} (days {week.first_day}-{week.last_day}) is out of order")
            last = week.last_day
        if len({i.item for i in self.items}) != len(self.items):
            raise ValueError("an item is named twice")
        return self


class PlanShortfall(Contract):
    """Where a run fell short of its supply plan: one node-item line over the horizon."""

    node: str = Field(description="Node code.")
    item: str = Field(description="Item code.")
    kind: Literal["production", "receipts"] = Field(description="Production completed, or purchases received.")
    stated: bool = Field(description="True when the supply plan states the quantity; False for components the run "
                                     "orders for the planned production.")
    planned: float = Field(description="Units planned over the plan's weeks.")
    attained: float = Field(description="Σ per week min(planned, completed or received in the week).")
    shortfall: float = Field(description="planned − attained: Σ per week max(planned − completed or received, 0).")
    weeks_short: int = Field(ge=0, description="Weeks with a shortfall.")
    first_week: str = Field(description="Label of the first week short.")
    first_day: int = Field(ge=1, description="First day of that week.")
    reason: str = Field(description="The reason behind most of the shortfall (one of REASONS; \"\" when none "
                                    "held anything back).")
    reasons: dict[str, float] = Field(description="The shortfall split by reason (units); reasons with none left out.")
