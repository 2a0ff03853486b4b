"""What a simulation returns: the summary, array accessors, and the gzip-compressed
DailyResults document, written as a stream so the document is never held as one string."""

import gzip
import io
import json
from dataclasses import dataclass, field

import numpy as np

from contracts.events import RunSummary
from contracts.results import SERIES_MEASURES

from .costs import Block
from .network import Network
from .state import State

DECIMALS = 6


def _numbers(values: np.ndarray) -> list[float]:
    return (np.round(values, DECIMALS) + 0.0).tolist()


@dataclass
class SimulationOutput:
    run_id: str
    network: Network
    state: State
    pnl: dict[str, np.ndarray]
    blocks: list[Block]
    summary: RunSummary
    _bytes: bytes | None = field(default=None, repr=False)

    @property
    def pairs(self) -> list[tuple[str, str]]:
        net = self.network
        return [(net.node_codes[n], net.item_codes[i]) for n, i in zip(net.pair_node, net.pair_item)]

    def series(self, measure: str) -> np.ndarray:
        """(days, pairs) values of one measure of SERIES_MEASURES, pairs in ``pairs`` order."""
        if measure == "start":
            end = self.state.rec["end"]
            return np.vstack([self.network.init[None, :], end[:-1]])
        return self.state.rec[measure]

    def trace(self) -> list[dict]:
        """The cost trace, day by day: one entry per non-zero amount."""
        codes = self.network.node_codes
        rows = []
        for block in self.blocks:
            days, cols = np.nonzero(np.round(block.amounts, DECIMALS))
            amounts = np.round(block.amounts[days, cols], DECIMALS).tolist()
            rows += [(int(d), block.category, codes[block.nodes[c]], block.items[c], a)
                     for d, c, a in zip(days.tolist(), cols.tolist(), amounts)]
        rows.sort(key=lambda r: r[0])
        return [{"day": d + 1, "category": cat, "node": n, "item": i, "amount": a} for d, cat, n, i, a in rows]

    def results_bytes(self) -> bytes:
        """The DailyResults document (contracts.results), gzip-compressed, deterministic."""
        if self._bytes is None:
            self._bytes = self._write()
        return self._bytes

    def _write(self) -> bytes:
        net, buffer = self.network, io.BytesIO()
        head = {"schema_id": "scpln-results-1", "run_id": self.run_id, "planning_days": net.days,
                "start_date": net.start_date}
        with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=5, mtime=0) as out:
            out.write(json.dumps(head)[:-1].encode() + b', "series": [')
            for k, (node, item) in enumerate(self.pairs):
                entry = {"node": node, "item": item, "node_type": net.node_types[net.pair_node[k]]}
                entry |= {m: _numbers(self.series(m)[:, k]) for m in SERIES_MEASURES}
                out.write((", " if k else "").encode() + json.dumps(entry).encode())
            pnl = {m: _numbers(v) for m, v in self.pnl.items()}
            out.write(b'], "pnl": ' + json.dumps(pnl).encode() + b', "cost_trace": ')
            out.write(json.dumps(self.trace()).encode() + b"}")
        return buffer.getvalue()
