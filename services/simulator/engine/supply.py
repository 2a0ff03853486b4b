"""A supply plan (contracts.supply_plan) compiled into daily releases per node-item pair.

Stated lines: an item's weekly supply is spread evenly over the week's days and split among the
pairs where the item enters the network, by the demand each pair faces (evenly when none faces
any): the pairs that make it, else those that buy it from a supplier or an infinite source.
Discrete pairs get whole units (floor of the running total over the horizon). A made pair releases
production its production lead time before the day the plan wants it in stock, a buying pair orders
its lead time before; a release that would fall before day 1 happens on day 1 (``early``: it
cannot be on time).

Derived lines: each day's planned production needs its BOM components at the factory that day,
in stock when production is released (so a day earlier when they come with no lead time: the
day's receipts of lead time 0 and the production of components follow the release of their
parents). A component pair's needs are netted against its opening stock and safety stock (lot for lot,
at least the pair's MOQ, in order multiples, whole units for discrete items) into planned receipts:
made there, it is released its production lead time earlier (and its own components follow);
bought, it is ordered its lead time earlier; an infinite source or a pair nothing supplies gets no
line. Pairs are visited in pair order (downstream echelons first), so every parent's releases are
known before its components are netted.

The plan governs days 1 .. the last day of its last week (``until``); past it the inventory
policies act everywhere.
"""

from dataclasses import dataclass, field

import numpy as np

from contracts.canonical import CanonicalConfig
from contracts.sourcing import SupplyWarning
from contracts.supply_plan import PlanWeek, SupplyPlan

EPS = 1e-9
OUTSIDE = ("supplier", "material")


@dataclass
class PlanSchedule:
    """Columns of the ``prod_*`` arrays are the made pairs ``prod`` (global pair positions,
    ascending), those of ``order_*`` the buying pairs ``order``. ``*_due``: units planned in stock
    (completed, received) per day; ``*_release``: production released / orders placed per day;
    ``*_early``: the part of ``*_due`` whose release fell before day 1."""

    until: int
    weeks: list[PlanWeek]
    week_of_day: np.ndarray
    prod: np.ndarray
    prod_due: np.ndarray
    prod_release: np.ndarray
    prod_early: np.ndarray
    prod_stated: np.ndarray
    order: np.ndarray
    order_due: np.ndarray
    order_release: np.ndarray
    order_early: np.ndarray
    order_stated: np.ndarray
    warnings: list[SupplyWarning] = field(default_factory=list)


def _whole(daily: np.ndarray) -> np.ndarray:
    running = np.floor(np.cumsum(daily) + EPS)
    return np.diff(running, prepend=0.0)


def _offset(due: np.ndarray, lead: int) -> tuple[np.ndarray, np.ndarray]:
    """(releases, early): ``due`` moved ``lead`` days earlier, what falls before day 1 on day 1."""
    release, early = np.zeros_like(due), np.zeros_like(due)
    if lead <= 0:
        return due.copy(), early
    release[:-lead] = due[lead:]
    early[:lead] = due[:lead]
    release[0] += due[:lead].sum()
    return release, early


def _day_before(need: np.ndarray) -> np.ndarray:
    """A component received (or made) with no lead time comes in after the day's production has
    been released: what production needs on day d is wanted on day d − 1 (day 1's on day 1)."""
    out = np.zeros_like(need)
    out[:-1] = need[1:]
    out[0] += need[0]
    return out


def net_requirements(need: np.ndarray, on_hand: float, safety: float, discrete: bool, moq: float = 0.0,
                     multiple: float = 0.0) -> np.ndarray:
    """Receipts per day that keep ``on_hand − Σ need + Σ receipts`` at or above ``safety``, each as
    late and as small as that allows (lot for lot), at least ``moq``, in ``multiple``s."""
    if moq <= 0 and multiple <= 0:
        wanted = np.maximum(np.maximum.accumulate(np.cumsum(need) + safety - on_hand), 0.0)
        if discrete:
            wanted = np.ceil(wanted - EPS)
        return np.diff(wanted, prepend=0.0)
    receipts, projected = np.zeros_like(need), on_hand
    for day, qty in enumerate(need.tolist()):
        projected -= qty
        if projected < safety - EPS:
            lot = max(safety - projected, moq)
            if multiple > 0:
                lot = np.ceil(lot / multiple - EPS) * multiple
            if discrete:
                lot = float(np.ceil(lot - EPS))
            receipts[day], projected = lot, projected + lot
    return receipts


def _spread(plan: SupplyPlan, row: int, days: int) -> np.ndarray:
    daily = np.zeros(days)
    for week, qty in zip(plan.weeks, plan.supply[row]):
        first, last = week.first_day - 1, min(week.last_day, days)
        if qty > 0 and first < days:
            daily[first:last] += qty / (week.last_day - week.first_day + 1)
    return daily


def _bought_outside(net) -> np.ndarray:
    """Pairs that buy from a supplier or material node or from an infinite source."""
    up = np.maximum(net.up, 0)
    types = np.array(net.node_types, dtype=object)[net.pair_node[up]] if net.pair_count else np.zeros(0)
    outside = (net.up >= 0) & (net.infinite[up] | np.isin(types, OUTSIDE))
    return outside & ~net.produced & ~net.infinite


