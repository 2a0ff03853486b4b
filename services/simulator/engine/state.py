"""Running state and recorded series of a simulation."""

from dataclasses import dataclass, field

import numpy as np

from contracts.results import SERIES_MEASURES

from .network import Network

CHUNK_DAYS = 64
RECORDED = tuple(m for m in SERIES_MEASURES if m not in ("start", "receipts"))


@dataclass
class State:
    """Per pair: ``owed`` is the pair's open order not yet shipped by its upstream,
    ``on_order`` its open orders plus what is in transit to it, ``owed_down`` what its
    downstream pairs have ordered from it and not yet been shipped, ``backlog`` its customer
    backorders. ``arrivals[t]`` is what reaches each pair on day t (0-based): shipments are
    booked there when they leave, so its first ``days`` rows are the receipts series."""

    stock: np.ndarray
    owed: np.ndarray
    on_order: np.ndarray
    owed_down: np.ndarray
    backlog: np.ndarray
    received: np.ndarray
    arrivals: np.ndarray
    arc_left: np.ndarray
    group_left: np.ndarray
    rec: dict = field(default_factory=dict)

    @property
    def arrivals_flat(self) -> np.ndarray:
        return self.arrivals.reshape(-1)

    @classmethod
    def start(cls, net: Network) -> "State":
        pairs = net.pair_count
        arrivals = np.zeros((net.days + int(net.lead.max(initial=0)) + 1, pairs))
        rec = {m: np.zeros((net.days, pairs)) for m in RECORDED} | {"receipts": arrivals[:net.days]}
        return cls(stock=net.init.copy(), owed=np.zeros(pairs), on_order=np.zeros(pairs), owed_down=np.zeros(pairs),
                   backlog=np.zeros(pairs), received=np.zeros(pairs), arrivals=arrivals,
                   arc_left=net.arcs["cap"].copy(), group_left=net.groups["cap"].copy(), rec=rec)

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
