"""The object store port: large documents (configs, artifacts, daily results) by key."""

import hashlib
import json
from typing import Any, NamedTuple, Protocol

import orjson
from nats.js import JetStreamContext
from nats.js.api import ObjectStoreConfig, StorageType
from nats.js.errors import BucketNotFoundError, NotFoundError, ObjectNotFoundError

from contracts import subjects
from contracts.events import ArtifactRef
from runtime.storage import Storage


class ObjectMissing(LookupError):
    """No object under that bucket and key."""


class BucketUsage(NamedTuple):
    bucket: str
    bytes: int
    """What the bucket's stream stores: chunks and metadata, deletion markers included."""
    messages: int


class ObjectStore(Protocol):
    async def put(self, name: str, bucket: str, key: str, data: bytes, content_type: str = "application/json") -> ArtifactRef: ...

    async def get(self, bucket: str, key: str) -> bytes: ...


def artifact_ref(name: str, bucket: str, key: str, data: bytes, content_type: str) -> ArtifactRef:
    return ArtifactRef(name=name, bucket=bucket, key=key, sha256=hashlib.sha256(data).hexdigest(),
                       size=len(data), content_type=content_type)


def json_bytes(document: Any) -> bytes:
    """A JSON document's compact bytes, read back as ``json.dumps(document, separators=(",", ":"))``
    is (orjson's, about ten times faster: the same values, though a float may be spelt otherwise,
    ``1e-7`` for ``1e-07``, text is UTF-8 rather than escaped, and NaN or an infinity, which JSON
    has not, is null); what orjson refuses (an integer over 64 bits, a value of another type)
    the stdlib's way."""
    try:
        return orjson.dumps(document, option=orjson.OPT_NON_STR_KEYS)
    except orjson.JSONEncodeError:
        return json.dumps(document, separators=(",", ":")).encode()


UPLOADS_KEPT_S = 24 * 3600.0
"""How long a staged upload stays: its import reads it within seconds."""


def bucket_config(bucket: str, replicas: int = 1) -> ObjectStoreConfig:
    ttl = UPLOADS_KEPT_S if bucket == subjects.UPLOADS_BUCKET else None
    return ObjectStoreConfig(bucket=bucket, storage=StorageType.FILE, ttl=ttl, replicas=replicas)


async def declare_buckets(js: JetStreamContext, replicas: int = 1) -> None:
    """Create every object bucket with as many copies as the event log (``STREAM_REPLICAS``), or
    bring a bucket made with fewer up to that: on a JetStream cluster a run's results, a plan's
    artifacts and the configs outlive a node as the log does. Called by the log's owner."""
    for bucket in subjects.OBJECT_BUCKETS:
        try:
            info = await js.stream_info(f"OBJ_{bucket}")
        except NotFoundError:
            await js.create_object_store(bucket, config=bucket_config(bucket, replicas))
            continue
        if info.config.num_replicas != replicas:
            info.config.num_replicas = replicas
            await js.update_stream(info.config)


class NatsObjectStore:
    """Buckets are created on first write by their writer; readers only bind. Staged uploads
    expire by themselves (``UPLOADS_KEPT_S``). With ``storage``, every write's outcome is
    recorded there, and one refused for want of space raises ``StorageFull``."""

    def __init__(self, js: JetStreamContext, storage: Storage | None = None) -> None:
        self._js = js
        self._stores: dict[str, object] = {}
        self._storage = storage

    async def _bucket(self, bucket: str, create: bool):  # type: ignore[no-untyped-def]
        if bucket not in self._stores:
            try:
                self._stores[bucket] = await self._js.object_store(bucket)
            except (BucketNotFoundError, NotFoundError):
                if not create:
                    raise ObjectMissing(bucket) from None
                self._stores[bucket] = await self._js.create_object_store(bucket, config=bucket_config(bucket))
        return self._stores[bucket]

    async def put(self, name: str, bucket: str, key: str, data: bytes, content_type: str = "application/json") -> ArtifactRef:
        try:
            store = await self._bucket(bucket, create=True)
            await store.put(key, data)  # type: ignore[attr-defined]
        except Exception as exc:
            if self._storage is None or (full := await self._storage.failed(exc, "the object store")) is None:
                raise
            raise full from exc
        if self._storage is not None:
            self._storage.stored()
        return artifact_ref(name, bucket, key, data, content_type)

    async def get(self, bucket: str, key: str) -> bytes:
        store = await self._bucket(bucket, create=False)
        try:
            result = await store.get(key)  # type: ignore[attr-defined]
        except (ObjectNotFoundError, NotFoundError):
            raise ObjectMissing(f"{bucket}/{key}") from None
        return result.data or b""

    async def delete(self, bucket: str, key: str) -> None:
        """Remove the object: its chunks are purged, a small marker says it was deleted.
        ObjectMissing when it is not there (or was deleted already)."""
        store = await self._bucket(bucket, create=False)
        try:
            await store.delete(key)  # type: ignore[attr-defined]
        except (ObjectNotFoundError, NotFoundError):
            raise ObjectMissing(f"{bucket}/{key}") from None

    async def usage(self, bucket: str) -> BucketUsage:
        """The bucket's size as its stream reports it (zero for a bucket not created yet)."""
        try:
            info = await self._js.stream_info(f"OBJ_{bucket}")
        except NotFoundError:
            return BucketUsage(bucket, 0, 0)
        return BucketUsage(bucket, info.state.bytes, info.state.messages)


class InMemoryObjectStore:
    """Fake for unit tests."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], bytes] = {}

    async def put(self, name: str, bucket: str, key: str, data: bytes, content_type: str = "application/json") -> ArtifactRef:
        self.objects[(bucket, key)] = data
        return artifact_ref(name, bucket, key, data, content_type)

    async def get(self, bucket: str, key: str) -> bytes:
        try:
            return self.objects[(bucket, key)]
        except KeyError:
            raise ObjectMissing(f"{bucket}/{key}") from None

    async def delete(self, bucket: str, key: str) -> None:
        if self.objects.pop((bucket, key), None) is None:
            raise ObjectMissing(f"{bucket}/{key}")

    async def usage(self, bucket: str) -> BucketUsage:
        held = [data for (b, _key), data in self.objects.items() if b == bucket]
        return BucketUsage(bucket, sum(len(data) for data in held), len(held))
