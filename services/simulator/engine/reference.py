"""A straightforward per-day, per-pair pure-Python loop with the engine's semantics.

It is the baseline of bench/simulator.py and an oracle for the tests: on any network it must
record the same series as the vectorised loop (to rounding). Same state, same step order, the
same sharing rule (alloc.whole_share_py); only the array operations are spelled out as Python
loops.
"""

import numpy as np

from .alloc import EPS, whole_share_py
from .network import Network
from .state import RECORDED, State

INF = float("inf")


def _cover(have: float, want: float) -> float:
    return have / want if want > have else 1.0


def _grouped(members, key) -> dict:
    groups: dict = {}
    for k in members:
        groups.setdefault(key(k), []).append(k)
    return groups


def _within(members, want, key, have_of, p) -> dict:
    give = {}
    for g, group in _grouped(members, key).items():
        give |= whole_share_py(group, want, have_of(g), p["discrete"], p["rank"])
    return give


def run(net: Network) -> State:
    state = State.start(net)
    n, days = net.pair_count, net.days
    p = {name: getattr(net, name).tolist() for name in (
        "up", "arc", "lead", "review", "init", "infinite", "produced", "lost", "order_up_to", "reorder_at",
        "moq", "multiple", "group", "echelon", "discrete", "rank", "prod_lead", "prod_limit", "supply_limit",
        "room_of")}
    rec = {m: [[0.0] * n for _ in range(days)] for m in RECORDED}
    levels = [[k for k in range(n) if p["echelon"][k] == e] for e in range(max(p["echelon"], default=-1) + 1)]
    below = [[d for d in range(n) if p["echelon"][p["up"][d]] == e and p["up"][d] >= 0] for e in range(len(levels))]
    lines: dict[int, list] = {}
    for parent, child, factor in zip(net.bom["parent"].tolist(), net.bom["child"].tolist(), net.bom["factor"].tolist()):
        lines.setdefault(parent, []).append((child, factor))
    customers = dict(zip(net.cust.tolist(), range(len(net.cust))))
    s = {k: getattr(state, k).tolist() for k in ("stock", "owed", "owed_down", "on_order", "backlog", "wip",
                                                 "gap_left", "gap_today", "touched", "on_time", "lost")}
    arrivals = state.arrivals.tolist()
    lag = max(p["prod_lead"], default=0)
    completing = [[0.0] * n for _ in range(days + lag + 1)]
    released = [[0.0] * n for _ in range(days)]
    room_cap = net.room_cap.tolist()
    plan = _plan_context(net)
    for t in range(days):
        r = {m: rec[m][t] for m in RECORDED} | {"receipts": arrivals[t], "released": released[t]}
        for k in range(n):
            s["stock"][k] += arrivals[t][k]
            s["on_order"][k] -= arrivals[t][k]
            if lag and p["produced"][k]:
                s["stock"][k] += completing[t][k]
                s["wip"][k] -= completing[t][k]
                r["produced"][k] = completing[t][k]
        left = {"arc": net.arcs["cap"].tolist(), "group": net.groups["cap"].tolist(),
                "limit": (net.limit_cap[t].tolist() if net.limit_cap.shape[1] else []) + [INF],
                "room": [c for c in room_cap] + [INF]}
        load = [0.0] * len(room_cap)
        for k in range(n):
            if p["room_of"][k] >= 0:
                load[p["room_of"][k]] += s["stock"][k] + s["on_order"][k] - s["owed"][k] + s["wip"][k]
        for j, used in enumerate(load):
            left["room"][j] = max(room_cap[j] - used, 0.0)
        received = [0.0] * n
        today = plan if plan and t < plan["until"] else None
        for level, down in zip(levels, below):
            _produce(t, level, p, lines, s, left, completing, r, today)
            _sell(t, level, customers, net.demand[t].tolist(), p, s, r)
            _ship(t, down, p, s, left, received, arrivals, r)
            _order(t, level, p, s, received, r, today)
        for k in range(n):
            if s["touched"][k]:
                s["gap_left"][k] = s["gap_today"][k]
            s["gap_today"][k], s["touched"][k] = 0.0, False
            if p["infinite"][k]:
                r["receipts"][k] += p["init"][k] - s["stock"][k]
                s["stock"][k] = p["init"][k]
            r["end"][k] = s["stock"][k]
            r["backorder"][k] = s["backlog"][k] + s["owed_down"][k]
    state.arrivals = np.array(arrivals).reshape(state.arrivals.shape)
    state.rec = {m: np.array(v).reshape(days, n) for m, v in rec.items()} | {"receipts": state.arrivals[:days]}
    for name in ("backlog", "on_time", "lost", "wip"):
        setattr(state, name, np.array(s[name]))
    if state.released is not None:
        state.released = np.array(released).reshape(days, n)[:, net.produced]
    return state


