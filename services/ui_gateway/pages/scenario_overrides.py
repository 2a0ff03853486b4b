"""A scenario's what-ifs on its page: add one from a form (the fields of its type), remove one, or
edit them all as JSON. Each form carries the digest of the list it was shown; when the scenario's
what-ifs changed since, it is refused (409) rather than applied to a list nobody saw."""

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import Response
from pydantic import ValidationError

from contracts import subjects
from contracts.commands import ScenarioAccepted, UpdateScenario
from contracts.queries import GetScenario, ScenarioDetail
from services.ui_gateway.auth.guard import allow
from services.ui_gateway.deps import BusDep, ask, written_seq
from services.ui_gateway.pages.common import redirect
from services.ui_gateway.pages.overrides_view import ALL, FORM_FIELDS, ONE, digest, from_form, problems
from services.ui_gateway.pages.scenarios import scenario_page_with

router = APIRouter(prefix="/ui/scenarios", include_in_schema=False)


async def _current(bus: BusDep, scenario_id: str, expected: str) -> list[Any]:
    detail = await ask(bus, subjects.QRY_SCENARIO_GET, GetScenario(scenario_id=scenario_id), ScenarioDetail)
    if expected and expected != digest(detail.scenario.overrides):
        raise HTTPException(409, "the scenario's what-ifs changed since this page was shown: look at them again "
                                 "before you change them")
    return list(detail.scenario.overrides)


async def _save(request: Request, bus: BusDep, scenario_id: str, overrides: list[Any], done: str,
                typed: dict[str, str]) -> Response:
    try:
        await ask(bus, subjects.CMD_SCENARIO_UPDATE, UpdateScenario(scenario_id=scenario_id, overrides=overrides),
                  ScenarioAccepted)
    except HTTPException as exc:
        if exc.status_code not in (409, 422):
            raise
        return await scenario_page_with(request, bus, scenario_id, overrides_form=typed, overrides_error=exc)
    return redirect(f"/ui/scenarios/{scenario_id}", min_seq=await written_seq(bus), flash=done)


async def _refused(request: Request, bus: BusDep, scenario_id: str, exc: HTTPException,
                   typed: dict[str, str]) -> Response:
    return await scenario_page_with(request, bus, scenario_id, overrides_form=typed, overrides_error=exc)


@router.post("/{scenario_id}/overrides/add", dependencies=[allow("scenarios.write")])
async def add_override(request: Request, scenario_id: str, bus: BusDep, expected: Annotated[str, Form()] = "") -> Response:
    form = await request.form()
    typed = {f: str(form.get(f, "")) for f in ("type", *FORM_FIELDS)}
    try:
        current = await _current(bus, scenario_id, expected)
        override = ONE.validate_python(from_form(form))
    except ValidationError as exc:
        return await _refused(request, bus, scenario_id, HTTPException(422, detail={
            "message": "the what-if was not added", "errors": problems(exc, "new")}), typed)
    except ValueError as exc:
        return await _refused(request, bus, scenario_id, HTTPException(422, f"the what-if was not added: {exc}"), typed)
    except HTTPException as exc:
        return await _refused(request, bus, scenario_id, exc, typed)
    return await _save(request, bus, scenario_id, [*current, override], "What-if added.", typed)


@router.post("/{scenario_id}/overrides/remove", dependencies=[allow("scenarios.write")])
async def remove_override(request: Request, scenario_id: str, bus: BusDep, index: Annotated[int, Form(ge=0)],
                          expected: Annotated[str, Form()] = "") -> Response:
    try:
        current = await _current(bus, scenario_id, expected)
        if index >= len(current):
            raise HTTPException(409, f"the scenario has no what-if #{index + 1}")
    except HTTPException as exc:
        return await _refused(request, bus, scenario_id, exc, {})
    return await _save(request, bus, scenario_id, current[:index] + current[index + 1:], "What-if removed.", {})


@router.post("/{scenario_id}/overrides", dependencies=[allow("scenarios.write")])
async def replace_overrides(request: Request, scenario_id: str, bus: BusDep, overrides: Annotated[str, Form()] = "[]",
                            expected: Annotated[str, Form()] = "") -> Response:
    """All the what-ifs at once, as the JSON list the textarea holds."""
    typed = {"json": overrides, "json_open": "1"}
    try:
        await _current(bus, scenario_id, expected)
        listed = ALL.validate_json(overrides.strip() or "[]")
    except ValidationError as exc:
        return await _refused(request, bus, scenario_id, HTTPException(422, detail={
            "message": "the what-ifs were not saved", "errors": problems(exc, "overrides")}), typed)
    except HTTPException as exc:
        return await _refused(request, bus, scenario_id, exc, typed)
    return await _save(request, bus, scenario_id, listed, "What-ifs saved.", typed)
