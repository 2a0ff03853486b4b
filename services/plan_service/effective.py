"""A plan's effective config: its config version's document with its scenario's overrides applied.

The effective document is kept in the configs bucket under its own digest
(``effective/<sha256>.json``), so the simulator runs what the plan planned, and a plan without
overrides (or whose overrides changed nothing) points to the config version's own document.
"""

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass

from contracts import subjects
from contracts.canonical import CanonicalConfig
from contracts.events import ArtifactRef, RunWarning
from contracts.overrides import AppliedOverride, ConfigChange, ScenarioOverride
from services.plan_service.domain.overrides import Effective, OverrideError, effective_document
from services.plan_service.domain.overrides.diff import config_changes
from services.plan_service.domain.pipeline import PipelineError
from services.plan_service.parsed_configs import key_of
from services.plan_service.ports import Ports
from services.plan_service.replications import plan_warnings
from services.plan_service.state import ConfigVersion


@dataclass(frozen=True)
class EffectiveConfig:
    config: CanonicalConfig
    document: ArtifactRef
    sha256: str
    applied: list[AppliedOverride]
    changes: list[ConfigChange]
    warnings: list[RunWarning]
    """What the plan's runs are warned of (``replications.plan_warnings``)."""


async def effective_config(ports: Ports, version: ConfigVersion, overrides: Sequence[ScenarioOverride]) -> EffectiveConfig:
    """Raises ``PipelineError`` (step "overrides") naming an override the config cannot take: its
    scenario and its index among that scenario's own overrides. Read, checked, applied and stored
    once for the plans of one config version with the same overrides (``ports.parsed_configs``:
    the stored document is named by its digest and never removed)."""
    key = key_of(version.sha256, overrides)
    return ports.parsed_configs.get(key) or ports.parsed_configs.keep(key, await _effective(ports, version, overrides))


async def _effective(ports: Ports, version: ConfigVersion, overrides: Sequence[ScenarioOverride]) -> EffectiveConfig:
    document = json.loads(await ports.objects.get(version.document.bucket, version.document.key))
    if not overrides:
        config = await asyncio.to_thread(CanonicalConfig.model_validate, document)
        return EffectiveConfig(config, version.document, version.sha256, [], [],
                               await asyncio.to_thread(plan_warnings, config))
    try:
        effective = await asyncio.to_thread(effective_document, document, [o.override for o in overrides])
    except OverrideError as exc:
        raise PipelineError("overrides", _named(exc, overrides)) from exc
    changes = await asyncio.to_thread(config_changes, CanonicalConfig.model_validate(document), effective.config)
    digest = effective.sha256
    ref = version.document if digest == version.sha256 else await ports.objects.put(
        "config", subjects.CONFIGS_BUCKET, f"effective/{digest}.json", effective.data)
    return EffectiveConfig(effective.config, ref, digest, _applied(effective, overrides), changes,
                           await asyncio.to_thread(plan_warnings, effective.config))


def _applied(effective: Effective, overrides: Sequence[ScenarioOverride]) -> list[AppliedOverride]:
    return [AppliedOverride(scenario_id=o.scenario_id, override=o.override, changed=outcome.changed, note=outcome.note)
            for o, outcome in zip(overrides, effective.outcomes, strict=True)]


def _named(exc: OverrideError, overrides: Sequence[ScenarioOverride]) -> str:
    owner = overrides[exc.index].scenario_id
    own_index = sum(1 for o in overrides[:exc.index] if o.scenario_id == owner)
    return f"overrides[{own_index}] of scenario {owner} ({exc.kind}): {exc.message}"
