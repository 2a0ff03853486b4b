"""The canonical configs runs read, kept parsed: runs of one config version (or one scenario's
effective config) read and validate its document once, not once per run."""

import json
from collections import OrderedDict

from contracts.canonical import CanonicalConfig
from contracts.events import ArtifactRef
from runtime.objects import ObjectStore


class ConfigCache:
    """The ``size`` configs read last, by their document's bucket, key and sha256 (a stored
    document is never changed: another content is another sha256)."""

    def __init__(self, size: int = 8) -> None:
        self.size = size
        self._configs: OrderedDict[tuple[str, str, str], CanonicalConfig] = OrderedDict()

    async def get(self, ref: ArtifactRef, objects: ObjectStore) -> CanonicalConfig:
        """The config ``ref`` names, read from ``objects`` unless kept; a document that is no
        config raises pydantic's ValidationError (the run fails, naming it)."""
        key = (ref.bucket, ref.key, ref.sha256)
        if (config := self._configs.get(key)) is not None:
            self._configs.move_to_end(key)
            return config
        config = CanonicalConfig.model_validate(json.loads(await objects.get(ref.bucket, ref.key)))
        self._configs[key] = config
        while len(self._configs) > self.size:
            self._configs.popitem(last=False)
        return config
