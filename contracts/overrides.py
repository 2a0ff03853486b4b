"""What-ifs a scenario holds: overrides applied in order on top of a config when a plan is made.

An override is an object with a ``type`` (the discriminator) and the fields of that type. The
selectors ``item``, ``family``, ``node``, ``region`` narrow what it changes (all of them when
left out); ``from`` and ``to`` (dates, inclusive) narrow it in time, read against the config's
start date and its buckets (``contracts.buckets``). A scenario derived from another inherits its
overrides: the parent's first, then its own. plan_service applies them
(``services/plan_service/domain/overrides``); what each one changes in the config is in its
field descriptions and the README's table.
"""

from datetime import date
from typing import Annotated, Any, Literal, Union

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from contracts.envelope import Contract

OVERRIDES_MAX = 100
"""Overrides one scenario may hold (its own; inherited ones come on top)."""

Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Factor = Annotated[float, Field(ge=0, le=1000, allow_inf_nan=False)]
Delta = Annotated[float, Field(ge=-1e12, le=1e12, allow_inf_nan=False)]


class _Part(Contract):
    model_config = ConfigDict(frozen=True, extra="forbid", validate_by_name=True, validate_by_alias=True,
                              serialize_by_alias=True)


def _one_of(values: dict[str, Any], *names: str) -> None:
    given = [name for name in names if values.get(name) is not None]
    if len(given) != 1:
        raise ValueError(f"give exactly one of {' or '.join(names)}" + (f", not {' and '.join(given)}" if given else ""))


class _Override(_Part):
    type: str = Field(description="Kind of override.")


class _Items(_Override):
    item: Code | None = Field(default=None, description="Only this item (its code).")
    family: Code | None = Field(default=None, description="Only items of this product family (the item's "
                                                          "attributes.family, else its product hierarchy's family).")


class _Nodes(_Override):
    node: Code | None = Field(default=None, description="Only this node (its code).")
    region: Code | None = Field(default=None, description="Only nodes of this region (the location hierarchy's, "
                                                          "else the node's own).")


class _Dates(_Override):
    from_: date | None = Field(default=None, alias="from", description="First day it applies to (inclusive).")
    to: date | None = Field(default=None, description="Last day it applies to (inclusive).")

    @model_validator(mode="after")
    def _ordered(self) -> Any:
        if self.from_ is not None and self.to is not None and self.from_ > self.to:
            raise ValueError(f"from ({self.from_}) is after to ({self.to})")
        return self

    def dates(self) -> str:
        if self.from_ is None and self.to is None:
            return ""
        return f"{self.from_ or '…'} – {self.to or '…'}"


def _where(*parts: str) -> str:
    return ", ".join(p for p in parts if p) or "everywhere"


def _scaled(factor: float) -> str:
    return f"× {factor:g} ({(factor - 1) * 100:+.0f}%)"


def _by(factor: float | None, delta: float | None, unit: str = "") -> str:
    return _scaled(factor) if factor is not None else f"{delta:+g}{unit}"


def _selectors(o: Any) -> list[str]:
    return [f"{name} {value}" for name in ("item", "family", "node", "region")
            if (value := getattr(o, name, None)) is not None]


class DemandScale(_Dates, _Nodes, _Items):
    """Scale demand: each demand row of the selected items at the selected nodes has its mean, standard
    deviation and min/max multiplied by ``factor``, so a normal row's draw is the same draw scaled. A
    row whose bucket lies partly within from..to is scaled by the share of its days inside (the config
    spreads a bucket evenly over its days, and so does the change). Family demand given in
    ``planning_inputs`` is scaled too when no item, node or region is named."""

    type: Literal["demand_scale"] = Field(description="demand_scale")
    factor: Factor = Field(description="Multiplier of demand: 1.5 is +50 %, 0.8 is −20 %, 0 removes it.")

    def where(self) -> str:
        return _where(*_selectors(self), self.dates())

    def change(self) -> str:
        return f"demand {_scaled(self.factor)}"


