"""Connecting to NATS and binding to the event stream, the same way in every service."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar
from urllib.parse import unquote, urlsplit

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import APIError, NotFoundError, ServiceUnavailableError

from contracts import subjects
from runtime.outage import OUTAGE_ERRORS, OutageLog

log = logging.getLogger("runtime.bus")

MAX_STORAGE_BYTES = 50 * 1024**3
DUPLICATE_WINDOW_S = 120.0
_INSUFFICIENT_STORAGE = 10047  # JetStream's error code when it cannot reserve a stream's max_bytes
_CLUSTER_NOT_AVAILABLE = 10008
T = TypeVar("T")


class StreamStorageError(RuntimeError):
    """JetStream cannot reserve the event log's maximum size."""


def stream_config(max_bytes: int = MAX_STORAGE_BYTES, replicas: int = 1) -> StreamConfig:
    """The event log: every event kept forever; no delete, no purge; refuse writes when full.
    ``replicas``: copies kept by a JetStream cluster (3 with ``deploy/nats-cluster.conf``)."""
    return StreamConfig(
        name=subjects.STREAM_NAME,
        subjects=[subjects.EVENTS_WILDCARD],
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        max_msgs=-1,
        max_bytes=max_bytes,
        max_age=0,
        discard=DiscardPolicy.NEW,
        duplicate_window=DUPLICATE_WINDOW_S,
        deny_delete=True,
        deny_purge=True,
        max_msg_size=1024 * 1024,
        num_replicas=replicas,
    )


def servers(nats_url: str) -> list[str]:
    """The servers a NATS URL names: one, or a cluster's as a comma-separated list
    (``nats://u:p@host1:4222,nats://u:p@host2:4222``); each may carry its credentials. The client
    connects to any of them and fails over to the others (and to those the cluster announces)."""
    return [part.strip() for part in nats_url.split(",") if part.strip()]


def credentials(nats_url: str) -> tuple[str, str] | None:
    """The user and password the URL's first server carries. They are given to the client for
    every server, also those a cluster announces (which carry none: a reconnection to one
    without them is refused)."""
    parts = urlsplit(next(iter(servers(nats_url)), ""))
    if parts.username is None or parts.password is None:
        return None
    return unquote(parts.username), unquote(parts.password)


def public_url(nats_url: str) -> str:
    """The first server of a NATS URL list, without credentials."""
    parts = urlsplit(next(iter(servers(nats_url)), ""))
    host = parts.hostname or "localhost"
    return f"{parts.scheme or 'nats'}://{host}:{parts.port or 4222}"


async def connect(url: str, name: str, *, retry_max_s: float = 5.0, attempts: int | None = None,
                  outage: OutageLog | None = None) -> Client:
    """Connect, retrying with capped exponential backoff until the server answers (and, later,
    to any node of a cluster with the URL's ``credentials``). ``outage``
    (one per process) says when the bus is away and back, for this connection and the
    reconnections that follow, instead of a traceback per attempt."""
    outage = outage or OutageLog(log, f"NATS at {public_url(url)}")
    user, password = credentials(url) or (None, None)

    async def once() -> Client:
        return await nats.connect(
            servers(url), name=name, max_reconnect_attempts=-1, reconnect_time_wait=0.5, connect_timeout=2,
            allow_reconnect=True, user=user, password=password, **outage.callbacks(),  # type: ignore[arg-type]
        )

    return await _until_connected(once, outage, retry_max_s, attempts)


async def _until_connected(once: Callable[[], Awaitable[Client]], outage: OutageLog, retry_max_s: float,
                           attempts: int | None) -> Client:
    """``once()`` again after 0.2 s, then twice as long each time up to ``retry_max_s``, until it
    connects (or ``attempts`` have failed: the last error is raised); each failure said by ``outage``."""
    delay, tried = 0.2, 0
    while True:
        tried += 1
        try:
            client = await once()
        except Exception as exc:
            if attempts is not None and tried >= attempts:
                raise
            outage.failed(exc)
            await asyncio.sleep(delay)
            delay = min(delay * 2, retry_max_s)
            continue
        outage.recovered()
        return client