def _plan_context(net: Network) -> dict | None:
    """The supply plan's releases by pair: production (``made``, with what is past due) and orders."""
    if net.plan is None:
        return None
    sched = net.plan
    return {"until": sched.until, "made": {k: j for j, k in enumerate(sched.prod.tolist())},
            "ordered": {k: j for j, k in enumerate(sched.order.tolist())}, "release": sched.prod_release.tolist(),
            "orders": sched.order_release.tolist(), "owed": [0.0] * len(sched.prod)}


def _produce(t, level, p, lines, s, left, completing, r, plan):
    prod = [k for k in level if p["produced"][k]]
    if not prod:
        return
    made, reviewed, wanted = {}, {}, {}
    for k in prod:
        if plan and k in plan["made"]:
            j = plan["made"][k]
            made[k] = wanted[k] = plan["owed"][j] + plan["release"][t][j]
            reviewed[k] = True
            continue
        want = max(p["order_up_to"][k] - s["stock"][k] + s["owed_down"][k] + s["backlog"][k] - s["wip"][k], 0.0)
        if p["discrete"][k]:
            want = float(np.ceil(want - EPS))
        reviewed[k] = t % p["review"][k] == 0
        made[k] = want if reviewed[k] else 0.0
    made = _within(prod, made, lambda k: p["group"][k], lambda g: left["group"][g], p)
    made = _within(prod, made, lambda k: p["prod_limit"][k], lambda g: left["limit"][g], p)
    made = _within(prod, made, lambda k: p["room_of"][k], lambda g: left["room"][g], p)
    _components(prod, made, reviewed, p, lines, s, r)
    for k, asked in wanted.items():
        plan["owed"][plan["made"][k]] = asked - made[k] if asked - made[k] > EPS else 0.0
    lagged = any(p["prod_lead"][k] > 0 for k in prod)
    for k in prod:
        left["group"][p["group"][k]] -= made[k]
        left["limit"][p["prod_limit"][k]] -= made[k]
        left["room"][p["room_of"][k]] -= made[k]
        r["released"][k] = made[k]
        now = made[k] if p["prod_lead"][k] == 0 else 0.0
        s["stock"][k] += now
        r["produced"][k] = r["produced"][k] + now if lagged else now
        s["wip"][k] += made[k] - now
        completing[t + p["prod_lead"][k]][k] += made[k] - now


def _components(prod, made, reviewed, p, lines, s, r):
    need: dict[int, float] = {}
    for par in prod:
        for child, f in lines.get(par, ()):
            need[child] = need.get(child, 0.0) + made[par] * f
    if not need:
        return
    all_inf = all(p["infinite"][c] for c in need)
    have = {c: INF if p["infinite"][c] else s["stock"][c] for c in need}
    cover = {c: _cover(have[c], need[c]) for c in need}
    remainder = {}
    for par in [par for par in prod if par in lines]:
        fit = min(cover[c] for c, _ in lines[par])
        made[par] *= fit
        if p["discrete"][par] and fit < 1.0:
            whole = float(np.floor(made[par] + EPS))
            remainder[par], made[par] = made[par] - whole, whole
    used = {c: 0.0 for c in need}
    for par in [par for par in prod if par in lines]:
        for child, f in lines[par]:
            used[child] += made[par] * f
    spare = {c: have[c] - used[c] for c in need}
    for par in sorted((k for k in remainder if remainder[k] > EPS), key=lambda k: (-remainder[k], p["rank"][k])):
        if all(spare[c] >= f - EPS for c, f in lines[par]):
            made[par] += 1.0
            for c, f in lines[par]:
                spare[c] -= f
    used = {c: 0.0 for c in need}
    for par in [par for par in prod if par in lines]:
        for child, f in lines[par]:
            used[child] += made[par] * f
    for c, wanted in need.items():
        if not all_inf:
            old = min(s["gap_left"][c], wanted)
            s["gap_left"][c] -= old
            r["shortage"][c] += max(wanted - used[c] - max(old - used[c], 0.0), 0.0)
            s["gap_today"][c] += wanted - used[c]
            s["touched"][c] = s["touched"][c] or any(reviewed[par] for par in prod for ch, _ in lines.get(par, ())
                                                     if ch == c)
        stock_left = s["stock"][c] - used[c]
        s["stock"][c] = stock_left if p["infinite"][c] else max(stock_left, 0.0)
        r["consumed"][c] += used[c]
        r["demand"][c] += wanted


