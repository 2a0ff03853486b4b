"""Complete validation of a canonical-1.0 document: every problem at once, each with a code and a JSON path.

Shape errors come from the contract model (code ``schema``); cross-reference errors are checked on the
raw document, so a document with shape errors still gets its reference errors listed in the same answer.
"""

import hashlib
import json
import math
from dataclasses import dataclass, field

from pydantic import ValidationError

from contracts.canonical import CanonicalConfig
from services.plan_service.domain import data_checks
from services.plan_service.domain.issues import Issue
from services.plan_service.domain.network_checks import check_network
from services.plan_service.domain.planning_checks import planning_issues

__all__ = ["Issue", "Validation", "canonical_bytes", "document_sha256", "validate_document"]


@dataclass(frozen=True)
class Validation:
    """``config`` is the parsed document when ``ok`` (no errors), else None. Warnings never block."""

    config: CanonicalConfig | None
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def json_path(location: tuple) -> str:
    return "$" + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in location)


def shape_errors(document: dict) -> tuple[CanonicalConfig | None, list[Issue]]:
    try:
        return CanonicalConfig.model_validate(document), []
    except ValidationError as exc:
        return None, [Issue("schema", json_path(e["loc"]), e["msg"]) for e in exc.errors(include_url=False)]


def reference_issues(document: dict) -> tuple[list[Issue], list[Issue]]:
    horizon, start, errors, warnings = data_checks.horizon_and_start(document)
    for check in (check_network(document), data_checks.demand_issues(document, start, horizon),
                  data_checks.capacity_issues(document, start, horizon), data_checks.hierarchy_issues(document),
                  planning_issues(document, start, horizon)):
        errors += check[0]
        warnings += check[1]
    return errors, warnings


def non_finite_paths(value: object, path: str = "$") -> list[str]:
    if isinstance(value, float):
        return [] if math.isfinite(value) else [path]
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in non_finite_paths(item, f"{path}.{key}")]
    if isinstance(value, list):
        return [p for k, item in enumerate(value) for p in non_finite_paths(item, f"{path}[{k}]")]
    return []


def json_errors(document: dict) -> list[Issue]:
    """NaN and Infinity (which Python's json accepts) cannot be stored as JSON: one error per place."""
    try:
        json.dumps(document, allow_nan=False)
    except ValueError:
        return [Issue("non_finite_number", path, "NaN and Infinity are not JSON numbers")
                for path in non_finite_paths(document)]
    except TypeError as exc:
        return [Issue("schema", "$", f"not a JSON document: {exc}")]
    return []


def validate_document(document: dict) -> Validation:
    """Shape and cross-reference checks of an imported document; all errors and warnings, never the first only."""
    if not isinstance(document, dict):
        return Validation(None, [Issue("schema", "$", "the document must be a JSON object")])
    config, errors = shape_errors(document)
    errors += json_errors(document)
    reference_errors, warnings = reference_issues(document)
    errors += reference_errors
    return Validation(config if not errors else None, errors, warnings)


def canonical_bytes(document: dict) -> bytes:
    """Deterministic JSON of a document (sorted keys, no spaces, UTF-8): equal content, equal bytes."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def document_sha256(document: dict) -> str:
    return hashlib.sha256(canonical_bytes(document)).hexdigest()
