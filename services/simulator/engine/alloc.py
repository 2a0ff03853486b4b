"""Sharing a short supply among those who want it: pro rata, in whole units for discrete items.

A group (the open orders on one upstream pair, the shipments on one arc, the products under
one capacity, the receipts of one storage-limited node, …) has ``have``; its members want
``w``. When the group has enough, each member gets what it wants. Otherwise each gets the
quota ``q = w · have / Σ w``; a member whose item is discrete gets ``⌊q⌋``, and the whole units
left, ``⌊Σ (q − ⌊q⌋)⌋`` over the group's discrete members, go one each to the discrete members
with the largest remainders ``q − ⌊q⌋`` (largest remainder method), a tie going to the member
of lower rank (node code, then item code). A continuous member gets ``q``. So a group never
gives more than it has, a discrete member gets whole units, and nobody gets more than it asked.
"""

import numpy as np

EPS = 1e-9


def alone(group: np.ndarray, unlimited: np.ndarray) -> bool:
    """True when no group that can run short (``unlimited`` False) has more than one member."""
    counts = np.bincount(group, minlength=len(unlimited))
    return bool((counts[~unlimited] <= 1).all())


def share(want: np.ndarray, have: np.ndarray, group: np.ndarray, size: int, discrete: np.ndarray | bool,
          rank: np.ndarray, single: bool = False, total: np.ndarray | None = None) -> np.ndarray:
    """What each member gets (a new array); ``group[k]`` is member k's group in 0..size-1,
    ``have`` is not negative, ``discrete`` a mask of the members or True / False for all /
    none. ``single`` (see ``alone``): a member short is short alone, and gets what its group
    has (whole units rounded down): the same rule in fewer steps. ``total``: the groups' sums
    of ``want`` when the caller has them."""
    if single:
        give = np.minimum(want, have[group])
        if discrete is True:
            return np.floor(give + EPS, out=give)
        return give if discrete is False else np.where(discrete, np.floor(give + EPS), give)
    if total is None:
        total = np.bincount(group, want, size)
    short = total > have + EPS
    if not np.count_nonzero(short):
        return want.copy()
    ratio = np.divide(have, total, out=np.ones(size), where=short)
    quota = want * ratio[group]
    if discrete is False:
        return quota
    if discrete is True:
        give = np.floor(quota + EPS)
    else:
        give = np.where(discrete, np.floor(quota + EPS), quota)
    remainder = quota - give
    extra = np.floor(np.bincount(group, remainder, size) + EPS)
    if not np.count_nonzero(extra):
        return give
    candidates = np.flatnonzero((remainder > EPS) & (extra[group] >= 1))
    owner = group[candidates]
    order = np.lexsort((rank[candidates], -remainder[candidates], owner))
    candidates, owner = candidates[order], owner[order]
    place = np.arange(len(candidates)) - np.searchsorted(owner, owner)
    give[candidates[place < extra[owner]]] += 1.0
    return give


def within(amount: np.ndarray, left: np.ndarray, groups: dict, discrete, rank) -> np.ndarray:
    """``amount`` shared within what ``left`` (limits or rooms, last entry inf) still allows:
    ``groups`` from plan.py, ``at`` the entries of ``left`` used, ``of`` each member's one."""
    return share(amount, left[groups["at"]], groups["of"], len(groups["at"]), discrete, rank, groups["single"])


def use(left: np.ndarray, groups: dict, amount: np.ndarray) -> None:
    """Take what was given out of ``left``."""
    left[groups["at"]] -= np.bincount(groups["of"], amount, len(groups["at"]))


def whole_share_py(members: list[int], want: dict[int, float], have: float, discrete, rank) -> dict[int, float]:
    """The same rule for one group, in plain Python (the reference loop's spelling)."""
    total = 0.0
    for k in members:
        total += want[k]
    if not total > have + EPS:
        return {k: want[k] for k in members}
    ratio = have / total
    give, remainder, left = {}, {}, 0.0
    for k in members:
        quota = want[k] * ratio
        give[k] = float(np.floor(quota + EPS)) if discrete[k] else quota
        remainder[k] = quota - give[k]
        left += remainder[k]
    units = int(np.floor(left + EPS))
    for k in sorted((k for k in members if remainder[k] > EPS), key=lambda k: (-remainder[k], rank[k]))[:units]:
        give[k] += 1.0
    return give
