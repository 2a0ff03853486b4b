"""What an error may echo back of a request: anything, made encodable and short.

JSON carries text UTF-8 cannot (a lone surrogate such as ``"\\ud800"``), so an error that
repeated it verbatim could not itself be encoded, and a page or a 422 became a 500. Echoed
text keeps such characters as their escape (``\\ud800``), and an echoed input is cut short:
a 1 MiB body is not sent back in its own 422.
"""

import json
from typing import Any

INPUT_TEXT_MAX = 200
"""Characters of an echoed text input shown."""
INPUT_JSON_MAX = 1000
"""Characters of an echoed object or list input (as JSON) shown; a larger one is summarised."""


DEPTH_MAX = 32
"""Levels of an echoed object shown; deeper ones are summarised."""


def encodable(value: Any, depth: int = 0) -> Any:
    """``value`` with every text (keys included) encodable as UTF-8, at most ``DEPTH_MAX`` deep."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict | list | tuple) and depth >= DEPTH_MAX:
        return "(nested deeper, not shown)"
    if isinstance(value, dict):
        return {encodable(key): encodable(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [encodable(item, depth + 1) for item in value]
    return value


def shown_input(value: Any) -> Any:
    """A request's value as a validation error shows it: encodable, and short."""
    if isinstance(value, str):
        cut = value if len(value) <= INPUT_TEXT_MAX else f"{value[:INPUT_TEXT_MAX]}… ({len(value)} characters)"
        return encodable(cut)
    clean = encodable(value)
    if isinstance(clean, dict | list) and len(json.dumps(clean, default=str)) > INPUT_JSON_MAX:
        return f"(a JSON {'object' if isinstance(clean, dict) else 'array'} of {len(clean)} entries, not shown)"
    return clean


def shown_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validation errors as a 422 echoes them (``input`` shortened, all text encodable)."""
    return [encodable({**error, "input": shown_input(error["input"])} if "input" in error else error)
            for error in errors]
