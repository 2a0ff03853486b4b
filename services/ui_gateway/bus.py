"""The gateway's one way to reach other services, over its one NATS connection (its faststream
broker): request/reply typed by contracts; object reads from the object store; the identity and
maintenance facts followed live; the job-progress events of the stream, resumable by sequence;
every service's storage reports, and its own."""

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Protocol, TypeVar

from faststream.exceptions import SubscriberNotFound
from nats.aio.client import Client
from nats.errors import MaxPayloadError, NoRespondersError
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import ConsumerConfig, DeliverPolicy

from contracts import subjects
from contracts.commands import ErrorReply, parse_reply
from contracts.envelope import Contract
from contracts.events import ArtifactRef, JobProgress, UnknownEvent, decode
from runtime import bus, identity
from runtime.maintenance import Maintenance
from runtime.maintenance import follow as follow_maintenance
from runtime.nats_permissions import events_published_by
from runtime.objects import NatsObjectStore, ObjectMissing
from runtime.outage import OUTAGE_ERRORS, OutageLog
from runtime.publisher import event_publishers
from runtime.storage import Storage, StorageFull
from runtime.storage_report import StorageBoard, announce, decoded, listener, reporter

log = logging.getLogger("ui_gateway.bus")
SERVICE = "ui_gateway"
M = TypeVar("M", bound=Contract)

__all__ = ["Bus", "NatsBus", "ObjectMissing", "StorageFull", "TooLarge", "Unavailable", "wire"]


class Unavailable(Exception):
    """The bus or the service that answers this subject is not reachable right now."""


class TooLarge(Exception):
    """The request is larger than the largest message the bus carries."""


class Bus(Protocol):
    connected: bool
    identities: identity.Identities
    """Users and tokens as the log holds them, followed live."""
    identities_ready: bool
    """True once the identity facts stored when the gateway connected are folded."""
    maintenance: Maintenance
    """Maintenance mode as the log holds it, followed live: the banner of every page."""
    storage_board: StorageBoard
    """How each service's writes fare, as they report it (``/healthz``)."""

    async def maintenance_at(self, seq: int | None) -> Maintenance:
        """Maintenance mode once the fact at ``seq`` (one a command just recorded) is folded,
        waiting a little for it; at once when ``seq`` is None."""
        ...

    async def ask(self, subject: str, request: Contract, reply: type[M]) -> M | ErrorReply:
        """The service's reply; Unavailable when none answers, TooLarge when the request
        cannot be sent."""
        ...

    async def ask_raw(self, subject: str, request: Contract) -> bytes:
        """The service's reply as it came (its JSON), for a route that passes it on unread;
        raises as ``ask``."""
        ...

    async def read_object(self, bucket: str, key: str) -> bytes:
        """The stored bytes; ObjectMissing when absent, Unavailable when the bus is down."""
        ...

    async def put_object(self, bucket: str, key: str, data: bytes) -> ArtifactRef:
        """Store bytes (a document too large for a command); Unavailable when the bus is down,
        StorageFull when the store is out of space."""
        ...

    async def stream_seq(self) -> int:
        """Last sequence of the event stream: a command's events are at or below it once it has answered."""
        ...

    def job_progress(self, after_seq: int | None) -> AsyncIterator[tuple[int, JobProgress]]:
        """JobProgress events with their stream sequence: after ``after_seq``, or only new ones when None."""
        ...


def wire(broker, board: StorageBoard):  # type: ignore[no-untyped-def]
    """Everything the gateway declares on its broker: the storage reports it listens to (every
    service's, kept by ``board`` for ``/healthz``), the events it publishes (none) and the
    publisher of its own storage reports, which it returns. The one wiring of ``NatsBus`` and of
    ``asyncapi_broker``."""
    broker.subscriber(subjects.STORAGE_STATUS_ALL, decoder=decoded, title="StorageStatus of every service",
                      description="Every service's storage report, the last of each kept for /healthz.")(listener(board))
    event_publishers(broker, events_published_by(SERVICE))
    return reporter(broker, SERVICE)


