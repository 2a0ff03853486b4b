"""The AsyncAPI document the gateway serves: ``contracts/asyncapi.json``, the published contract
generated from every service's own broker (``make schemas``, ``scpln.asyncapi``), with this
deployment's NATS server in place of the placeholder (its first server, without credentials)."""

import json
from typing import Any

from contracts.schema_gen import ASYNCAPI_FILE
from runtime.bus import public_url


def served_document(nats_url: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(ASYNCAPI_FILE.read_text())
    document["servers"]["development"]["host"] = public_url(nats_url).split("://", 1)[1]
    return document
