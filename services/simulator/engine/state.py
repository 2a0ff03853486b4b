"""Running state and recorded series of a simulation."""

from dataclasses import dataclass, field

import numpy as np

from contracts.results import SERIES_MEASURES
from contracts.supply_plan import REASONS

from .network import Network

CHUNK_DAYS = 64
RECORDED = tuple(m for m in SERIES_MEASURES if m not in ("start", "receipts"))


@dataclass
class State:
    """Per pair: ``owed`` is the pair's open order not yet shipped by its upstream,
    ``on_order`` its open orders plus what is in transit to it, ``owed_down`` what its
    downstream pairs have ordered from it and not yet been shipped, ``backlog`` its customer
    backorders. ``arrivals[t]`` is what reaches each pair on day t (0-based): shipments are
    booked there when they leave, so its first ``days`` rows are the receipts series.
    ``wip`` is production released and not yet done; ``completing[t]`` (one column per made
    pair, None without production lead times) what production finishes on day t, and
    ``released`` (same columns) what it started each day. ``gap_left`` is the component need
    production could not meet when it last ran (met first, not counted again), ``gap_today``
    today's unmet need, ``touched`` the components of products that ran today.
    ``on_time`` / ``lost`` add up customer demand served on its day / lost. ``limit_left`` and
    ``room`` hold what resource limits and hard storage limits still allow today; their last
    entry is inf, the group of members without a limit (index -1). With a supply plan
    (``net.plan``): ``plan_owed`` is planned production not released yet (past due, released first),
    per made pair of the plan; ``prod_cut`` / ``order_cut`` (reason of contracts.supply_plan.REASONS,
    day, plan column) how much of what the plan wanted released or shipped that day each reason
    held back."""

    stock: np.ndarray
    owed: np.ndarray
    on_order: np.ndarray
    owed_down: np.ndarray
    backlog: np.ndarray
    received: np.ndarray
    arrivals: np.ndarray
    arc_left: np.ndarray
    group_left: np.ndarray
    wip: np.ndarray
    completing: np.ndarray | None
    released: np.ndarray | None
    gap_left: np.ndarray
    gap_today: np.ndarray
    touched: np.ndarray
    on_time: np.ndarray
    lost: np.ndarray
    limit_left: np.ndarray
    room: np.ndarray
    rec: dict = field(default_factory=dict)
    plan_owed: np.ndarray | None = None
    prod_cut: np.ndarray | None = None
    order_cut: np.ndarray | None = None

    @property
    def arrivals_flat(self) -> np.ndarray:
        return self.arrivals.reshape(-1)

    @classmethod
    def start(cls, net: Network) -> "State":
        pairs, made = net.pair_count, int(net.produced.sum())
        arrivals = np.zeros((net.days + int(net.lead.max(initial=0)) + 1, pairs))
        rec = {m: np.zeros((net.days, pairs)) for m in RECORDED} | {"receipts": arrivals[:net.days]}
        lagged = bool((net.prod_lead > 0).any())
        zeros = [np.zeros(pairs) for _ in range(8)]
        return cls(stock=net.init.copy(), owed=zeros[0], on_order=zeros[1], owed_down=zeros[2], backlog=zeros[3],
                   received=zeros[4], arrivals=arrivals, arc_left=net.arcs["cap"].copy(),
                   group_left=net.groups["cap"].copy(), wip=zeros[5],
                   completing=np.zeros((net.days + int(net.prod_lead.max(initial=0)) + 1, made)) if lagged else None,
                   released=np.zeros((net.days, made)) if lagged else None,
                   gap_left=zeros[6], gap_today=zeros[7], touched=np.zeros(pairs, dtype=bool), on_time=np.zeros(pairs), lost=np.zeros(pairs),
                   limit_left=np.append(net.limit_cap[0] if net.days else np.zeros(0), np.inf)
                   if net.limit_cap.shape[1] else np.array([np.inf]),
                   room=np.append(net.room_cap.copy(), np.inf), rec=rec, **_plan_state(net))

    @property
    def completing_flat(self) -> np.ndarray:
        return self.completing.reshape(-1)

    def released_series(self, net: Network) -> np.ndarray:
        """(days, made pairs) production started each day, made pairs in pair order."""
        return self.released if self.released is not None else self.rec["produced"][:, net.produced]

    def arc_flow(self, net: Network) -> np.ndarray:
        """(days, arcs) quantity shipped on each arc each day, read back from the arrivals."""
        flow = np.zeros((net.days, len(net.arcs["cap"])))
        for lead in np.unique(net.lead[net.arc >= 0]):
            sourced = np.nonzero((net.arc >= 0) & (net.lead == lead))[0]
            arcs, column = np.unique(net.arc[sourced], return_inverse=True)
            matrix = np.zeros((len(sourced), len(arcs)))
            matrix[np.arange(len(sourced)), column] = 1.0
            for first in range(0, net.days, CHUNK_DAYS):
                last = min(first + CHUNK_DAYS, net.days)
                flow[first:last, arcs] += self.arrivals[lead + first:lead + last, sourced] @ matrix
        return flow


def _plan_state(net: Network) -> dict:
    if net.plan is None:
        return {}
    made, bought = len(net.plan.prod), len(net.plan.order)
    return {"plan_owed": np.zeros(made), "prod_cut": np.zeros((len(REASONS), net.days, made)),
            "order_cut": np.zeros((len(REASONS), net.days, bought))}
