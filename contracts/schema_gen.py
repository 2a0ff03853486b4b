"""Generate the JSON Schema of every event into ``contracts/schemas/`` (``make schemas``).

The checked-in files are the published contract; a test fails when they drift from the models.
"""

import json
from pathlib import Path

from contracts.events import EVENT_TYPES

SCHEMA_DIR = Path(__file__).parent / "schemas"


def event_schemas() -> dict[str, str]:
    """File name → schema text, for every event type."""
    out = {}
    for model in EVENT_TYPES:
        schema = model.model_json_schema(mode="serialization")
        schema["$id"] = f"urn:scpln:event:{model.__name__}"
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        out[f"{model.__name__}.json"] = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    return out


def main() -> None:
    SCHEMA_DIR.mkdir(exist_ok=True)
    for name, text in event_schemas().items():
        (SCHEMA_DIR / name).write_text(text)
    print(f"wrote {len(EVENT_TYPES)} schemas to {SCHEMA_DIR}")


if __name__ == "__main__":
    main()
