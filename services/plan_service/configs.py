"""Importing canonical config documents as immutable versions."""

import hashlib
import json
import logging
from typing import Any

from contracts import subjects
from contracts.canonical import CanonicalConfig
from contracts.commands import ConfigImported, ErrorReply, ImportConfig
from contracts.events import ArtifactRef, ConfigVersionCreated
from contracts.input_sets import KEY as INPUT_SET
from contracts.input_sets import InputSetError, is_input_set
from contracts.sourcing import unsourced_components
from runtime.objects import ObjectMissing
from services.plan_service import ids
from services.plan_service.domain.input_set import read_input_set
from services.plan_service.domain.original_format import to_canonical
from services.plan_service.domain.validation import canonical_bytes, validate_document
from services.plan_service.metrics import CONFIGS_IMPORTED
from services.plan_service.ports import PRODUCER, Ports

log = logging.getLogger("plan_service.configs")

LISTED_MAX = 200
"""Validation problems listed one by one in a reply or an event: a large document can have
thousands, and a message on the bus carries at most 1 MiB."""


def listed(issues: list[dict[str, str]], what: str) -> list[dict[str, str]]:
    """The first ``LISTED_MAX`` issues, then one saying how many more there are."""
    if len(issues) <= LISTED_MAX:
        return issues
    more = {"code": f"more_{what}", "path": "$", "message": f"{len(issues) - LISTED_MAX} more {what} not listed"}
    return [*issues[:LISTED_MAX], more]


async def import_config(cmd: ImportConfig, ports: Ports, *, causation_id: str | None = None) -> ConfigImported | ErrorReply:
    """Validate completely; store the document; publish ConfigVersionCreated. Identical content
    (same sha256 of the canonical bytes) answers with the existing version. A staged document
    is read from the object store first. A document in the original scpln's layout is read as
    canonical-1.0 first (domain/original_format.py), and an original planning input set
    (``{"input_set": …}``, contracts/input_sets.py) is turned into one (domain/input_set.py); their
    notes lead the warnings."""
    document = cmd.document if cmd.staged is None else await _staged(cmd.staged, ports)
    if not isinstance(document, ErrorReply) and is_input_set(document):
        document = await _from_input_set(document[INPUT_SET], ports)
    if isinstance(document, ErrorReply):
        CONFIGS_IMPORTED.labels("rejected").inc()
        return document
    document, mapping_notes = document if isinstance(document, tuple) else to_canonical(document)
    validation = validate_document(document)
    if not validation.ok or validation.config is None:
        CONFIGS_IMPORTED.labels("rejected").inc()
        errors = [issue.as_dict() for issue in validation.errors]
        return ErrorReply(error="config_invalid", message=f"{len(errors)} validation error(s)",
                          details=listed(errors, "errors"))
    data = canonical_bytes(document)
    ref_sha = hashlib.sha256(data).hexdigest()
    warnings = mapping_notes + listed([issue.as_dict() for issue in validation.warnings]
                                      + sourcing_warnings(validation.config), "warnings")
    if existing := ports.state.config_by_sha(ref_sha):
        CONFIGS_IMPORTED.labels("existing").inc()
        return ConfigImported(config_version_id=existing.config_version_id, sha256=ref_sha, created=False, warnings=warnings)
    config = validation.config
    version_id = ids.config_version_id(ref_sha)
    ref = await ports.objects.put("config", subjects.CONFIGS_BUCKET, f"{version_id}.json", data)
    counts = {"items": len(config.items), "nodes": len(config.nodes), "arcs": len(config.arcs),
              "bom": len(config.bom), "demands": len(config.demands), "capacities": len(config.capacities)}
    await ports.record(ConfigVersionCreated(
        event_id=ids.stable_event_id("config", version_id), correlation_id=version_id,
        causation_id=causation_id, producer=PRODUCER, config_version_id=version_id, name=config.meta.name,
        version_tag=config.meta.version_tag, sha256=ref_sha, document=ref, planning_days=config.planning_days,
        counts=counts, warnings=warnings,
    ))
    CONFIGS_IMPORTED.labels("created").inc()
    return ConfigImported(config_version_id=version_id, sha256=ref_sha, created=True, warnings=warnings)


def sourcing_warnings(config: CanonicalConfig) -> list[dict[str, str]]:
    """``component_without_source``: a component a node's production consumes that nothing
    replenishes and whose opening stock does not cover the horizon (contracts.sourcing)."""
    index = {node.code: k for k, node in enumerate(config.nodes)}
    try:
        found = unsourced_components(config)
    except Exception:  # a warning's check never refuses an import
        log.warning("the sourcing check could not read config %s", config.meta.name, exc_info=True)
        return []
    return [{"code": w.code, "path": f"$.nodes[{index.get(w.node, 0)}].production_policies", "message": w.message,
             "node": w.node, "item": w.item} for w in found]


async def _from_input_set(given: dict[str, Any], ports: Ports) -> tuple[dict[str, Any], list] | ErrorReply:
    """The canonical document of an input set and its notes, laid over the ``base`` config version
    when one is named; ``config_invalid`` with one detail (code ``input_set_invalid``) per file, row and
    column that cannot be read."""
    files = given.get("files")
    if not isinstance(files, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in files.items()):
        return ErrorReply(error="config_invalid", message="an input set's files are {name: text}")
    base = None
    if given.get("base"):
        version = ports.state.configs.get(str(given["base"]))
        if version is None:
            return ErrorReply(error="config_not_found", message=f"no config version {given['base']} to lay the input set over")
        try:
            base = json.loads(await ports.objects.get(version.document.bucket, version.document.key))
        except ObjectMissing:
            return ErrorReply(error="config_invalid", message=f"the document of config version {given['base']} is missing")
        base.setdefault("meta", {})["parent_version_id"] = version.config_version_id
    try:
        return read_input_set(files, given.get("name") or None, base)
    except InputSetError as exc:
        return ErrorReply(error="config_invalid", message=f"the input set cannot be read: {len(exc.problems)} problem(s)",
                          details=listed(exc.problems, "problems"))


async def _staged(ref: ArtifactRef, ports: Ports) -> dict[str, Any] | ErrorReply:
    """The document the gateway staged, checked as a command's document would be."""
    if ref.bucket != subjects.UPLOADS_BUCKET:
        return ErrorReply(error="validation_failed", message=f"documents are staged in {subjects.UPLOADS_BUCKET}, not {ref.bucket}")
    try:
        data = await ports.objects.get(ref.bucket, ref.key)
    except ObjectMissing:
        return ErrorReply(error="validation_failed", message=f"no staged document {ref.bucket}/{ref.key} (uploads are kept a day)")
    if hashlib.sha256(data).hexdigest() != ref.sha256:
        return ErrorReply(error="validation_failed", message=f"the staged document {ref.key} is not the one uploaded")
    try:
        return ImportConfig(document=json.loads(data)).document  # type: ignore[return-value]
    except (ValueError, RecursionError) as exc:
        return ErrorReply(error="config_invalid", message=f"the staged document is no canonical JSON object: {exc}")
