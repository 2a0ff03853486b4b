"""The effective configs of the plans made lately, read and checked once.

A config version's document never changes, nor what a scenario's overrides make of it: the plans
of one config version with the same overrides plan the same effective config, with the same
warnings. Kept by the document's digest and the overrides; the last ``keep`` are kept.
"""

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from contracts.canonical import CanonicalConfig
from contracts.events import RunWarning
from contracts.overrides import AppliedOverride, ConfigChange, ScenarioOverride

Key = tuple[str, ...]


@dataclass(frozen=True)
class Prepared:
    config: CanonicalConfig
    """Validated; never changed in place (frozen models, lists read only)."""
    sha256: str
    data: bytes | None
    """The effective document's canonical JSON when it differs from the config version's."""
    applied: list[AppliedOverride]
    changes: list[ConfigChange]
    warnings: list[RunWarning]


def key_of(document_sha256: str, overrides: Sequence[ScenarioOverride]) -> Key:
    return (document_sha256, *(o.model_dump_json() for o in overrides))


class ParsedConfigs:
    def __init__(self, keep: int = 8) -> None:
        self._keep = keep
        self._kept: OrderedDict[Key, Prepared] = OrderedDict()

    def get(self, key: Key) -> Prepared | None:
        found = self._kept.get(key)
        if found is not None:
            self._kept.move_to_end(key)
        return found

    def keep(self, key: Key, prepared: Prepared) -> Prepared:
        self._kept[key] = prepared
        self._kept.move_to_end(key)
        while len(self._kept) > self._keep:
            self._kept.popitem(last=False)
        return prepared