class DemandShift(_Dates, _Nodes, _Items):
    """Move demand in time: each selected demand row whose bucket starts within from..to moves by
    ``days`` (its bucket becomes that date range) or by ``periods`` of its own bucket (M2 → M3 for
    one month, W3 → W5 for two weeks). Demand moved past the horizon falls out of it."""

    type: Literal["demand_shift"] = Field(description="demand_shift")
    days: int | None = Field(default=None, ge=-3660, le=3660, description="Days later (negative: earlier).")
    periods: int | None = Field(default=None, ge=-120, le=120, description="Buckets later, each row by its own "
                                                                          "bucket's length (negative: earlier).")

    @model_validator(mode="after")
    def _amount(self) -> "DemandShift":
        _one_of({"days": self.days or None, "periods": self.periods or None}, "days", "periods")
        return self

    def where(self) -> str:
        return _where(*_selectors(self), self.dates())

    def change(self) -> str:
        return f"demand moved {self.days:+d} days" if self.days else f"demand moved {self.periods:+d} periods"


class CapacityScale(_Dates):
    """Scale production and supply capacity. Without item: the node's capacity rows (``capacities``,
    its workcenters' included) and its production policies; with ``item``: that item's production
    policies only (an item's capacity has no dates). With from..to the rows and the node-wide policy
    are scaled on those days only (rows of the new capacity are added for them)."""

    type: Literal["capacity_scale"] = Field(description="capacity_scale")
    factor: Factor = Field(description="Multiplier of capacity: 0.5 halves it.")
    node: Code | None = Field(default=None, description="Only this node (its code); every node when left out.")
    item: Code | None = Field(default=None, description="Only production policies of this item.")

    @model_validator(mode="after")
    def _item_without_dates(self) -> "CapacityScale":
        if self.item is not None and (self.from_ is not None or self.to is not None):
            raise ValueError("an item's production capacity has no dates: leave out from/to, or the item")
        return self

    def where(self) -> str:
        return _where(*_selectors(self), self.dates())

    def change(self) -> str:
        return f"capacity {_scaled(self.factor)}"


class ArcRef(_Part):
    from_node: Code = Field(description="Code of the arc's source node.")
    to_node: Code = Field(description="Code of the arc's destination node.")


class LeadTimeChange(_Override):
    """Change lead times, set to ``days`` or moved by ``delta`` (never below 0). ``arc``: that arc's
    transport lead time (and the lead times the destination's inventory policies state for items it
    orders over it, which replace the arc's); ``arc`` + ``item``: the destination's lead time for that
    item only; ``node``: every arc into the node; ``node`` + ``item``: that node's inventory policy
    lead time for the item; ``item`` alone: the item's own lead_time_days (production lead time and the
    MRP's offset); nothing: every arc."""

    type: Literal["lead_time_change"] = Field(description="lead_time_change")
    arc: ArcRef | None = Field(default=None, description="The arc (from_node, to_node).")
    node: Code | None = Field(default=None, description="Every arc into this node.")
    item: Code | None = Field(default=None, description="Only this item.")
    days: int | None = Field(default=None, ge=0, le=3660, description="New lead time in days.")
    delta: int | None = Field(default=None, ge=-3660, le=3660, description="Days added (negative: removed).")

    @model_validator(mode="after")
    def _amount(self) -> "LeadTimeChange":
        _one_of({"days": self.days, "delta": self.delta}, "days", "delta")
        if self.arc is not None and self.node is not None:
            raise ValueError("give arc or node, not both")
        return self

    def where(self) -> str:
        arc = f"arc {self.arc.from_node} → {self.arc.to_node}" if self.arc else ""
        return _where(arc, *_selectors(self))

    def change(self) -> str:
        return f"lead time = {self.days} days" if self.days is not None else f"lead time {self.delta:+d} days"


class _Amount(_Override):
    factor: Factor | None = Field(default=None, description="Multiplier.")
    delta: Delta | None = Field(default=None, description="Amount added (negative: removed); never below 0.")

    @model_validator(mode="after")
    def _amount(self) -> Any:
        _one_of({"factor": self.factor, "delta": self.delta}, "factor", "delta")
        return self


