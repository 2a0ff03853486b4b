"""What a simulation returns: the summary, array accessors, and the gzip-compressed
DailyResults document, written as a stream so the document is never held as one string."""

import io
from dataclasses import dataclass, field
from typing import Self

import numpy as np
import orjson
from zlib_ng import zlib_ng

from contracts.events import RunSummary
from contracts.results import COLUMNAR, SERIES_MEASURES

from .costs import Block
from .network import Network
from .state import State

DECIMALS = 6
LEVEL = 2


def _numbers(values: np.ndarray) -> list[float]:
    return _rounded(values).tolist()


def _rounded(values: np.ndarray) -> np.ndarray:
    """Rounded to DECIMALS, without negative zeros."""
    return np.round(values, DECIMALS) + 0.0


class _Gzip:
    """A gzip stream written by zlib-ng (faster than the stdlib's zlib, and a tenth smaller at
    the same level); a fixed header (no time, no name): the bytes depend on the document alone.
    Level 2: the large sample's columnar document (about 1 MB of JSON) in about 100 kB, half
    the CPU time of level 5 for a fifth more bytes, and one object store chunk (128 KiB)."""

    def __init__(self, out: io.BytesIO, level: int = LEVEL) -> None:
        self.out, self._deflate = out, zlib_ng.compressobj(level, zlib_ng.DEFLATED, 31)

    def __enter__(self) -> Self:
        return self

    def write(self, data: bytes) -> None:
        self.out.write(self._deflate.compress(data))

    def __exit__(self, *exc: object) -> None:
        self.out.write(self._deflate.flush())


def _json_array(values: object) -> bytes:
    """orjson's text of ``values`` with every array in it as its ``tolist()``, written from the arrays."""
    return orjson.dumps(values, option=orjson.OPT_SERIALIZE_NUMPY)


def _per_pair(values: np.ndarray) -> bytes:
    """(days, pairs) values, rounded, as JSON: one list per pair; a pair's list of whole numbers
    is written as integers (``12`` rather than ``12.0``: shorter, and written faster)."""
    rows = np.ascontiguousarray(_rounded(values).T)
    whole = ((rows == np.trunc(rows)) & (np.abs(rows) < 2.0 ** 53)).all(axis=1)
    integers = rows.astype(np.int64)
    return _json_array([integers[k] if is_whole else rows[k] for k, is_whole in enumerate(whole.tolist())])


@dataclass
class SimulationOutput:
    run_id: str
    network: Network
    state: State
    pnl: dict[str, np.ndarray]
    blocks: list[Block]
    summary: RunSummary
    plan: dict | None = None
    """How the run executed its supply plan (attainment.section); None without one."""
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

    def column(self, measure: str, k: int) -> np.ndarray:
        """(days,) values of one measure for pair ``k``."""
        if measure == "start":
            return np.concatenate([self.network.init[k:k + 1], self.state.rec["end"][:-1, k]])
        return self.state.rec[measure][:, k]

    def trace_chunks(self, days_per_chunk: int = 32):
        """The cost trace in lists of entries, one non-zero amount each, block by block
        (category) and day by day within a block; never built whole."""
        codes = self.network.node_codes
        for block in self.blocks:
            nodes = [codes[n] for n in block.nodes]
            for first in range(0, self.network.days, days_per_chunk):
                rounded = np.round(block.amounts(first, first + days_per_chunk), DECIMALS) + 0.0
                days, cols = np.nonzero(rounded)
                yield [{"day": first + d + 1, "category": block.category, "node": nodes[c], "item": block.items[c],
                        "amount": a} for d, c, a in zip(days.tolist(), cols.tolist(), rounded[days, cols].tolist())]

    def trace(self) -> list[dict]:
        return [entry for chunk in self.trace_chunks() for entry in chunk]

    def results_bytes(self) -> bytes:
        """The DailyResults document (contracts.results), gzip-compressed, deterministic."""
        if self._bytes is None:
            self._bytes = self._write()
        return self._bytes

    def _plan_section(self) -> dict | None:
        if self.plan is None:
            return None
        rounded = lambda line: line | {m: _numbers(line[m]) for m in ("planned", "actual", "shortfall")} | {
            "reasons": {r: _numbers(v) for r, v in line["reasons"].items()}}
        return self.plan | {"lines": [rounded(line) for line in self.plan["lines"]]}

    def _cost_block(self, block: Block) -> bytes | None:
        """One block of the cost trace in the scpln-results-3 layout (contracts.results.CostBlock);
        None when it has no amount."""
        amounts = np.ascontiguousarray(_rounded(block.amounts()).T)
        present = amounts != 0
        counts = present.sum(axis=1)
        kept = np.flatnonzero(counts)
        if not len(kept):
            return None
        days = np.nonzero(present)[1] + 1
        cuts = np.cumsum(counts[kept])[:-1]
        codes = self.network.node_codes
        head = {"category": block.category, "node": [codes[block.nodes[j]] for j in kept],
                "item": [block.items[j] for j in kept]}
        return (orjson.dumps(head)[:-1] + b',"days":' + _json_array(np.split(days, cuts)) + b',"amounts":'
                + _json_array(np.split(amounts[present], cuts)) + b"}")

    def _write(self) -> bytes:
        net, buffer = self.network, io.BytesIO()
        pairs = [{"node": node, "item": item, "node_type": net.node_types[net.pair_node[k]]}
                 for k, (node, item) in enumerate(self.pairs)]
        head = {"schema_id": COLUMNAR, "run_id": self.run_id, "planning_days": net.days,
                "start_date": net.start_date, "pairs": pairs}
        with _Gzip(buffer) as out:
            out.write(orjson.dumps(head)[:-1] + b',"series":{')
            for k, measure in enumerate(SERIES_MEASURES):
                out.write(b'%s"%s":' % (b"," if k else b"", measure.encode()) + _per_pair(self.series(measure)))
            pnl = {m: _rounded(v) for m, v in self.pnl.items()}
            out.write(b'},"pnl":' + _json_array(pnl) + b',"plan":' + orjson.dumps(self._plan_section())
                      + b',"cost_trace":[')
            out.write(b",".join(text for block in self.blocks if (text := self._cost_block(block)) is not None))
            out.write(b"]}")
        return buffer.getvalue()
