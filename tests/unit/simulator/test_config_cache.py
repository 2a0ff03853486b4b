"""Runs of one config read and validate its document once."""

from pathlib import Path

from contracts import subjects
from runtime.objects import InMemoryObjectStore
from services.simulator.configs import ConfigCache

SAMPLES = Path(__file__).resolve().parents[3] / "samples"


class CountingStore(InMemoryObjectStore):
    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    async def get(self, bucket: str, key: str) -> bytes:
        self.reads += 1
        return await super().get(bucket, key)


async def test_a_config_is_read_once_and_another_content_or_the_least_recent_read_again():
    objects, cache = CountingStore(), ConfigCache(size=1)
    small = await objects.put("config", subjects.CONFIGS_BUCKET, "c.json", (SAMPLES / "small.json").read_bytes())
    first, again = await cache.get(small, objects), await cache.get(small, objects)
    assert first is again and objects.reads == 1 and first.meta.name
    medium = await objects.put("config", subjects.CONFIGS_BUCKET, "m.json", (SAMPLES / "medium.json").read_bytes())
    assert medium.sha256 != small.sha256
    assert (await cache.get(medium, objects)).meta.name != first.meta.name and objects.reads == 2
    await cache.get(small, objects)  # dropped for the medium one: read again
    assert objects.reads == 3
