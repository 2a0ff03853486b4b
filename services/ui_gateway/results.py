"""Reading a run's daily results (contracts.results layouts, gzip JSON in the object store).

Charts need the series and the P&L, not the itemised cost trace that ends the document (every
layout); ``parse_head`` decompresses only until the trace starts and parses what came before,
laid out by rows (``contracts.results.row_layout``) whatever the layout stored. Results never
change once stored, so parsed heads are kept in a small cache keyed by sha256.
"""

import re
import zlib
from collections import OrderedDict
from typing import Any

from pydantic_core import from_json

from contracts.events import ArtifactRef
from contracts.results import row_layout

TRACE_KEY = re.compile(rb',\s*"cost_trace"\s*:')
CHUNK = 256 * 1024


def gunzip(data: bytes) -> bytes:
    return zlib.decompress(data, wbits=47)


def parse_head(gz: bytes) -> dict[str, Any]:
    """The document without its cost trace, laid out by rows; the whole document when no trace
    is found."""
    inflater, text, scanned = zlib.decompressobj(wbits=47), b"", 0
    for start in range(0, len(gz), CHUNK):
        text += inflater.decompress(gz[start:start + CHUNK])
        found = TRACE_KEY.search(text, max(scanned - 64, 0))
        if found:
            try:
                return row_layout(from_json(text[:found.start()] + b"}"))
            except ValueError:
                break
        scanned = len(text)
    return row_layout(from_json(gunzip(gz)))


class HeadCache:
    """The last few parsed result heads, by sha256 (least recently used dropped first)."""

    def __init__(self, size: int = 8) -> None:
        self.size = size
        self._items: OrderedDict[str, dict[str, Any]] = OrderedDict()

    def get(self, ref: ArtifactRef) -> dict[str, Any] | None:
        head = self._items.get(ref.sha256)
        if head is not None:
            self._items.move_to_end(ref.sha256)
        return head

    def put(self, ref: ArtifactRef, head: dict[str, Any]) -> None:
        self._items[ref.sha256] = head
        while len(self._items) > self.size:
            self._items.popitem(last=False)


def pairs(head: dict[str, Any]) -> list[dict[str, str]]:
    return [{"node": s["node"], "item": s["item"], "node_type": s["node_type"]} for s in head["series"]]


def pick_series(head: dict[str, Any], node: str | None, item: str | None) -> int:
    """Index of the requested node-item pair; the first store pair (or the first pair) by default."""
    series = head["series"]
    for k, s in enumerate(series):
        if s["node"] == node and s["item"] == item:
            return k
    return next((k for k, s in enumerate(series) if s["node_type"] == "store"), 0)


def chart_data(head: dict[str, Any], node: str | None, item: str | None) -> dict[str, Any]:
    """What the run page's charts draw: one pair's measures and the daily P&L."""
    series = head["series"]
    chosen = pick_series(head, node, item) if series else None
    return {
        "run_id": head.get("run_id"), "days": head.get("planning_days", 0), "start_date": head.get("start_date"),
        "pairs": pairs(head), "pair": chosen,
        "series": {k: v for k, v in series[chosen].items() if isinstance(v, list)} if chosen is not None else {},
        "pnl": head.get("pnl", {}),
    }