class NatsBus:
    """The gateway's bus on its faststream broker (``wire``), whose connection is the gateway's
    only one: requests go through ``broker.request``; what faststream does not wrap (the object
    store, following the identity and maintenance facts, the job-progress feed, the stream's
    position) uses the broker's connection. Started and stopped by the FastAPI app's lifespan."""

    def __init__(self, url: str, timeout: float = 5.0, storage: Storage | None = None,
                 retry_max_s: float = 5.0) -> None:
        self.url = url
        self.timeout = timeout
        self.retry_max_s = retry_max_s
        self.nc: Client | None = None
        """The broker's connection, once it is up and the broker started."""
        self._objects: NatsObjectStore | None = None
        self._connecting: asyncio.Task | None = None
        self.storage = storage
        self.storage_board = StorageBoard(storage)
        self.outage = OutageLog(log)
        self.broker = bus.broker(url, self.outage, name=SERVICE)
        self._reporter = wire(self.broker, self.storage_board)
        self.identities = identity.Identities()
        self._identities_ready = asyncio.Event()
        self.maintenance = Maintenance()
        self._maintenance_changed = asyncio.Event()
        self._following: list[asyncio.Task] = []

    @property
    def connected(self) -> bool:
        return self.nc is not None and bus.is_connected(self.broker)

    @property
    def identities_ready(self) -> bool:
        return self._identities_ready.is_set()

    def start(self) -> None:
        """Connect in the background, retrying with backoff; /healthz says 503 until then."""
        self._connecting = asyncio.create_task(self._connect())

    async def _connect(self) -> None:
        nc = await bus.connect_broker(self.broker, self.outage, retry_max_s=self.retry_max_s)
        await self.broker.start()
        self._objects = NatsObjectStore(nc.jetstream(), self.storage)
        self.nc = nc
        log.info("connected to %s", bus.public_url(self.url))
        self._following = [
            asyncio.create_task(self._keep_following("identity", lambda js: identity.follow(
                js, self.identities, self._identities_ready))),
            asyncio.create_task(self._keep_following("maintenance", lambda js: follow_maintenance(
                js, self.maintenance, asyncio.Event(), self._on_maintenance_change))),
        ]
        if self.storage is not None:
            self._following.append(asyncio.create_task(announce(self.broker, self.storage, publisher=self._reporter)))

    async def _keep_following(self, facts: str, follow) -> None:  # type: ignore[no-untyped-def]
        """Fold one kind of fact and follow new ones for as long as the gateway runs; the
        stream may not be declared yet on a first start."""
        js = self.nc.jetstream()  # type: ignore[union-attr]
        await bus.wait_for_stream(js)
        while True:
            try:
                await follow(js)
            except asyncio.CancelledError:
                raise
            except OUTAGE_ERRORS as exc:  # the bus is away: said once while it lasts
                self.outage.failed(exc)
                await asyncio.sleep(1.0)
            except Exception as exc:  # noqa: BLE001 - keep following after a fault of the bus
                log.warning("following the %s facts stopped (%s); resuming", facts, exc)
                await asyncio.sleep(1.0)

    def _on_maintenance_change(self) -> None:
        changed, self._maintenance_changed = self._maintenance_changed, asyncio.Event()
        changed.set()

    async def maintenance_at(self, seq: int | None, timeout: float = 2.0) -> Maintenance:
        deadline = asyncio.get_running_loop().time() + timeout
        while seq is not None and self.maintenance.last_seq < seq:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                break
            try:
                await asyncio.wait_for(self._maintenance_changed.wait(), left)
            except TimeoutError:
                break
        return self.maintenance

    def _client(self) -> Client:
        if not self.connected:
            raise Unavailable("the message bus is not connected")
        return self.nc  # type: ignore[return-value]

    async def ask(self, subject: str, request: Contract, reply: type[M]) -> M | ErrorReply:
        return parse_reply(await self.ask_raw(subject, request), reply)

    async def ask_raw(self, subject: str, request: Contract) -> bytes:
        """Through the broker (``broker.request``); the reply's body as it came, not decoded."""
        nc = self._client()
        payload = request.model_dump_json().encode()
        try:
            answer = await self.broker.request(payload, subject, timeout=self.timeout)
        except (TimeoutError, NoRespondersError, NatsTimeout, SubscriberNotFound) as exc:
            raise Unavailable(f"no answer on {subject}: {type(exc).__name__}") from exc
        except MaxPayloadError as exc:
            raise TooLarge(f"the request is {len(payload) / 2**20:.1f} MiB; the message bus carries at most "
                           f"{nc.max_payload / 2**20:.1f} MiB") from exc
        return answer.body

    async def read_object(self, bucket: str, key: str) -> bytes:
        self._client()
        try:
            return await self._objects.get(bucket, key)  # type: ignore[union-attr]
        except (TimeoutError, NatsTimeout) as exc:
            raise Unavailable(f"object store did not answer for {bucket}/{key}") from exc

    async def put_object(self, bucket: str, key: str, data: bytes) -> ArtifactRef:
        """StorageFull (raised by the object store) when it is out of space."""
        self._client()
        try:
            return await self._objects.put("upload", bucket, key, data)  # type: ignore[union-attr]
        except (TimeoutError, NatsTimeout) as exc:
            raise Unavailable(f"object store did not answer for {bucket}/{key}") from exc

    async def stream_seq(self) -> int:
        try:
            return await bus.last_stream_seq(self._client().jetstream())
        except (TimeoutError, NatsTimeout) as exc:
            raise Unavailable("JetStream did not answer") from exc

    async def job_progress(self, after_seq: int | None) -> AsyncIterator[tuple[int, JobProgress]]:
        if after_seq is None:
            config = ConsumerConfig(deliver_policy=DeliverPolicy.NEW)
        else:
            config = ConsumerConfig(deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=after_seq + 1)
        js = self._client().jetstream()
        sub = await js.subscribe(subjects.JOB_PROGRESS, stream=subjects.STREAM_NAME, config=config,
                                 ordered_consumer=True)
        try:
            async for msg in sub.messages:
                try:
                    event = decode(msg.data)
                except (UnknownEvent, ValueError):
                    continue
                if isinstance(event, JobProgress):
                    yield msg.metadata.sequence.stream, event
        finally:
            await sub.unsubscribe()

    async def close(self) -> None:
        """Stop following and reporting, then stop the broker: its subscriptions end and its
        connection drains (what is in flight is delivered) before it closes."""
        tasks = [task for task in (self._connecting, *self._following) if task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.nc = None
        await self.broker.stop()
