"""``GET /runs`` on the hot path: the registry's page passed through as it came (no parse, no
second validation, no second encoding), with an ETag from the read model's position and the
query.

- ``ETag: W/"<last_seq>-<digest of the query>"``: the projection is deterministic, so one
  position and one query make one page, on every registry replica alike.
- ``If-None-Match``: the gateway asks the registry only for its position
  (``scpln.qry.registry.position``, one row read); unchanged, it answers 304.
- The pages it passed on are kept per query with their position (a small LRU of pages up to
  ``KEEP_MAX_BYTES``): a request at that position is answered from it after the same position
  check; requests for one page that arrive together ask the registry once.
"""

import asyncio
import hashlib
import re
from collections import OrderedDict

from fastapi import Response

from contracts import subjects
from contracts.queries import Consistency, ListRuns
from services.ui_gateway.bus import Bus, Unavailable
from services.ui_gateway.deps import ask_raw

_LAST_SEQ = re.compile(rb'\{"last_seq":(\d+)[,}]')
"""Every registry reply opens with its position (``ReadModelPosition`` is the replies' base)."""
HEADERS = {"Cache-Control": "private, no-cache"}
KEEP_MAX_BYTES = 256 * 1024
"""A larger page (hundreds of runs) is passed on, not kept: 64 pages stay within 16 MiB."""


def last_seq_of(data: bytes) -> int | None:
    found = _LAST_SEQ.match(data)
    return int(found[1]) if found else None


def etag(last_seq: int, query_digest: str) -> str:
    return f'W/"{last_seq}-{query_digest}"'


def matches(if_none_match: str, tag: str) -> bool:
    """Weak comparison, as If-None-Match asks (RFC 9110 13.1.2)."""
    wanted = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in wanted or tag.removeprefix("W/") in wanted


class RunPages:
    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._pages: OrderedDict[str, tuple[int, bytes]] = OrderedDict()
        self._asking: dict[str, asyncio.Future[bytes]] = {}

    async def answer(self, bus: Bus, query: ListRuns, if_none_match: str | None) -> Response:
        key = query.model_dump_json(exclude={"min_seq"})
        digest = hashlib.blake2b(key.encode(), digest_size=8).hexdigest()
        kept = self._pages.get(key)
        if (if_none_match or kept) and not query.min_seq and (position := await _position(bus)) is not None:
            tag = etag(position, digest)
            if if_none_match and matches(if_none_match, tag):
                return Response(status_code=304, headers={"ETag": tag, **HEADERS})
            if kept is not None and kept[0] == position:
                self._pages.move_to_end(key)
                return _page(kept[1], tag)
        data = await self._fetch(bus, query)
        if (seq := last_seq_of(data)) is None:
            return _page(data, None)
        self._keep(key, seq, data)
        return _page(data, etag(seq, digest))

    async def _fetch(self, bus: Bus, query: ListRuns) -> bytes:
        key = query.model_dump_json()
        if (asking := self._asking.get(key)) is None:
            asking = self._asking[key] = asyncio.ensure_future(ask_raw(bus, subjects.QRY_RUNS_LIST, query))
            asking.add_done_callback(lambda _done: self._asking.pop(key, None))
        return await asyncio.shield(asking)

    def _keep(self, key: str, seq: int, data: bytes) -> None:
        if len(data) > KEEP_MAX_BYTES:
            return
        self._pages[key] = (seq, data)
        self._pages.move_to_end(key)
        while len(self._pages) > self.size:
            self._pages.popitem(last=False)


async def _position(bus: Bus) -> int | None:
    """The registry's position; None when it cannot say (then the page is asked for)."""
    try:
        return last_seq_of(await bus.ask_raw(subjects.QRY_POSITION, Consistency()))
    except Unavailable:
        return None


def _page(data: bytes, tag: str | None) -> Response:
    headers = {"ETag": tag, **HEADERS} if tag else HEADERS
    return Response(content=data, media_type="application/json", headers=headers)
