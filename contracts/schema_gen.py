"""Generate the JSON Schema of every event into ``contracts/schemas/`` (``make schemas``).

The checked-in files are the published contract; a test fails when they drift from the models.
A schema describes an event as it is published: the envelope's fields are always there, and
``schema_version`` is the version that schema describes (a message with another version is
of another schema: a newer one, or an older one that ``contracts.upcast`` brings up to date).
"""

import json
from pathlib import Path
from typing import Any

from contracts.events import EVENT_TYPES
from contracts.results import DailyResults, DailyResultsV2

SCHEMA_DIR = Path(__file__).parent / "schemas"
ASYNCAPI_FILE = Path(__file__).parent / "asyncapi.json"
"""The AsyncAPI document of every service's messages (written by ``scpln.asyncapi``, which reads
the services' wiring; served by the gateway)."""
ALWAYS_PUBLISHED = ("event_id", "event_type", "schema_version", "occurred_at")
"""Envelope fields with a default in the models, which every published event carries."""


def schema_version(model: type) -> int:
    return int(model.model_fields["schema_version"].default)  # type: ignore[attr-defined]


def event_schema(model: type) -> dict[str, Any]:
    """The JSON Schema of one event type as it is published."""
    schema = model.model_json_schema(mode="serialization")  # type: ignore[attr-defined]
    version = schema_version(model)
    schema["required"] = sorted(set(schema.get("required", [])) | set(ALWAYS_PUBLISHED))
    schema["properties"]["schema_version"] = {
        "const": version, "title": "Schema Version",
        "description": f"Version of this event type's schema; this schema is version {version}."}
    schema["$id"] = f"urn:scpln:event:{model.__name__}:v{version}"
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def event_schemas() -> dict[str, str]:
    """File name → schema text, for every event type and the daily results a run points to."""
    out = {f"{model.__name__}.json": _text(event_schema(model)) for model in EVENT_TYPES}
    where = ("(RunCompleted.results points to them: gzip JSON in the object store; GET /runs/{run_id}/results "
             "serves them over HTTP)")
    layouts = {DailyResults: f"The daily results of a run {where}, as the simulator writes them (scpln-results-3).",
               DailyResultsV2: (f"The daily results of a run {where}, laid out by rows (scpln-results-2 and -1): "
                                "still read; the legacy importer writes them.")}
    for model, text in layouts.items():
        results = model.model_json_schema(mode="serialization")
        results["$id"] = f"urn:scpln:results:{model.__name__}"
        results["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        results["description"] = text
        out[f"{model.__name__}.json"] = _text(results)
    return out


def _text(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def main() -> None:
    SCHEMA_DIR.mkdir(exist_ok=True)
    for name, text in event_schemas().items():
        (SCHEMA_DIR / name).write_text(text)
    print(f"wrote {len(EVENT_TYPES)} event schemas and the daily results' (both layouts) to {SCHEMA_DIR}")


if __name__ == "__main__":
    main()
