"""The effective configs of the plans made lately, read, checked and stored once.

A config version's document never changes, nor what a scenario's overrides make of it: the plans
of one config version with the same overrides plan the same effective config (its config
validated and never changed in place: frozen models, lists read only), with the same warnings.
Kept by the document's digest and the overrides; the last ``keep`` are kept.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING

from contracts.overrides import ScenarioOverride

if TYPE_CHECKING:
    from services.plan_service.effective import EffectiveConfig

Key = tuple[str, ...]


def key_of(document_sha256: str, overrides: Sequence[ScenarioOverride]) -> Key:
    return (document_sha256, *(o.model_dump_json() for o in overrides))


class ParsedConfigs:
    def __init__(self, keep: int = 8) -> None:
        self._keep = keep
        self._kept: OrderedDict[Key, EffectiveConfig] = OrderedDict()

    def get(self, key: Key) -> EffectiveConfig | None:
        found = self._kept.get(key)
        if found is not None:
            self._kept.move_to_end(key)
        return found

    def keep(self, key: Key, effective: EffectiveConfig) -> EffectiveConfig:
        self._kept[key] = effective
        self._kept.move_to_end(key)
        while len(self._kept) > self._keep:
            self._kept.popitem(last=False)
        return effective
