"""A scenario's overrides applied to a config: pure functions, no I/O.

``effective_document(document, overrides)`` applies them in order to a canonical document and says
what each one changed; ``apply_overrides(config, overrides)`` does the same to a parsed config. Each
override reads the config as the ones before it left it. Applied to the stored document, no override
leaves its bytes as they were, so a plan without overrides has the config version's own digest.
"""

import copy
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from contracts.buckets import BucketError
from contracts.canonical import CanonicalConfig
from contracts.overrides import Override
from services.plan_service.domain.overrides.capacity import capacity_scale
from services.plan_service.domain.overrides.demand import demand_scale, demand_shift
from services.plan_service.domain.overrides.money import cost_change, price_change
from services.plan_service.domain.overrides.network import lead_time_change, opening_inventory
from services.plan_service.domain.overrides.scope import Outcome, OverrideError, Scope, check_codes
from services.plan_service.domain.validation import canonical_bytes

__all__ = ["Effective", "Outcome", "OverrideError", "apply_overrides", "effective_document"]

STEPS: dict[str, Callable[[dict, Any, Scope], Outcome]] = {
    "demand_scale": demand_scale, "demand_shift": demand_shift, "capacity_scale": capacity_scale,
    "lead_time_change": lead_time_change, "price_change": price_change, "cost_change": cost_change,
    "opening_inventory": opening_inventory,
}


@dataclass(frozen=True)
class Effective:
    document: dict
    """The canonical document after the overrides."""
    config: CanonicalConfig
    outcomes: list[Outcome]
    """What each override did, in order."""

    @property
    def data(self) -> bytes:
        return canonical_bytes(self.document)

    @property
    def sha256(self) -> str:
        """The effective config's digest: sha256 of its canonical JSON."""
        return hashlib.sha256(self.data).hexdigest()


def effective_document(document: dict, overrides: Sequence[Override]) -> Effective:
    """Raises ``OverrideError`` naming the override (its index in ``overrides``) that names something
    the config lacks or would leave it invalid."""
    doc = copy.deepcopy(document)
    config = CanonicalConfig.model_validate(doc)
    outcomes = []
    for index, override in enumerate(overrides):
        scope = Scope.of(config)
        check_codes(override, scope, index)
        try:
            outcomes.append(STEPS[override.type](doc, override, scope))
            config = CanonicalConfig.model_validate(doc)
        except (BucketError, ValidationError) as exc:
            raise OverrideError(index, override.type, f"the config cannot take it: {exc}") from exc
    return Effective(doc, config, outcomes)


def apply_overrides(config: CanonicalConfig, overrides: Sequence[Override]) -> CanonicalConfig:
    """The config with the overrides applied in order."""
    return effective_document(config.model_dump(mode="json", exclude_unset=True), overrides).config
