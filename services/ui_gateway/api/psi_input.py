"""The PSI bodies the original scpln took, read into plan_service's commands: ``PATCH /plans/{id}/psi``
``{level, edits: [{key: {period, family} | {week, sku}, fields: {demand, supply | supply_plan}}], lock,
lock_keys, distribute: {weight_mode, round}, note, no_auto}`` and ``POST …/psi/weights {rows | csv}``.
Anything else is a 422 naming what is wrong."""

import csv
import io
from typing import Annotated, Literal

from fastapi import HTTPException
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from contracts.psi import (
    DERIVED_FIELDS,
    FIELD_OF,
    MEASURE_OF_FIELD,
    LockMode,
    PsiCell,
    PsiDistribution,
    PsiRounding,
    PsiWeight,
    Quantity,
    WeightMode,
    parse_key,
    row_key,
)
from contracts.review import NOTE_MAX, PsiEditCell

Text = Annotated[str, StringConstraints(max_length=NOTE_MAX)]
Label = Annotated[str, StringConstraints(min_length=1, max_length=500)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EditIn(_Body):
    key: dict[Literal["period", "family", "week", "sku"], Label] = Field(
        description="The row: {period, family} (aggregate) or {week, sku} (det).")
    fields: dict[str, Quantity | None] = Field(description=(
        "New values: demand and supply (aggregate), demand and supply_plan (det); null: back to the pipeline's."))


class RoundIn(_Body):
    step: float = Field(ge=1e-6, le=1e12, allow_inf_nan=False)
    mode: Literal["nearest", "floor", "ceil"] = "nearest"


class DistributeIn(_Body):
    weight_mode: WeightMode = "current"
    round: RoundIn | dict[str, RoundIn] | None = Field(default=None, description=(
        "One rounding for every field, or one per field ({\"supply\": {\"step\": 1, \"mode\": \"nearest\"}})."))


class NoteIn(_Body):
    note: Text | None = None
    notes: Text | None = None
    reason: Text | None = None

    @property
    def text(self) -> str:
        return (self.note or self.notes or self.reason or "").strip()


class PatchIn(NoteIn):
    level: Literal["aggregate", "det", "detail"] = "aggregate"
    edits: list[EditIn] = Field(default_factory=list, max_length=20_000)
    lock: LockMode | None = None
    lock_keys: list[Label] = Field(default_factory=list, max_length=20_000)
    distribute: DistributeIn | None = None
    no_auto: bool = Field(default=False, description="Leave the other level as it is (until a reconcile).")


class ReconcileIn(NoteIn):
    round: RoundIn | dict[str, RoundIn] | None = None
    family: Label | None = None
    tol_abs: float | None = Field(default=None, description="Accepted for the original's scripts; levels agree exactly.")
    tol_rel: float | None = Field(default=None, description="Accepted for the original's scripts; levels agree exactly.")


class WeightRowIn(_Body):
    key: Label
    weight: float = Field(ge=0, le=1e12, allow_inf_nan=False)


class WeightsIn(NoteIn):
    rows: list[WeightRowIn] | None = Field(default=None, max_length=100_000)
    csv: Annotated[str, StringConstraints(max_length=5_000_000)] | None = None


class TransitionIn(NoteIn):
    auto_reconcile: bool = Field(default=False, description="Not supported: reconcile before submitting.")


def level_of(text: str) -> Literal["aggregate", "det"]:
    return "det" if text in ("det", "detail") else "aggregate"


def edit_cells(level: str, edits: list[EditIn]) -> list[PsiEditCell]:
    names = ("period", "family") if level == "aggregate" else ("week", "sku")
    cells = []
    for n, edit in enumerate(edits):
        if any(k not in edit.key for k in names):
            raise HTTPException(422, f"edits[{n}].key names the row by {' and '.join(names)} at the {level} level")
        for field, value in edit.fields.items():
            measure = _measure(level, field, f"edits[{n}].fields.{field}")
            cells.append(PsiEditCell(level=level, period=edit.key[names[0]], key=edit.key[names[1]],  # type: ignore[arg-type]
                                     measure=measure, value=value))
    return cells


def _measure(level: str, field: str, where: str) -> Literal["demand", "supply"]:
    if field in DERIVED_FIELDS:
        raise HTTPException(422, f"{where}: {field} follows from demand and supply and cannot be set")
    measure = MEASURE_OF_FIELD.get(field)
    if measure is None:
        settable = ", ".join(sorted({FIELD_OF[(level, m)] for m in ("demand", "supply")}))
        raise HTTPException(422, f"{where}: no field {field!r} at the {level} level (settable: {settable})")
    return measure


def cells_of_keys(keys: list[str]) -> list[PsiCell]:
    cells = []
    for n, text in enumerate(keys):
        try:
            level, period, key, measure = parse_key(text)
        except ValueError as bad:
            raise HTTPException(422, f"lock_keys[{n}]: {bad}") from None
        cells += [PsiCell(level=level, period=period, key=key, measure=m)
                  for m in ((measure,) if measure else ("demand", "supply"))]
    return cells


def rounding(given: RoundIn | dict[str, RoundIn] | None) -> dict[str, PsiRounding]:
    if given is None:
        return {}
    if isinstance(given, RoundIn):
        return {m: PsiRounding(step=given.step, mode=given.mode) for m in ("demand", "supply")}
    return {_measure("det", field, f"round.{field}"): PsiRounding(step=r.step, mode=r.mode) for field, r in given.items()}


def distribution(given: DistributeIn | None) -> PsiDistribution:
    if given is None:
        return PsiDistribution()
    return PsiDistribution(weight_mode=given.weight_mode, rounding=rounding(given.round))  # type: ignore[arg-type]


def weights(body: WeightsIn) -> list[PsiWeight]:
    """Rows given, or a CSV with a header: key,weight (or week,sku,weight)."""
    if body.rows is not None:
        return [PsiWeight(key=r.key, weight=r.weight) for r in body.rows]
    if body.csv is None:
        raise HTTPException(422, "give rows [{key, weight}] or csv (key,weight or week,sku,weight)")
    found = []
    for n, row in enumerate(csv.DictReader(io.StringIO(body.csv)), start=2):
        key = row.get("key") or (row_key("det", row["week"], row["sku"]) if row.get("week") and row.get("sku") else "")
        try:
            found.append(PsiWeight(key=key, weight=float(row.get("weight") or "")))
        except ValueError as bad:
            raise HTTPException(422, f"csv line {n}: a key (or week and sku) and a weight ≥ 0 ({bad})") from None
    if not found:
        raise HTTPException(422, "the csv holds no weights")
    return found
