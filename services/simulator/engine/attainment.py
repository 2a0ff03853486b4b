"""How a run held up against its supply plan: planned and actual units per line and week, the
attainment, and why it fell short.

A line is a node-item pair the plan drives: ``production`` (units completed, i.e. in stock, per
week against the plan's) or ``receipts`` (units received from upstream against the plan's).
A week's shortfall is max(planned − actual, 0); it is split among the reasons of
contracts.supply_plan.REASONS in proportion to what each held back of the releases due in that
week (a cut on release day r counts for the week of r + lead time), and to the planned units whose
release fell before day 1 (``lead_time``).

plan_attainment = Σ over items and weeks of min(actual, planned) / Σ planned, over the lines the
supply plan states (not the components the run derives), an item's pairs added up: the share of
the plan's units that were there in their week (1 when the plan plans nothing).
"""

from dataclasses import dataclass

import numpy as np

from contracts.supply_plan import REASONS, PlanShortfall

from .network import Network
from .state import State

TOP_LINES = 5
EPS = 1e-6


@dataclass
class Lines:
    kind: str
    pairs: np.ndarray
    stated: np.ndarray
    planned: np.ndarray
    actual: np.ndarray
    reasons: np.ndarray
    """``planned``/``actual`` (lines, weeks); ``reasons`` (REASONS, lines, weeks) in units short."""

    @property
    def shortfall(self) -> np.ndarray:
        return np.maximum(self.planned - self.actual, 0.0) * (self.planned - self.actual > EPS)


def _weekly(values: np.ndarray, onehot: np.ndarray) -> np.ndarray:
    """(days, n) → (n, weeks)."""
    return values.T @ onehot


def _shifted(cut: np.ndarray, leads: np.ndarray) -> np.ndarray:
    """(R, days, n) cuts moved from release day to due day (past the horizon: dropped)."""
    out = np.zeros_like(cut)
    days = cut.shape[1]
    for j, lead in enumerate(leads.tolist()):
        if lead < days:  # a lead time as long as the horizon moves everything past it
            out[:, lead:, j] = cut[:, :days - lead, j]
    return out


def _lines(kind, pairs, stated, due, early, actual, cut, leads, onehot) -> Lines:
    planned, done = _weekly(due, onehot), _weekly(actual, onehot)
    weights = np.stack([_weekly(c, onehot) for c in _shifted(cut, leads)])
    weights[REASONS.index("lead_time")] += _weekly(early, onehot)
    short = np.maximum(planned - done, 0.0) * (planned - done > EPS)
    total = weights.sum(axis=0)
    share = np.divide(weights, total, out=np.zeros_like(weights), where=total > EPS)
    return Lines(kind, pairs, stated, planned, done, share * short)


def plan_lines(net: Network, state: State) -> list[Lines]:
    sched = net.plan
    if sched is None:
        return []
    onehot = np.zeros((net.days, len(sched.weeks)))
    days = np.nonzero(sched.week_of_day >= 0)[0]
    onehot[days, sched.week_of_day[days]] = 1.0
    return [
        _lines("production", sched.prod, sched.prod_stated, sched.prod_due, sched.prod_early,
               state.rec["produced"][:, sched.prod], state.prod_cut, net.prod_lead[sched.prod], onehot),
        _lines("receipts", sched.order, sched.order_stated, sched.order_due, sched.order_early,
               state.rec["receipts"][:, sched.order], state.order_cut, net.lead[sched.order], onehot),
    ]


def attainment(net: Network, lines: list[Lines]) -> float | None:
    if net.plan is None:
        return None
    planned, attained = 0.0, 0.0
    for group in lines:
        items = net.pair_item[group.pairs[group.stated]]
        for item in np.unique(items):
            mine = np.nonzero(group.stated)[0][items == item]
            want, got = group.planned[mine].sum(axis=0), group.actual[mine].sum(axis=0)
            planned += want.sum()
            attained += np.minimum(want, got).sum()
    return round(min(1.0, attained / planned), 4) if planned > EPS else 1.0


def shortfalls(net: Network, lines: list[Lines]) -> list[PlanShortfall]:
    """The lines short the most over the horizon, largest first (ties by node, item)."""
    rows = []
    for group in lines:
        short = group.shortfall
        for j in np.nonzero(short.sum(axis=1) > EPS)[0].tolist():
            k, weeks = int(group.pairs[j]), np.nonzero(short[j] > EPS)[0]
            by_reason = {r: round(float(group.reasons[i, j].sum()), 4) for i, r in enumerate(REASONS)}
            by_reason = {r: q for r, q in by_reason.items() if q > 0}
            first = net.plan.weeks[int(weeks[0])]
            rows.append(PlanShortfall(
                node=net.node_codes[net.pair_node[k]], item=net.item_codes[net.pair_item[k]], kind=group.kind,
                stated=bool(group.stated[j]), planned=round(float(group.planned[j].sum()), 4),
                attained=round(float(np.minimum(group.planned[j], group.actual[j]).sum()), 4),
                shortfall=round(float(short[j].sum()), 4), weeks_short=len(weeks), first_week=first.label,
                first_day=first.first_day, reason=max(by_reason, key=by_reason.get) if by_reason else "",
                reasons=by_reason))
    rows.sort(key=lambda s: (-s.shortfall, s.node, s.item, s.kind))
    return rows[:TOP_LINES]


def section(net: Network, lines: list[Lines]) -> dict | None:
    """The results document's ``plan`` section (contracts.results.PlanExecution)."""
    if net.plan is None:
        return None
    out = []
    for group in lines:
        short = group.shortfall
        for j, k in enumerate(group.pairs.tolist()):
            out.append({"node": net.node_codes[net.pair_node[k]], "item": net.item_codes[net.pair_item[k]],
                        "kind": group.kind, "stated": bool(group.stated[j]), "planned": group.planned[j],
                        "actual": group.actual[j], "shortfall": short[j],
                        "reasons": {r: group.reasons[i, j] for i, r in enumerate(REASONS)
                                    if group.reasons[i, j].any()}})
    return {"until_day": net.plan.until, "weeks": [w.model_dump() for w in net.plan.weeks], "lines": out}