def _sell(t, level, customers, demand, p, s, r):
    for k in level:
        if k not in customers:
            continue
        wanted, on_hand, backlog = demand[customers[k]], s["stock"][k], s["backlog"][k]
        late = min(on_hand, backlog)
        served = min(on_hand - late, wanted)
        s["stock"][k] = on_hand - (late + served)
        s["backlog"][k] = 0.0 if p["lost"][k] else backlog - late + wanted - served
        s["lost"][k] += wanted - served if p["lost"][k] else 0.0
        s["on_time"][k] += served
        r["demand"][k] += wanted
        r["sales"][k] = late + served
        r["shortage"][k] += wanted - served


def _ship(t, down, p, s, left, received, arrivals, r):
    total: dict[int, float] = {}
    for d in down:
        total[p["up"][d]] = total.get(p["up"][d], 0.0) + s["owed"][d]
    owed = {d: s["owed"][d] for d in down}
    out = _within(down, owed, lambda d: p["up"][d],
                  lambda u: INF if p["infinite"][u] else s["stock"][u], p)
    out = _within(down, out, lambda d: p["arc"][d], lambda a: left["arc"][a], p)
    out = _within(down, out, lambda d: p["supply_limit"][p["up"][d]], lambda g: left["limit"][g], p)
    out = _within(down, out, lambda d: p["room_of"][d], lambda g: left["room"][g], p)
    shipped, still_owed = {u: 0.0 for u in total}, {u: 0.0 for u in total}
    for d in down:
        left["arc"][p["arc"][d]] -= out[d]
        left["limit"][p["supply_limit"][p["up"][d]]] -= out[d]
        left["room"][p["room_of"][d]] -= out[d]
        shipped[p["up"][d]] += out[d]
        s["owed"][d] = s["owed"][d] - out[d]
        still_owed[p["up"][d]] += s["owed"][d]
        arrivals[t + p["lead"][d]][d] += out[d]
        if p["lead"][d] == 0:
            s["stock"][d] += out[d]
            s["on_order"][d] -= out[d]
    for u, qty in shipped.items():
        stock_left = s["stock"][u] - qty
        s["stock"][u] = stock_left if p["infinite"][u] else max(stock_left, 0.0)
        r["shipments"][u] = qty
        from_old = min(qty, total[u] - received[u])
        r["shortage"][u] += max(received[u] - (qty - from_old), 0.0)
        s["owed_down"][u] = still_owed[u]


def _order(t, level, p, s, received, r, plan):
    for k in level:
        if p["up"][k] < 0:
            continue
        if plan and k in plan["ordered"]:
            _place(k, plan["orders"][t][plan["ordered"][k]], p, s, received, r)
            continue
        position = s["stock"][k] + s["on_order"][k] - s["owed_down"][k] - s["backlog"][k]
        need = p["order_up_to"][k] - position
        qty = 0.0
        if position <= p["reorder_at"][k] and need > 1e-9 and t % p["review"][k] == 0:
            qty = max(need, p["moq"][k])
            if p["multiple"][k] > 0:
                qty = np.ceil(qty / p["multiple"][k] - 1e-9) * p["multiple"][k]
            if p["discrete"][k]:
                qty = float(np.ceil(qty - EPS))
        _place(k, qty, p, s, received, r)


def _place(k, qty, p, s, received, r):
    s["owed"][k] += qty
    s["on_order"][k] += qty
    r["ordered"][k] = qty
    u = p["up"][k]
    received[u] += qty
    s["owed_down"][u] += qty
    r["demand"][u] += qty