def _entries(net, item: int, bought_outside: np.ndarray) -> np.ndarray:
    of_item = net.pair_item == item
    made = np.nonzero(of_item & net.produced)[0]
    return made if len(made) else np.nonzero(of_item & bought_outside)[0]


def _safety(config: CanonicalConfig, net) -> np.ndarray:
    items = {i.code: i for i in config.items}
    policies = {(n.code, p.item_code): p for n in config.nodes for p in n.inventory_policies}
    out = np.zeros(net.pair_count)
    for k in range(net.pair_count):
        node, item = net.node_codes[net.pair_node[k]], net.item_codes[net.pair_item[k]]
        policy = policies.get((node, item))
        out[k] = policy.safety_stock if policy else items[item].safety_stock
    return out


def _stated(net, plan: SupplyPlan, faced: np.ndarray) -> tuple[dict[int, np.ndarray], list[SupplyWarning]]:
    """Per entry pair: the units the plan wants in stock per day."""
    item_ix, bought_outside = {code: k for k, code in enumerate(net.item_codes)}, _bought_outside(net)
    due, warnings = {}, []
    for row, planned in enumerate(plan.items):
        entries = (_entries(net, item_ix[planned.item], bought_outside) if planned.item in item_ix
                   else np.zeros(0, dtype=np.int64))
        if not len(entries):
            if any(plan.supply[row]):
                    warnings.append(SupplyWarning(
                    "plan_item_not_executed", "", planned.item, sum(plan.supply[row]), 0.0,
                    f"The supply plan plans {planned.item}, which no node of the network makes or buys from a "
                    f"supplier: its inventory policies act instead."))
            continue
        weights = faced[entries]
        share = weights / weights.sum() if weights.sum() > 0 else np.full(len(entries), 1 / len(entries))
        daily = _spread(plan, row, net.days)
        for k, part in zip(entries.tolist(), share.tolist()):
            due[k] = due.get(k, 0.0) + daily * part
    return due, warnings


def _columns(due: dict[int, np.ndarray], stated: set[int], leads: np.ndarray, days: int):
    pairs = np.array(sorted(due), dtype=np.int64)
    matrix = lambda: np.zeros((days, len(pairs)))
    dues, releases, earlies = matrix(), matrix(), matrix()
    for j, k in enumerate(pairs.tolist()):
        dues[:, j] = due[k]
        releases[:, j], earlies[:, j] = _offset(due[k], int(leads[k]))
    return pairs, dues, releases, earlies, np.isin(pairs, list(stated))


def _explode(net, stated: dict[int, np.ndarray], safety: np.ndarray) -> tuple[dict, dict]:
    """(made, bought): units due per day at each pair the plan drives, the stated ones and the
    components their production needs, pair by pair in pair order (parents before components)."""
    lines: dict[int, list[tuple[int, float]]] = {}
    for parent, child, factor in zip(net.bom["parent"].tolist(), net.bom["child"].tolist(), net.bom["factor"].tolist()):
        lines.setdefault(parent, []).append((child, factor))
    made, bought, needs = {}, {}, {}
    for k in range(net.pair_count):
        due, need = stated.get(k), needs.pop(k, None)
        if need is not None and not net.infinite[k] and (net.produced[k] or net.up[k] >= 0):
            buys = not net.produced[k]
            if (net.lead[k] if buys else net.prod_lead[k]) == 0:
                need = _day_before(need)
            derived = net_requirements(need, float(net.init[k]), float(safety[k]), bool(net.discrete[k]),
                                       float(net.moq[k]) * buys, float(net.multiple[k]) * buys)
            due = derived if due is None else due + derived
        if due is None or (k not in stated and not due.any()):
            continue
        if not net.produced[k]:
            bought[k] = due
            continue
        made[k] = due
        release, _ = _offset(due, int(net.prod_lead[k]))
        for child, factor in lines.get(k, ()):
            needs[child] = needs.get(child, 0.0) + release * factor
    return made, bought


def schedule(config: CanonicalConfig, net, plan: SupplyPlan, faced: np.ndarray) -> PlanSchedule:
    """The plan's releases for ``net`` (a Network); ``faced`` is the daily demand each pair faces."""
    days = net.days
    stated, warnings = _stated(net, plan, faced)
    whole = {k: _whole(v) if net.discrete[k] else v for k, v in stated.items()}
    made_due, bought_due = _explode(net, whole, _safety(config, net))
    until = min(plan.weeks[-1].last_day, days) if plan.weeks else 0
    week_of_day = np.full(days, -1, dtype=np.int64)
    for w, week in enumerate(plan.weeks):
        week_of_day[week.first_day - 1:min(week.last_day, days)] = w
    prod = _columns(made_due, set(stated), net.prod_lead, days)
    order = _columns(bought_due, set(stated), net.lead, days)
    if plan.weeks and plan.weeks[-1].last_day < days:
        warnings.append(SupplyWarning("plan_ends_before_horizon", "", "", 0.0, 0.0,
                                      f"The supply plan ends on day {plan.weeks[-1].last_day} of {days}: the "
                                      f"inventory policies act from day {plan.weeks[-1].last_day + 1} on."))
    return PlanSchedule(until, [w for w in plan.weeks if w.first_day <= days], week_of_day, *prod[:4], prod[4],
                        *order[:4], order[4], warnings=warnings)
