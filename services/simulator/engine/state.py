"""Running state and recorded series of a simulation."""

from dataclasses import dataclass, field

import numpy as np

from contracts.results import SERIES_MEASURES

from .network import Network

RECORDED = tuple(m for m in SERIES_MEASURES if m != "start")


@dataclass
class State:
    """Per pair: ``owed`` is the pair's open order at its upstream, ``owed_down`` what its
    downstream pairs have ordered from it and not yet received a shipment for, ``transit``
    what is shipped to it and not yet arrived, ``backlog`` its customer backorders."""

    stock: np.ndarray
    owed: np.ndarray
    owed_down: np.ndarray
    transit: np.ndarray
    backlog: np.ndarray
    received: np.ndarray
    pipe: np.ndarray
    arc_left: np.ndarray
    group_left: np.ndarray
    rec: dict = field(default_factory=dict)
    arc_flow: np.ndarray | None = None

    @classmethod
    def start(cls, net: Network) -> "State":
        pairs, horizon = net.pair_count, int(net.lead.max(initial=0)) + 1
        zeros = lambda: np.zeros(pairs)  # noqa: E731
        return cls(stock=net.init.copy(), owed=zeros(), owed_down=zeros(), transit=zeros(), backlog=zeros(),
                   received=zeros(), pipe=np.zeros((horizon, pairs)), arc_left=net.arcs["cap"].copy(),
                   group_left=net.groups["cap"].copy(),
                   rec={m: np.zeros((net.days, pairs)) for m in RECORDED},
                   arc_flow=np.zeros((net.days, len(net.arcs["cap"]))))
