"""What a simulation returns: the summary, array accessors, and the gzip-compressed
DailyResults document, written as a stream so the document is never held as one string."""

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Self

import numpy as np
import orjson
from zlib_ng import zlib_ng

from contracts.events import RunSummary
from contracts.results import SERIES_MEASURES

from .costs import Block
from .network import Network
from .state import State

DECIMALS = 6


def _numbers(values: np.ndarray) -> list[float]:
    return _rounded(values).tolist()


def _rounded(values: np.ndarray) -> np.ndarray:
    """Rounded to DECIMALS, without negative zeros."""
    return np.round(values, DECIMALS) + 0.0


class _Gzip:
    """A gzip stream written by zlib-ng (the stdlib's zlib takes almost twice as long at level 5
    and writes about a tenth more); a fixed header (no time, no name): the bytes depend on the
    document alone."""

    def __init__(self, out: io.BytesIO, level: int = 5) -> None:
        self.out, self._deflate = out, zlib_ng.compressobj(level, zlib_ng.DEFLATED, 31)

    def __enter__(self) -> Self:
        return self

    def write(self, data: bytes) -> None:
        self.out.write(self._deflate.compress(data))

    def __exit__(self, *exc: object) -> None:
        self.out.write(self._deflate.flush())


def _json_array(values: np.ndarray) -> bytes:
    """orjson's text of ``values.tolist()``, written from the array."""
    return orjson.dumps(values, option=orjson.OPT_SERIALIZE_NUMPY)


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

    def trace_json(self, days_per_chunk: int = 32) -> Iterator[bytes]:
        """The cost trace as ``trace_chunks`` gives it, each chunk's entries as compact JSON
        without the brackets, byte for byte what orjson makes of the entries; the entries are
        never built as dicts (a day's and a column's fixed text is made once, the amounts are
        written by orjson from the array)."""
        codes, days = self.network.node_codes, self.network.days
        day_text = [b'{"day":%d,"category":' % (day + 1) for day in range(days)]
        for block in self.blocks:
            category = orjson.dumps(block.category)
            column_text = [category + b',"node":' + orjson.dumps(codes[n]) + b',"item":' + orjson.dumps(item)
                           + b',"amount":' for n, item in zip(block.nodes, block.items)]
            for first in range(0, days, days_per_chunk):
                rounded = np.round(block.amounts(first, first + days_per_chunk), DECIMALS) + 0.0
                rows, cols = np.nonzero(rounded)
                if not len(rows):
                    continue
                parts = [b"},"] * (4 * len(rows))  # day, column, amount, "},": one entry
                parts[0::4] = map(day_text.__getitem__, (rows + first).tolist())
                parts[1::4] = map(column_text.__getitem__, cols.tolist())
                parts[2::4] = _json_array(rounded[rows, cols])[1:-1].split(b",")
                yield b"".join(parts)[:-1]

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

    def _write(self) -> bytes:
        net, buffer = self.network, io.BytesIO()
        head = {"schema_id": "scpln-results-2", "run_id": self.run_id, "planning_days": net.days,
                "start_date": net.start_date}
        with _Gzip(buffer) as out:
            out.write(orjson.dumps(head)[:-1] + b',"series":[')
            for k, (node, item) in enumerate(self.pairs):
                entry = {"node": node, "item": item, "node_type": net.node_types[net.pair_node[k]]}
                entry |= {m: _rounded(self.column(m, k)) for m in SERIES_MEASURES}
                out.write((b"," if k else b"") + orjson.dumps(entry, option=orjson.OPT_SERIALIZE_NUMPY))
            pnl = {m: _rounded(v) for m, v in self.pnl.items()}
            out.write(b'],"pnl":' + orjson.dumps(pnl, option=orjson.OPT_SERIALIZE_NUMPY) + b',"plan":'
                      + orjson.dumps(self._plan_section())
                      + b',"cost_trace":[')
            separator = b""
            for chunk in self.trace_json():
                out.write(separator + chunk)
                separator = b","
            out.write(b"]}")
        return buffer.getvalue()
