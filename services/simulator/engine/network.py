"""The simulation input compiled from a canonical config: flat numpy arrays over node-item
pairs, sorted by echelon (downstream first), so the daily loop works on contiguous slices.

``plan`` is the supply plan the run executes, compiled into releases per pair (supply.py); None
when the run replays the inventory policies.

``discrete`` marks pairs whose item comes in whole units (contracts.kpis.is_discrete): their
opening stock is read as whole units (rounded down) and every quantity the loop decides for
them is whole. ``rank`` orders pairs by node code, then item code: ties of a whole-unit
allocation go to the lower rank."""

from dataclasses import dataclass

import numpy as np

from contracts.buckets import start_date_of
from contracts.canonical import CanonicalConfig
from contracts.kpis import currency_of, is_discrete
from contracts.sourcing import SupplyWarning, unsourced_components
from contracts.supply_plan import SupplyPlan

from . import levels, limits, params
from .demand import daily_demand
from .errors import SimulationInputError
from .pairs import PairGraph, build_pairs
from .supply import PlanSchedule, schedule

MAX_DAYS = 7320


@dataclass
class Network:
    days: int
    start_date: str | None
    node_codes: list[str]
    node_types: list[str]
    item_codes: list[str]
    pair_node: np.ndarray
    pair_item: np.ndarray
    echelon: np.ndarray
    up: np.ndarray
    arc: np.ndarray
    lead: np.ndarray
    review: np.ndarray
    init: np.ndarray
    infinite: np.ndarray
    produced: np.ndarray
    lost: np.ndarray
    cust: np.ndarray
    demand: np.ndarray
    order_up_to: np.ndarray
    reorder_at: np.ndarray
    moq: np.ndarray
    multiple: np.ndarray
    group: np.ndarray
    groups: dict
    bom: dict
    arcs: dict
    costs: dict
    node_costs: dict
    discrete: np.ndarray
    rank: np.ndarray
    prod_lead: np.ndarray
    limit_cap: np.ndarray
    prod_limit: np.ndarray
    supply_limit: np.ndarray
    room_cap: np.ndarray
    room_of: np.ndarray
    currency: str
    warnings: list[SupplyWarning]
    plan: PlanSchedule | None = None
    """The supply plan the run executes (supply.py); None: the inventory policies act everywhere."""

    @property
    def pair_count(self) -> int:
        return len(self.pair_node)


def _relabel(graph: PairGraph, order: list[int]) -> PairGraph:
    new = {old: k for k, old in enumerate(order)}
    return PairGraph(
        pairs=[graph.pairs[k] for k in order],
        upstream={new[d]: new[u] for d, u in graph.upstream.items()},
        arc_of={new[d]: a for d, a in graph.arc_of.items()},
        produced={new[k] for k in graph.produced}, infinite={new[k] for k in graph.infinite},
        echelon=[graph.echelon[k] for k in order])


def _start_date(config: CanonicalConfig) -> str | None:
    """ISO day 1 when the config names one; a malformed date is an input error."""
    if not config.meta.attributes.get("start_date"):
        return None
    try:
        return start_date_of(config.meta.attributes).isoformat()
    except (TypeError, ValueError) as exc:
        raise SimulationInputError(f"start_date is not an ISO date: {exc}") from exc


def build(config: CanonicalConfig, seed: int, supply_plan: SupplyPlan | None = None) -> Network:
    try:
        days = config.planning_days
    except (TypeError, ValueError) as exc:
        raise SimulationInputError(f"planning_horizon is not a number of days: {exc}") from exc
    if not 1 <= days <= MAX_DAYS:
        raise SimulationInputError(f"the planning horizon (meta.attributes.planning_horizon) must be 1..{MAX_DAYS} days")
    start_date = _start_date(config)
    node_ix = {n.code: k for k, n in enumerate(config.nodes)}
    item_ix = {i.code: k for k, i in enumerate(config.items)}
    raw = build_pairs(config)
    order = sorted(range(len(raw.pairs)), key=lambda k: (raw.echelon[k], node_ix[raw.pairs[k][0]],
                                                          item_ix[raw.pairs[k][1]]))
    graph = _relabel(raw, order)
    count = len(graph.pairs)
    cust_pairs = list(dict.fromkeys((d.node_code, d.item_code) for d in config.demands))
    demand, mean, std = daily_demand(config, {p: k for k, p in enumerate(cust_pairs)}, days, seed)
    index = graph.index()
    uoms = {i.code: i.uom for i in config.items}
    discrete = np.array([is_discrete(uoms[i]) for _, i in graph.pairs], dtype=bool)
    arrays = levels.pair_arrays(config, graph)
    arrays["init"] = np.where(discrete, np.floor(arrays["init"] + 1e-9), arrays["init"])
    prod_lead = limits.production_leads(config, graph)
    rank = np.empty(count, dtype=np.int64)
    rank[sorted(range(count), key=lambda k: graph.pairs[k])] = np.arange(count)
    net = Network(
        days=days, start_date=start_date,
        node_codes=list(node_ix), node_types=[n.node_type for n in config.nodes], item_codes=list(item_ix),
        pair_node=np.array([node_ix[n] for n, _ in graph.pairs], dtype=np.int64),
        pair_item=np.array([item_ix[i] for _, i in graph.pairs], dtype=np.int64),
        echelon=np.array(graph.echelon, dtype=np.int64),
        up=np.array([graph.upstream.get(k, -1) for k in range(count)], dtype=np.int64),
        arc=np.array([graph.arc_of.get(k, -1) for k in range(count)], dtype=np.int64),
        infinite=np.array([k in graph.infinite for k in range(count)]),
        produced=np.array([k in graph.produced for k in range(count)]),
        cust=np.array([index[p] for p in cust_pairs], dtype=np.int64), demand=demand,
        **arrays, **levels.order_levels(config, graph, arrays, index, cust_pairs, mean, std, prod_lead),
        **params.production_groups(config, graph), bom=params.bom_lines(config, graph),
        arcs=params.arc_arrays(config), **params.cost_rates(config, graph),
        discrete=discrete, rank=rank, prod_lead=prod_lead,
        **limits.resource_limits(config, graph, discrete), **limits.storage_rooms(config, graph),
        currency=currency_of(config), warnings=unsourced_components(config))
    if supply_plan is not None:
        faced, _ = levels.demand_faced(config, graph, index, cust_pairs, mean, std)
        net.plan = schedule(config, net, supply_plan, faced)
    return net
