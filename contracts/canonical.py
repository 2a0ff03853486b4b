"""The canonical configuration of a planner's network (DESIGN §8), layout ``canonical-1.0``.

This module holds the *shape* of a document. Cross-reference rules (unknown items, BOM
cycles, duplicate codes, …) are checked by plan_service when a document is imported; a
document that passes both becomes an immutable config version.
"""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

ItemType = Literal["product", "material", "component", "service"]
NodeType = Literal["store", "warehouse", "factory", "supplier", "material"]


class Part(BaseModel):
    """Base of the document's parts: immutable; unknown keys are kept as they came."""

    model_config = ConfigDict(frozen=True, extra="allow")


class Meta(Part):
    name: str = Field(description="Name of the configuration.")
    schema_version: Literal["canonical-1.0"] = Field(default="canonical-1.0", description="Layout version.")
    version_tag: str = Field(default="", description="Planner's label for this version.")
    status: Literal["draft", "active", "archived"] = Field(default="draft", description="Lifecycle status.")
    description: str = Field(default="", description="Free text.")
    parent_version_id: str | None = Field(default=None, description="Config version this one derives from.")
    attributes: dict[str, Any] = Field(default_factory=dict, description="e.g. planning_horizon (days), start_date.")


class Item(Part):
    code: str = Field(min_length=1)
    name: str = ""
    item_type: ItemType = "product"
    uom: str = "EA"
    lead_time_days: int = Field(default=0, ge=0)
    lot_size: float = Field(default=1, ge=0)
    min_order_qty: float = Field(default=0, ge=0)
    safety_stock: float = Field(default=0, ge=0)
    unit_cost: float = Field(default=0, ge=0)
    attributes: dict[str, Any] = Field(default_factory=dict, description="e.g. sales_price, sgna_cost_per_unit, family.")


class InventoryPolicy(Part):
    item_code: str
    initial_inventory: float = Field(default=0, ge=0)
    reorder_point: float | None = Field(default=None, ge=0)
    order_up_to: float | None = Field(default=None, ge=0)
    min_order_qty: float = Field(default=0, ge=0)
    order_multiple: float = Field(default=0, ge=0)
    safety_stock: float = Field(default=0, ge=0)
    storage_cost: float = Field(default=0, ge=0)
    stockout_cost: float = Field(default=0, ge=0)
    backorder_cost: float = Field(default=0, ge=0)
    lead_time_days: int | None = Field(default=None, ge=0)


class ProductionPolicy(Part):
    item_code: str | None = Field(default=None, description="None: the policy covers the whole node.")
    production_capacity: float | None = Field(default=None, ge=0, description="Units per day; None is unlimited.")
    allow_over_capacity: bool = False
    fixed_cost: float = Field(default=0, ge=0)
    variable_cost: float = Field(default=0, ge=0)
    over_capacity_cost: float = Field(default=0, ge=0)


class Node(Part):
    code: str = Field(min_length=1)
    name: str = ""
    node_type: NodeType
    region: str = ""
    service_level: float = Field(default=0.95, gt=0, lt=1)
    lead_time_days: int = Field(default=0, ge=0)
    storage_capacity: float | None = Field(default=None, ge=0)
    allow_storage_over_capacity: bool = True
    storage_cost_fixed: float = Field(default=0, ge=0)
    storage_cost_variable: float = Field(default=0, ge=0)
    storage_over_capacity_cost: float = Field(default=0, ge=0)
    review_period_days: int = Field(default=1, ge=1)
    backorder_policy: Literal["backorder", "lost_sales"] = "backorder"
    infinite_source: bool = Field(default=False, description="Suppliers only: never runs out.")
    inventory_policies: list[InventoryPolicy] = Field(default_factory=list)
    production_policies: list[ProductionPolicy] = Field(default_factory=list)
    attributes: dict[str, Any] = Field(default_factory=dict)


class Arc(Part):
    from_node: str
    to_node: str
    arc_type: str = "transport"
    lead_time_days: int = Field(default=0, ge=0)
    capacity_per_day: float | None = Field(default=None, ge=0)
    allow_over_capacity: bool = False
    transport_cost_fixed: float = Field(default=0, ge=0)
    transport_cost_variable: float = Field(default=0, ge=0)
    over_capacity_cost: float = Field(default=0, ge=0)
    min_order_qty: dict[str, float] = Field(default_factory=dict, description="Per item code.")
    order_multiple: dict[str, float] = Field(default_factory=dict, description="Per item code.")
    attributes: dict[str, Any] = Field(default_factory=dict)


class BomLine(Part):
    parent_item: str
    child_item: str
    quantity: float = Field(gt=0)
    scrap_rate: float = Field(default=0, ge=0, lt=1)


class Demand(Part):
    node_code: str
    item_code: str
    bucket: str = Field(description="D1 (day 1), M1 (month 1), W3, 2025-01, 2025-W03, or a date.")
    demand_model: Literal["normal", "deterministic"] = "deterministic"
    mean: float = Field(ge=0, description="Mean quantity per bucket.")
    std_dev: float = Field(default=0, ge=0)
    min_qty: float | None = Field(default=None, ge=0)
    max_qty: float | None = Field(default=None, ge=0)
    attributes: dict[str, Any] = Field(default_factory=dict)


class Capacity(Part):
    resource_code: str
    resource_type: Literal["workcenter", "node", "supplier"] = "node"
    bucket: str = ""
    capacity: float = Field(ge=0)


class Hierarchy(Part):
    hierarchy_type: Literal["product", "location"] = "product"
    key: str
    parent: str | None = None
    family: str | None = None
    region: str | None = None


class PlanningInputs(Part):
    """Optional planning inputs; derived from the rest of the document where absent."""

    family_demand: list[dict[str, Any]] = Field(default_factory=list, description="family, period, demand.")
    capacity_buckets: list[dict[str, Any]] = Field(default_factory=list, description="family or resource, period, capacity.")
    mix_shares: list[dict[str, Any]] = Field(default_factory=list, description="family, item_code, share.")
    inventory_snapshots: list[dict[str, Any]] = Field(default_factory=list, description="node_code, item_code, on_hand.")
    inbound_orders: list[dict[str, Any]] = Field(default_factory=list, description="item_code, week or day, quantity.")
    calendar: list[dict[str, Any]] = Field(default_factory=list, description="period, week, weight.")
    period_costs: list[dict[str, Any]] = Field(
        default_factory=list, description="period, cost: what supplying in the period costs (relative); a family's "
        "shortfall is carried rather into a cheaper neighbouring period.")
    period_scores: list[dict[str, Any]] = Field(
        default_factory=list, description="period, score: how much the period is preferred (relative); a family's "
        "shortfall is carried rather into a higher-scored neighbouring period.")


class CanonicalConfig(Part):
    meta: Meta
    items: list[Item] = Field(default_factory=list)
    nodes: list[Node] = Field(default_factory=list)
    arcs: list[Arc] = Field(default_factory=list)
    bom: list[BomLine] = Field(default_factory=list)
    demands: list[Demand] = Field(default_factory=list)
    capacities: list[Capacity] = Field(default_factory=list)
    hierarchies: list[Hierarchy] = Field(default_factory=list)
    planning_inputs: PlanningInputs = Field(default_factory=PlanningInputs)

    @property
    def planning_days(self) -> int:
        """The horizon in days: meta.attributes.planning_horizon when it is a positive whole
        number, else 0 (the import warns ``empty_horizon``; no plan can be made from it)."""
        horizon = self.meta.attributes.get("planning_horizon")
        return horizon if type(horizon) is int and horizon > 0 else 0
