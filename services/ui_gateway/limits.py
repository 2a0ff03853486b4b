"""Input limits at the edge: how large a request's headers and body may be, refused before a
route reads anything.

- Headers: ``HEADERS_MAX`` bytes in all (names and values) → 431. Beyond ``HEAD_MAX`` uvicorn
  itself answers 400 and closes the connection (``SERVER_OPTIONS``, its h11 buffer), before the
  app sees the request.
- Body: ``BODY_MAX`` for every route but those of ``BODY_LIMITS`` (config imports take a
  canonical document of up to 50 MiB). A ``Content-Length`` over the limit is refused before a
  byte of the body is read; a body sent without one (chunked) is counted as it arrives and cut
  off at the limit → 413, whatever the route made of the part it read.

The refusals are rendered by the app's own error handler (``refuse``): ``{"detail": ...}`` for
the JSON API, the error page for pages.
"""

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

KiB, MiB = 1024, 1024 * 1024
BODY_MAX = 1 * MiB
CONFIG_BODY_MAX = 50 * MiB
"""The largest canonical config document an import takes (a file of the page's form, or the
JSON body of ``POST /configs``)."""
FORM_OVERHEAD = 64 * KiB
"""What a multipart form adds around the file it carries."""
BODY_LIMITS: dict[tuple[str, str], int] = {
    ("POST", "/configs"): CONFIG_BODY_MAX,
    ("POST", "/ui/configs"): CONFIG_BODY_MAX + FORM_OVERHEAD,
    ("POST", "/configs/input-sets"): CONFIG_BODY_MAX + FORM_OVERHEAD,
    ("POST", "/ui/configs/input-sets"): CONFIG_BODY_MAX + FORM_OVERHEAD,
}
"""Routes that take more than ``BODY_MAX``, by method and path."""
HEADERS_MAX = 16 * KiB
HEAD_MAX = 64 * KiB
SERVER_OPTIONS: dict[str, Any] = {"h11_max_incomplete_event_size": HEAD_MAX}
"""uvicorn's options that bound a request before the app sees it."""
IDEMPOTENCY_KEY_MAX = 200

Refuse = Callable[[Request, HTTPException], Awaitable[Response]]


def size_text(size: int) -> str:
    """``1.5 MiB``, ``50 MiB``, ``20 KiB``: one decimal below ten units."""
    for unit, name in ((MiB, "MiB"), (KiB, "KiB")):
        if size >= unit:
            amount = size / unit
            return (f"{amount:.1f}".removesuffix(".0") if amount < 10 else f"{amount:.0f}") + f" {name}"
    return f"{size} bytes"


def header_bytes(scope: Scope) -> int:
    return sum(len(name) + len(value) + 4 for name, value in scope["headers"])


def body_limit(scope: Scope) -> int:
    return BODY_LIMITS.get((scope["method"], scope["path"]), BODY_MAX)


def _content_length(headers: Headers) -> int | None:
    value = headers.get("content-length")
    return int(value) if value is not None and value.isdigit() else None


class _CutOff(Exception):
    """The body grew past the route's limit while it was read."""


class InputLimits:
    """Pure ASGI middleware: headers and body within their limits, else 431 or 413."""

    def __init__(self, app: ASGIApp, refuse: Refuse) -> None:
        self.app = app
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if (size := header_bytes(scope)) > HEADERS_MAX:
            return await self._refuse(scope, receive, send, 431, f"the request's headers ({size:,} bytes) are larger "
                                      f"than the {size_text(HEADERS_MAX)} read (a cookie or a token too large?)")
        limit = body_limit(scope)
        declared = _content_length(Headers(scope=scope))
        if declared is not None and declared > limit:
            return await self._refuse(scope, receive, send, 413, f"the request body ({declared:,} bytes) is larger "
                                      f"than the {size_text(limit)} {scope['method']} {scope['path']} takes")
        if declared is not None:  # the server delivers exactly that many bytes
            return await self.app(scope, receive, send)
        await self._counted(scope, receive, send, limit)

    async def _counted(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        """A body of unknown length: read on, but not past ``limit``; the route's answer to a
        body cut off is replaced by the 413."""
        received, cut_off, started = 0, False, False

        async def counting() -> Message:
            nonlocal received, cut_off
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    cut_off = True
                    raise _CutOff
            return message

        async def unless_cut_off(message: Message) -> None:
            nonlocal started
            if not cut_off:
                started = True
                await send(message)

        try:
            await self.app(scope, counting, unless_cut_off)
        except Exception:
            if not cut_off or started:
                raise
        if cut_off and not started:
            await self._refuse(scope, receive, send, 413, f"the request body is larger than the {size_text(limit)} "
                                                          f"{scope['method']} {scope['path']} takes")

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, status: int, message: str) -> None:
        response = await self.refuse(Request(scope, receive), HTTPException(status, message))
        await response(scope, receive, send)
