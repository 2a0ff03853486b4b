"""Identifiers minted by plan_service: short, prefixed, readable in URLs and logs."""

import uuid

NAMESPACE = uuid.UUID("5d1c7a52-3f4e-4c8e-9b5f-0c2a6e1d9a10")


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:16]}"


def config_version_id(sha256: str) -> str:
    """Identical content is one version: the id is a prefix of the document's sha256."""
    return f"cfg_{sha256[:16]}"


def stable_event_id(*parts: str) -> uuid.UUID:
    """An event id derived from what the event is about, so a repeated publish is deduplicated."""
    return uuid.uuid5(NAMESPACE, "/".join(parts))


def requested_plan_id(request_id: str) -> str:
    """The plan a client's ``request_id`` asks for: every replica names it alike, so the log
    stores one plan request per request_id (the plan's facts are checked by their subject)."""
    return f"plan_{uuid.uuid5(NAMESPACE, 'plan-request/' + request_id).hex[:16]}"
