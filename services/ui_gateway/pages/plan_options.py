"""The plan form's options: one field per ``PlanOptions`` field, with its meaning, read from
the model, so the form offers exactly what the pipeline reads."""

from dataclasses import dataclass
from typing import Any, Literal, get_args, get_origin

from annotated_types import Ge, Le
from starlette.datastructures import FormData

from contracts.plan_options import PlanOptions
from services.ui_gateway.pages.common import form_command


@dataclass(frozen=True)
class OptionInput:
    name: str
    kind: str
    """``number``, ``checkbox`` or ``select``."""
    description: str
    default: Any
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] = ()
    """The values a ``select`` offers."""


def _input(name: str) -> OptionInput:
    field = PlanOptions.model_fields[name]
    if field.annotation is bool:
        return OptionInput(name, "checkbox", field.description or "", field.default)
    if get_origin(field.annotation) is Literal:
        return OptionInput(name, "select", field.description or "", field.default, choices=get_args(field.annotation))
    lower = next((m.ge for m in field.metadata if isinstance(m, Ge)), None)
    upper = next((m.le for m in field.metadata if isinstance(m, Le)), None)
    return OptionInput(name, "number", field.description or "", field.default, lower, upper)  # type: ignore[arg-type]


OPTION_INPUTS = tuple(_input(name) for name in PlanOptions.model_fields)


def form_options(form: FormData) -> dict[str, str]:
    """What the form sent for each option: a number as typed (left empty: its default), a
    checkbox ticked ("true") or not (left out: its default), the choice selected."""
    sent = {o.name: str(form.get(o.name, "")).strip() for o in OPTION_INPUTS}
    return {name: value for name, value in sent.items() if value}


def plan_options(sent: dict[str, str]) -> PlanOptions:
    """The options the form stands for; 422 naming each option that does not validate."""
    return form_command(PlanOptions, **sent)
