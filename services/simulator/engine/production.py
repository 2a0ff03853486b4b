"""Production, the first step of an echelon's day, as array operations over its made pairs.

Whatever is short is shared by alloc.share (pro rata; whole units for discrete items, the
units left over going by largest remainder): a production policy's capacity, the node's
production limit and its room among the products; components among the products that need
them (whole products rounded down, then one more unit each by largest remainder, ties by
rank, while the components last). A component need production cannot meet counts as
shortage once, on the day it arises. A made pair a supply plan drives wants the plan's release of
the day plus what is past due (what capacity, room or components held back before), every day.
"""

import numpy as np

from .alloc import EPS, share, use, within


def _cover(have: np.ndarray, want: np.ndarray) -> np.ndarray:
    """Fraction of ``want`` that ``have`` covers, in [0, 1] (1 where nothing is wanted)."""
    return np.divide(have, want, out=np.ones(len(want)), where=want > have)


def _top_up(made, target, remainder, p, left) -> None:
    """One more unit, in order of largest remainder (ties by rank), to each product that was
    rounded down while every component it needs still covers it."""
    with_lines, lchild, factor = p["with_lines"], p["lchild"], p["factor"]
    rank = p["rank"][with_lines]
    for c in sorted(np.nonzero(remainder > EPS)[0].tolist(), key=lambda c: (-remainder[c], rank[c])):
        lines = slice(p["starts"][c], p["ends"][c])
        if (left[lchild[lines]] >= factor[lines] - EPS).all():
            target[c] += 1.0
            np.subtract.at(left, lchild[lines], factor[lines])
    made[with_lines] = target


def _fit_components(made: np.ndarray, stock, p: dict) -> np.ndarray:
    """Production cut to the components on hand, each short component shared pro rata."""
    lchild, factor, childs, lpar, with_lines = p["lchild"], p["factor"], p["childs"], p["lpar"], p["with_lines"]
    need = np.bincount(lchild, made[lpar] * factor, len(childs))
    have = stock[childs] + p["child_inf"]
    fit = np.minimum.reduceat(_cover(have, need)[lchild], p["starts"])
    target = made[with_lines] * fit
    cut = p["discrete"][with_lines] & (fit < 1.0)
    if not cut.any():
        made[with_lines] = target
        return need
    whole = np.floor(target[cut] + EPS)
    remainder = np.zeros(len(target))
    remainder[cut] = target[cut] - whole
    target[cut] = whole
    made[with_lines] = target
    if (remainder > EPS).any():
        _top_up(made, target, remainder, p, have - np.bincount(lchild, made[lpar] * factor, len(childs)))
    return need


def _components(t: int, made: np.ndarray, reviewed, p: dict, state, rec) -> None:
    """Consume quantity × (1 + scrap) per unit made; a component need not met counts as
    shortage once: on the day it arises, the need left unmet when production last ran being
    met first."""
    stock, childs, lchild, lpar, factor = state.stock, p["childs"], p["lchild"], p["lpar"], p["factor"]
    if p["all_inf"]:
        need = used = np.bincount(lchild, made[lpar] * factor, len(childs))
    else:
        need = _fit_components(made, stock, p)
        used = np.bincount(lchild, made[lpar] * factor, len(childs))
        old = np.minimum(state.gap_left[childs], need)
        state.gap_left[childs] -= old
        rec["shortage"][t, childs] += np.maximum(need - used - np.maximum(old - used, 0.0), 0.0)
        state.gap_today[childs] += need - used
        state.touched[childs] |= np.bincount(lchild, reviewed[lpar], len(childs)) > 0 if reviewed is not None else True
    left = stock[childs] - used
    stock[childs] = left if p["all_inf"] else np.where(p["child_inf"] > 0, left, np.maximum(left, 0.0))
    rec["consumed"][t, childs] += used
    rec["demand"][t, childs] += need


def _plan_wanted(t: int, plan: dict, made: np.ndarray, reviewed, off_day: bool, state):
    """``made`` with the plan's pairs wanting today's planned release plus what is past due;
    they produce every day, review period or not."""
    loc = plan["loc"]
    if off_day:
        made, reviewed = np.zeros_like(made), np.zeros(len(made), dtype=bool)
    wanted = state.plan_owed[plan["col"]] + plan["release"][t]
    made[loc] = wanted
    if reviewed is not None:
        reviewed = reviewed.copy()
        reviewed[loc] = True
    return made, reviewed, wanted


def _plan_cut(t: int, plan: dict, state, wanted, capped, roomed, made) -> None:
    """What capacity, room and components held back of the planned release (REASONS 0, 1, 2);
    the rest stays past due."""
    col, cut = plan["col"], state.prod_cut
    cut[0, t, col], cut[1, t, col], cut[2, t, col] = wanted - capped, capped - roomed, roomed - made
    owed = wanted - made
    state.plan_owed[col] = np.where(owed > EPS, owed, 0.0)


def produce(t: int, p: dict, state, rec) -> None:
    """Release what brings the position (stock + in production − open orders − backorders) up
    to S, within capacities, room and the components on hand; production with a lead time
    L is done (in stock) L days later. Pairs a supply plan drives (within its days) want the
    plan's release of the day plus what is past due instead."""
    plan = p["plan"] if p["plan"] is not None and t < p["plan"]["until"] else None
    off_day = bool(p["every"]) and t % p["every"] != 0
    if off_day and plan is None:
        return
    stock, ix, discrete, rank = state.stock, p["ix"], p["whole"], p["rank"]
    made = p["up_to"] - stock[ix] + state.owed_down[ix] + state.backlog[ix]
    if p["lagged"]:
        made -= state.wip[ix]
    np.maximum(made, 0.0, out=made)
    if p["any_disc"]:
        made = np.ceil(made - EPS) if p["all_disc"] else np.where(p["discrete"], np.ceil(made - EPS), made)
    reviewed = t % p["review"] == 0 if p["periodic"] else None
    if p["periodic"]:
        made *= reviewed
    if plan is not None:
        made, reviewed, wanted = _plan_wanted(t, plan, made, reviewed, off_day, state)
    if p["capped"]:
        made = share(made, state.group_left[p["groups"]], p["grp"], len(p["groups"]), discrete, rank, p["single"])
    if p["limits"]["any"]:
        made = within(made, state.limit_left, p["limits"], discrete, rank)
    capped = made[plan["loc"]] if plan is not None else None
    if p["rooms"]["any"]:
        made = within(made, state.room, p["rooms"], discrete, rank)
    roomed = made[plan["loc"]] if plan is not None else None
    if p["lines"]:
        _components(t, made, reviewed, p, state, rec)
    if plan is not None:
        _plan_cut(t, plan, state, wanted, capped, roomed, made[plan["loc"]])
    if p["capped"]:
        state.group_left[p["groups"]] -= np.bincount(p["grp"], made, len(p["groups"]))
    if p["limits"]["any"]:
        use(state.limit_left, p["limits"], made)
    if p["rooms"]["any"]:
        use(state.room, p["rooms"], made)
    if state.released is not None:
        state.released[t, p["pcol"]] = made
    if not p["lagged"]:
        stock[ix] += made
        rec["produced"][t, ix] = made
        return
    if not p["all_later"]:
        now = np.where(p["now"], made, 0.0)
        stock[ix] += now
        rec["produced"][t, ix] += now
        made = made - now
    state.wip[ix] += made
    if p["one_lead"] is not None:
        state.completing[t + p["one_lead"], p["pcol"]] += made
    else:
        state.completing_flat[p["due"] + t * state.completing.shape[1]] += made
