"""How a scenario's what-ifs are shown and read back from its page's forms (shared by the scenario
pages and the routes that change what-ifs)."""

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import TypeAdapter, ValidationError

from contracts.overrides import OVERRIDE_TYPES, Override, Overrides

ONE: TypeAdapter[Override] = TypeAdapter(Override)
ALL: TypeAdapter[list[Override]] = TypeAdapter(Overrides)
FORM_FIELDS = ("factor", "days", "periods", "delta", "quantity", "cost", "item", "family", "node", "region", "from",
               "to", "arc_from", "arc_to")
TYPE_FIELDS: dict[str, tuple[str, ...]] = {
    model.model_fields["type"].annotation.__args__[0]: tuple(  # type: ignore[union-attr]
        f for name, info in model.model_fields.items() if name != "type"
        for f in (("arc_from", "arc_to") if name == "arc" else (info.alias or name,)))
    for model in OVERRIDE_TYPES}
"""The form fields each override type takes (the arc's two ends are two fields)."""
FIELD_TYPES = {field: " ".join(kind for kind, fields in TYPE_FIELDS.items() if field in fields) for field in FORM_FIELDS}
"""Form field → the override types that take it (space-separated, for the page's script)."""
TYPE_HELP = {kind: " ".join((model.__doc__ or "").replace("``", "").split())
             for kind, model in zip(TYPE_FIELDS, OVERRIDE_TYPES, strict=True)}


def digest(overrides: list[Any]) -> str:
    """Of the list a page shows: sent back with a change, it tells whether the list is still that one."""
    return hashlib.sha256(ALL.dump_json(list(overrides))).hexdigest()[:16]


def as_json(overrides: list[Any]) -> str:
    return json.dumps(ALL.dump_python(list(overrides), mode="json", exclude_none=True), indent=2)


def from_form(form: Mapping[str, Any]) -> dict[str, Any]:
    """The override a form describes: its type and the fields of that type that were filled in."""
    kind = str(form.get("type", ""))
    given = {f: str(form.get(f, "")).strip() for f in TYPE_FIELDS.get(kind, ())}
    if kind in TYPE_FIELDS and (stray := [f for f in FORM_FIELDS if f not in given and str(form.get(f, "")).strip()]):
        raise ValueError(f"{kind} takes no {', '.join(stray)}: leave {'it' if len(stray) == 1 else 'them'} empty")
    raw: dict[str, Any] = {"type": kind, **{f: v for f, v in given.items() if v and not f.startswith("arc_")}}
    if given.get("arc_from") or given.get("arc_to"):
        raw["arc"] = {"from_node": given.get("arc_from", ""), "to_node": given.get("arc_to", "")}
    return raw


def problems(exc: ValidationError, prefix: str = "") -> list[dict[str, str]]:
    """Each problem with where it is: ``overrides[1] (demand_scale) factor``."""
    listed = []
    for error in exc.errors(include_url=False):
        loc = list(error["loc"])
        where = f"{prefix}[{loc.pop(0)}]" if prefix and loc and isinstance(loc[0], int) else prefix
        if loc and isinstance(loc[0], str) and loc[0] in TYPE_FIELDS:
            where = f"{where} ({loc.pop(0)})".strip()
        listed.append({"path": " ".join(p for p in (where, ".".join(map(str, loc))) if p) or "overrides",
                       "message": error["msg"].removeprefix("Value error, ")})
    return listed


def inherited_counts(scenarios: Iterable[Any]) -> dict[str, int]:
    """Scenario id → how many what-ifs it inherits from its ancestors."""
    by_id = {s.scenario_id: s for s in scenarios}
    counts = {}
    for scenario_id, scenario in by_id.items():
        seen, parent, count = {scenario_id}, scenario.parent_id, 0
        while parent in by_id and parent not in seen:
            seen.add(parent)
            count += len(by_id[parent].overrides)
            parent = by_id[parent].parent_id
        counts[scenario_id] = count
    return counts