class PriceChange(_Amount, _Items):
    """Change items' sales price (``attributes.sales_price``). Prices are per item in the config, so
    there is no node selector."""

    type: Literal["price_change"] = Field(description="price_change")

    @model_validator(mode="before")
    @classmethod
    def _no_node(cls, data: Any) -> Any:
        if isinstance(data, dict) and ("node" in data or "region" in data):
            raise ValueError("prices are per item in the config: price_change takes item or family, not node or region")
        return data

    def where(self) -> str:
        return _where(*_selectors(self))

    def change(self) -> str:
        return f"sales price {_by(self.factor, self.delta)}"


CostKind = Literal["unit_cost", "sgna", "production", "transport", "storage"]


class CostChange(_Amount, _Items):
    """Change a cost: ``unit_cost`` (items' unit_cost), ``sgna`` (items' attributes.sgna_cost_per_unit),
    ``production`` (variable cost of production policies), ``transport`` (variable transport cost of the
    arcs leaving the node), ``storage`` (nodes' variable storage cost and their inventory policies'
    storage cost)."""

    type: Literal["cost_change"] = Field(description="cost_change")
    cost: CostKind = Field(default="unit_cost", description="Which cost: unit_cost, sgna, production, transport "
                                                            "or storage.")
    node: Code | None = Field(default=None, description="Only this node (production, transport, storage).")

    @model_validator(mode="after")
    def _selectors_fit(self) -> "CostChange":
        if self.node is not None and self.cost in ("unit_cost", "sgna"):
            raise ValueError(f"{self.cost} is per item in the config: leave out node")
        if self.cost == "transport" and (self.item is not None or self.family is not None):
            raise ValueError("transport cost is per arc: select the arcs by node, not by item")
        return self

    def where(self) -> str:
        return _where(*_selectors(self))

    def change(self) -> str:
        return f"{self.cost.replace('_', ' ')} {_by(self.factor, self.delta)}"


class OpeningInventory(_Nodes, _Items):
    """Opening stock: the selected inventory policies' ``initial_inventory`` (and the matching
    ``planning_inputs.inventory_snapshots``) set to ``quantity`` or multiplied by ``factor``."""

    type: Literal["opening_inventory"] = Field(description="opening_inventory")
    quantity: float | None = Field(default=None, ge=0, le=1e12, allow_inf_nan=False, description="New opening stock.")
    factor: Factor | None = Field(default=None, description="Multiplier of the opening stock.")

    @model_validator(mode="after")
    def _amount(self) -> "OpeningInventory":
        _one_of({"quantity": self.quantity, "factor": self.factor}, "quantity", "factor")
        return self

    def where(self) -> str:
        return _where(*_selectors(self))

    def change(self) -> str:
        return f"opening stock = {self.quantity:g}" if self.quantity is not None else f"opening stock {_scaled(self.factor)}"  # type: ignore[arg-type]


OVERRIDE_TYPES = (DemandScale, DemandShift, CapacityScale, LeadTimeChange, PriceChange, CostChange, OpeningInventory)
Override = Annotated[Union[OVERRIDE_TYPES], Field(discriminator="type")]  # type: ignore[valid-type]  # noqa: UP007
Overrides = Annotated[list[Override], Field(max_length=OVERRIDES_MAX)]


class ScenarioOverride(Contract):
    """An override as a plan takes it: from its base scenario or one of that scenario's ancestors."""

    scenario_id: str = Field(description="The scenario that holds it (the base scenario or an ancestor).")
    override: Override = Field(description="The override.")


class AppliedOverride(ScenarioOverride):
    """An override as the plan applied it to its config."""

    changed: int = Field(ge=0, description="Entries of the config it changed (demand rows, capacity rows and "
                                           "policies, arcs, items, inventory policies); 0: it matched nothing.")
    note: str = Field(default="", description="What a planner should know, e.g. what it could not change.")


ChangeKind = Literal["demand", "capacity", "lead_time", "price", "cost", "opening_inventory"]


class ConfigChange(Contract):
    """How the effective config differs from the config version, in one figure."""

    what: ChangeKind = Field(description="Kind of figure.")
    where: str = Field(description="What it is about, e.g. 'family FAM1', 'arc F1 → W1', 'node F1'.")
    measure: str = Field(description="The figure, e.g. 'demand over the horizon (units)'.")
    before: float = Field(description="In the config version.")
    after: float = Field(description="In the effective config.")
