"""The gateway's one way to reach other services: request/reply over NATS, typed by contracts."""

import asyncio
import logging
from typing import Protocol, TypeVar

from nats.aio.client import Client
from nats.errors import NoRespondersError, TimeoutError as NatsTimeout

from contracts.commands import ErrorReply, parse_reply
from contracts.envelope import Contract
from runtime import bus

log = logging.getLogger("ui_gateway.bus")
M = TypeVar("M", bound=Contract)


class Unavailable(Exception):
    """The bus or the service that answers this subject is not reachable right now."""


class Bus(Protocol):
    connected: bool

    async def ask(self, subject: str, request: Contract, reply: type[M]) -> M | ErrorReply: ...


class NatsBus:
    def __init__(self, url: str, timeout: float = 5.0) -> None:
        self.url = url
        self.timeout = timeout
        self.nc: Client | None = None
        self._connecting: asyncio.Task | None = None

    @property
    def connected(self) -> bool:
        return self.nc is not None and self.nc.is_connected

    def start(self) -> None:
        """Connect in the background, retrying with backoff; /healthz says 503 until then."""
        self._connecting = asyncio.create_task(self._connect())

    async def _connect(self) -> None:
        self.nc = await bus.connect(self.url, "ui_gateway")
        log.info("connected to %s", self.url)

    async def ask(self, subject: str, request: Contract, reply: type[M]) -> M | ErrorReply:
        if not self.connected:
            raise Unavailable("the message bus is not connected")
        try:
            msg = await self.nc.request(subject, request.model_dump_json().encode(), timeout=self.timeout)  # type: ignore[union-attr]
        except (NoRespondersError, NatsTimeout, asyncio.TimeoutError) as exc:
            raise Unavailable(f"no answer on {subject}: {type(exc).__name__}") from exc
        return parse_reply(msg.data, reply)

    async def close(self) -> None:
        if self._connecting and not self._connecting.done():
            self._connecting.cancel()
        if self.connected:
            await self.nc.drain()  # type: ignore[union-attr]
