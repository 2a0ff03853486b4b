"""A straightforward per-day, per-pair pure-Python loop with the engine's semantics.

It is the baseline of bench/simulator.py and an oracle for the tests: on any network it must
record the same series as the vectorised loop (to rounding). Same state, same step order;
only the array operations are spelled out as Python loops.
"""

import numpy as np

from .network import Network
from .state import RECORDED, State


def _share(have: float, want: float) -> float:
    return have / want if want > have else 1.0


def run(net: Network) -> State:
    state = State.start(net)
    n, days = net.pair_count, net.days
    lists = {name: getattr(net, name).tolist() for name in (
        "up", "arc", "lead", "review", "init", "infinite", "produced", "lost", "order_up_to", "reorder_at",
        "moq", "multiple", "group", "echelon")}
    rec = {m: [[0.0] * n for _ in range(days)] for m in RECORDED}
    levels = [[k for k in range(n) if lists["echelon"][k] == e] for e in range(max(lists["echelon"], default=-1) + 1)]
    below = [[d for d in range(n) if lists["echelon"][lists["up"][d]] == e and lists["up"][d] >= 0]
             for e in range(len(levels))]
    lines: dict[int, list] = {}
    for parent, child, factor in zip(net.bom["parent"].tolist(), net.bom["child"].tolist(), net.bom["factor"].tolist()):
        lines.setdefault(parent, []).append((child, factor))
    customers = dict(zip(net.cust.tolist(), range(len(net.cust))))
    s = {k: getattr(state, k).tolist() for k in ("stock", "owed", "owed_down", "on_order", "backlog")}
    arrivals = state.arrivals.tolist()
    for t in range(days):
        r = {m: rec[m][t] for m in RECORDED} | {"receipts": arrivals[t]}
        for k in range(n):
            s["stock"][k] += arrivals[t][k]
            s["on_order"][k] -= arrivals[t][k]
        arc_left, group_left, received = net.arcs["cap"].tolist(), net.groups["cap"].tolist(), [0.0] * n
        demand = net.demand[t].tolist()
        for level, down in zip(levels, below):
            _produce(t, level, lists, lines, s, group_left, r)
            _sell(t, level, customers, demand, lists, s, r)
            _ship(t, down, lists, s, arc_left, received, arrivals, r)
            _order(t, level, lists, s, received, r)
        for k in range(n):
            if lists["infinite"][k]:
                r["receipts"][k] += lists["init"][k] - s["stock"][k]
                s["stock"][k] = lists["init"][k]
            r["end"][k] = s["stock"][k]
            r["backorder"][k] = s["backlog"][k] + s["owed_down"][k]
    state.arrivals = np.array(arrivals).reshape(state.arrivals.shape)
    state.rec = {m: np.array(v).reshape(days, n) for m, v in rec.items()} | {"receipts": state.arrivals[:days]}
    return state


def _produce(t, level, p, lines, s, group_left, r):
    made, wanted = {}, {}
    for k in level:
        if p["produced"][k]:
            position = s["stock"][k] - s["owed_down"][k] - s["backlog"][k]
            made[k] = max(p["order_up_to"][k] - position, 0.0) if t % p["review"][k] == 0 else 0.0
            wanted[p["group"][k]] = wanted.get(p["group"][k], 0.0) + made[k]
    for k in made:
        made[k] *= _share(group_left[p["group"][k]], wanted[p["group"][k]])
    need: dict[int, float] = {}
    for par, qty in made.items():
        for child, f in lines.get(par, ()):
            need[child] = need.get(child, 0.0) + qty * f
    cover = {c: 1.0 if p["infinite"][c] else _share(s["stock"][c], need[c]) for c in need}
    used = {c: 0.0 for c in need}
    for par in [par for par in made if par in lines]:
        made[par] *= min(cover[c] for c, _ in lines[par])
        for child, f in lines[par]:
            used[child] += made[par] * f
    for c, wanted in need.items():
        left = s["stock"][c] - used[c]
        s["stock"][c] = left if p["infinite"][c] else max(left, 0.0)
        r["consumed"][c] += used[c]
        r["demand"][c] += wanted
        r["shortage"][c] += max(wanted - used[c], 0.0)
    for k, qty in made.items():
        group_left[p["group"][k]] -= qty
        s["stock"][k] += qty
        r["produced"][k] = qty


def _sell(t, level, customers, demand, p, s, r):
    for k in level:
        if k not in customers:
            continue
        wanted, on_hand, backlog = demand[customers[k]], s["stock"][k], s["backlog"][k]
        late = min(on_hand, backlog)
        served = min(on_hand - late, wanted)
        s["stock"][k] = on_hand - late - served
        s["backlog"][k] = 0.0 if p["lost"][k] else backlog - late + wanted - served
        r["demand"][k] += wanted
        r["sales"][k] = late + served
        r["shortage"][k] += wanted - served


def _ship(t, down, p, s, arc_left, received, arrivals, r):
    total: dict[int, float] = {}
    for d in down:
        total[p["up"][d]] = total.get(p["up"][d], 0.0) + s["owed"][d]
    out = {}
    for d in down:
        u = p["up"][d]
        have = float("inf") if p["infinite"][u] else s["stock"][u]
        out[d] = s["owed"][d] * _share(have, total[u])
    on_arc: dict[int, float] = {}
    for d in down:
        on_arc[p["arc"][d]] = on_arc.get(p["arc"][d], 0.0) + out[d]
    for d in down:
        out[d] *= _share(arc_left[p["arc"][d]], on_arc[p["arc"][d]])
    shipped, still_owed = {u: 0.0 for u in total}, {u: 0.0 for u in total}
    for d in down:
        arc_left[p["arc"][d]] -= out[d]
        shipped[p["up"][d]] += out[d]
        s["owed"][d] = max(s["owed"][d] - out[d], 0.0)
        still_owed[p["up"][d]] += s["owed"][d]
        arrivals[t + p["lead"][d]][d] += out[d]
        if p["lead"][d] == 0:
            s["stock"][d] += out[d]
            s["on_order"][d] -= out[d]
    for u, qty in shipped.items():
        left = s["stock"][u] - qty
        s["stock"][u] = left if p["infinite"][u] else max(left, 0.0)
        r["shipments"][u] = qty
        from_old = min(qty, total[u] - received[u])
        r["shortage"][u] += max(received[u] - (qty - from_old), 0.0)
        s["owed_down"][u] = still_owed[u]


def _order(t, level, p, s, received, r):
    for k in level:
        if p["up"][k] < 0:
            continue
        position = s["stock"][k] + s["on_order"][k] - s["owed_down"][k] - s["backlog"][k]
        need = p["order_up_to"][k] - position
        qty = 0.0
        if position <= p["reorder_at"][k] and need > 1e-9 and t % p["review"][k] == 0:
            qty = max(need, p["moq"][k])
            if p["multiple"][k] > 0:
                qty = np.ceil(qty / p["multiple"][k] - 1e-9) * p["multiple"][k]
        s["owed"][k] += qty
        s["on_order"][k] += qty
        r["ordered"][k] = qty
        u = p["up"][k]
        received[u] += qty
        s["owed_down"][u] += qty
        r["demand"][u] += qty
