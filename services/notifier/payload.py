"""What a receiver gets: the event a message of the log holds, the JSON body of one delivery, its
headers and its signature (pure)."""

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from contracts.envelope import Envelope
from contracts.events import decode
from contracts.notifications import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER
from runtime.logs import first_line

_ACTOR_FIELDS = ("approved_by", "promoted_by", "archived_by", "unarchived_by", "author", "by", "submitted_by",
                 "rejected_by")


@dataclass(frozen=True)
class Undecodable:
    """A message of the log that is no JSON object (a poison message): there is nothing to send."""

    reason: str


Fact = Envelope | dict[str, Any] | Undecodable
"""An event of the log as the notifier reads it: one this code knows (read by the contracts, old
schema versions brought up to date), one it does not know (a newer producer's: as stored), or
nothing it can send."""


def read(data: bytes, subject: str) -> Fact:
    """The fact a message of the log holds (``Fact``)."""
    try:
        return decode(data, subject)
    except ValueError:
        pass
    try:
        raw = json.loads(data)
    except ValueError as exc:
        return Undecodable(f"not JSON: {first_line(exc)}")
    return raw if isinstance(raw, dict) else Undecodable(f"not a JSON object but a {type(raw).__name__}")


def event_fields(fact: Envelope | dict[str, Any]) -> dict[str, Any]:
    """The event as JSON: the contract's fields, or the object as stored."""
    return fact.model_dump(mode="json") if isinstance(fact, Envelope) else fact


def body(name: str, event: dict[str, Any], sequence: int, sent_at: datetime) -> bytes:
    """The original's flat body (``event`` and, where the fact has them, ``run_id`` and ``user``),
    the delivery's id, time and log position, and the whole fact under ``data``. ``timestamp`` is
    inside the signed bytes: a receiver refuses a body much older than its clock."""
    flat: dict[str, Any] = {"event": name}
    for key in ("run_id", "plan_version_id", "scenario_id"):
        if key in event:
            flat[key] = event[key]
    actor = next((event[f] for f in _ACTOR_FIELDS if isinstance(event.get(f), str)), None)
    if actor is not None:
        flat["user"] = actor
    flat |= {"delivery_id": str(event.get("event_id", f"seq-{sequence}")), "timestamp": sent_at.isoformat(),
             "sequence": sequence, "data": event}
    return json.dumps(flat, ensure_ascii=False, separators=(",", ":")).encode()


def signature(secret: str, raw: bytes) -> str:
    """``sha256=<hex HMAC-SHA256 of the raw body>``, the original's header value."""
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def headers(name: str, delivery_id: str, raw: bytes, secret: str) -> dict[str, str]:
    out = {"Content-Type": "application/json", "User-Agent": "scpln-notifier", EVENT_HEADER: name,
           DELIVERY_HEADER: delivery_id}
    if secret:
        out[SIGNATURE_HEADER] = signature(secret, raw)
    return out


def redacted(url: str) -> str:
    """A receiver's URL as pages and logs show it: no user, password, query or fragment."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"