def broker(url: str, outage: OutageLog, name: str = "scpln",  # type: ignore[no-untyped-def]
           graceful_timeout: float | None = 15.0):
    """The service's faststream broker and its one NATS connection (``connect_broker``): every
    subscriber, publisher and request of the service goes through it. It reconnects as
    ``connect`` does (every 0.5 s, never giving up; faststream's defaults wait 2 s and stop after
    60 tries, to any server it knows, with the URL's ``credentials``), its outages said by
    ``outage``. Its handlers are counted by faststream's Prometheus middleware
    (``faststream_received_*``, ``faststream_published_*``, labelled ``app_name=name``); a request
    whose body its contract refuses is answered with a typed ``validation_failed`` reply
    (``runtime.rpc``). On stop, the handlers under way are given ``graceful_timeout`` seconds to
    finish before the connection drains."""
    from faststream import ExceptionMiddleware
    from faststream.nats import NatsBroker
    from faststream.nats.prometheus import NatsPrometheusMiddleware
    from faststream.nats.security import NatsUserPassword
    from prometheus_client import REGISTRY
    from pydantic import ValidationError

    from runtime.rpc import validation_reply

    middlewares = (
        NatsPrometheusMiddleware(registry=REGISTRY, app_name=name),
        ExceptionMiddleware(publish_handlers={ValidationError: validation_reply}),
    )
    options = dict(name=name, logger=None, graceful_timeout=graceful_timeout, max_reconnect_attempts=-1,
                   reconnect_time_wait=0.5, connect_timeout=2, middlewares=middlewares, **outage.callbacks())
    login = credentials(url)
    if login is None:
        return NatsBroker(servers(url), **options)  # type: ignore[arg-type]
    bare = [urlsplit(server)._replace(netloc=urlsplit(server).netloc.rpartition("@")[2]).geturl()
            for server in servers(url)]  # faststream takes the credentials apart from the servers
    security = NatsUserPassword(username=login[0], password=login[1])
    return NatsBroker(bare, security=security, **options)  # type: ignore[arg-type]


async def connect_broker(broker, outage: OutageLog, *, retry_max_s: float = 5.0,  # type: ignore[no-untyped-def]
                         attempts: int | None = None) -> Client:
    """Connect the service's broker, retrying with capped exponential backoff until the server
    answers; its connection (``broker.connection``) is the service's only one, also for what
    faststream does not wrap (the object store, reading the log, declaring the stream)."""
    return await _until_connected(broker.connect, outage, retry_max_s, attempts)


def is_connected(broker) -> bool:  # type: ignore[no-untyped-def]
    """Whether the broker's connection is up now (False before it connected and after it stopped)."""
    from faststream.exceptions import IncorrectState

    try:
        return bool(broker.connection.is_connected)
    except IncorrectState:
        return False


async def declare_stream(js: JetStreamContext, max_bytes: int = MAX_STORAGE_BYTES, replicas: int = 1) -> None:
    """Create the event stream, or bring its config up to date. Called by its one owner."""
    config = stream_config(max_bytes, replicas)
    try:
        try:
            await js.stream_info(subjects.STREAM_NAME)
            await js.update_stream(config)
        except NotFoundError:
            await js.add_stream(config)
    except APIError as exc:
        if exc.err_code != _INSUFFICIENT_STORAGE:
            raise
        raise StreamStorageError(
            f"JetStream cannot reserve {max_bytes:,} bytes for the event log {subjects.STREAM_NAME}: the server's "
            "file storage limit is lower. Raise max_file_store in the server's jetstream configuration, "
            "or lower STREAM_MAX_BYTES.") from exc


async def wait_for_stream(js: JetStreamContext, *, retry_max_s: float = 2.0) -> None:
    """Bind without declaring: wait until the owner has declared the stream."""
    delay = 0.1
    while True:
        try:
            await js.stream_info(subjects.STREAM_NAME)
            return
        except NotFoundError:
            log.info("waiting for stream %s to be declared", subjects.STREAM_NAME)
        except Exception as exc:  # noqa: BLE001 - JetStream not ready yet
            log.info("waiting for JetStream: %s", exc)
        await asyncio.sleep(delay)
        delay = min(delay * 2, retry_max_s)


async def last_stream_seq(js: JetStreamContext) -> int:
    info = await js.stream_info(subjects.STREAM_NAME)
    return info.state.last_seq


def not_ready(exc: BaseException) -> bool:
    """JetStream not answering yet: the bus away, or a cluster still electing its leaders (its
    API times out or says it is unavailable)."""
    return isinstance(exc, (*OUTAGE_ERRORS, ServiceUnavailableError)) or (
        isinstance(exc, APIError) and exc.err_code == _CLUSTER_NOT_AVAILABLE)


async def patiently(step: Callable[[], Awaitable[T]], what: str, *, retry_max_s: float = 2.0,
                    outage: OutageLog | None = None) -> T:
    """``step()``, tried again with capped backoff while JetStream is not ready (``not_ready``),
    said once while it lasts (``outage``, else one of its own) rather than ending the service at start."""
    outage, delay = outage or OutageLog(log, f"JetStream ({what})"), 0.2
    while True:
        try:
            done = await step()
        except Exception as exc:
            if not not_ready(exc):
                raise
            outage.failed(exc)
            await asyncio.sleep(delay)
            delay = min(delay * 2, retry_max_s)
            continue
        outage.recovered()
        return done
