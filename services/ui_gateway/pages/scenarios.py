"""Scenarios: list with lock state, create, edit, lock/unlock, archive; the retired scenario-run path."""

import asyncio
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import Response

from contracts import subjects
from contracts.commands import CreateScenario, ScenarioAccepted, ScenarioAction, UpdateScenario
from contracts.queries import GetScenario, ListPlans, ListScenarios, PlansPage, ScenarioDetail, ScenariosPage
from services.ui_gateway.auth.guard import Actor, allow
from services.ui_gateway.deps import BusDep, MinSeq, ask, written_seq
from services.ui_gateway.pages.common import error_text, form_command, redirect, render
from services.ui_gateway.pages.overrides_view import (
    FIELD_TYPES,
    FORM_FIELDS,
    TYPE_HELP,
    as_json,
    digest,
    inherited_counts,
)

router = APIRouter(prefix="/ui/scenarios", include_in_schema=False)
ACTIONS = {"lock": subjects.CMD_SCENARIO_LOCK, "unlock": subjects.CMD_SCENARIO_UNLOCK,
           "archive": subjects.CMD_SCENARIO_ARCHIVE, "unarchive": subjects.CMD_SCENARIO_UNARCHIVE}
DONE = {"lock": "locked", "unlock": "unlocked", "archive": "archived", "unarchive": "brought back from the archive"}


async def _list(request: Request, bus: BusDep, min_seq: MinSeq = 0, form: dict[str, str] | None = None,
                error: HTTPException | None = None, flash: str = "") -> Response:
    page = await ask(bus, subjects.QRY_SCENARIOS_LIST, ListScenarios(min_seq=min_seq), ScenariosPage)
    message, errors = error_text(error.detail) if error else ("", [])
    return render(request, "scenarios.html", status_code=error.status_code if error else 200,
                  scenarios=page.scenarios, form=form or {}, message=message, errors=errors, flash=flash,
                  inherited=inherited_counts(page.scenarios))


@router.get("", dependencies=[allow("read")])
async def scenarios_page(request: Request, bus: BusDep, min_seq: MinSeq = 0, flash: str = "") -> Response:
    return await _list(request, bus, min_seq, flash=flash)


@router.post("", dependencies=[allow("scenarios.write")])
async def create_scenario(request: Request, bus: BusDep, name: Annotated[str, Form()] = "",
                          description: Annotated[str, Form()] = "", tag: Annotated[str, Form()] = "",
                          parent_id: Annotated[str, Form()] = "") -> Response:
    form = {"name": name, "description": description, "tag": tag, "parent_id": parent_id}
    try:
        if not name.strip():
            raise HTTPException(422, "a scenario needs a name")
        command = form_command(CreateScenario, name=name, description=description, tag=tag, parent_id=parent_id or None)
        accepted = await ask(bus, subjects.CMD_SCENARIO_CREATE, command, ScenarioAccepted)
    except HTTPException as exc:
        return await _list(request, bus, form=form, error=exc)
    return redirect(f"/ui/scenarios/{accepted.scenario_id}", min_seq=await written_seq(bus), flash="Scenario created.")


@router.get("/{scenario_id}", dependencies=[allow("read")])
async def scenario_page(request: Request, scenario_id: str, bus: BusDep, min_seq: MinSeq = 0, flash: str = "") -> Response:
    return await _scenario(request, bus, scenario_id, min_seq, flash=flash)


async def scenario_page_with(request: Request, bus: BusDep, scenario_id: str, *, overrides_form: dict[str, str],
                             overrides_error: HTTPException) -> Response:
    """The scenario's page after a refused change of its what-ifs: what was typed and why."""
    return await _scenario(request, bus, scenario_id, overrides_form=overrides_form, overrides_error=overrides_error)


async def _scenario(request: Request, bus: BusDep, scenario_id: str, min_seq: int = 0, *, flash: str = "",
                    form: dict[str, str] | None = None, error: HTTPException | None = None,
                    overrides_form: dict[str, str] | None = None, overrides_error: HTTPException | None = None,
                    ) -> Response:
    """The scenario's page; after a refused edit, with what was typed and why it was refused."""
    detail, plans, others = await asyncio.gather(
        ask(bus, subjects.QRY_SCENARIO_GET, GetScenario(scenario_id=scenario_id, min_seq=min_seq), ScenarioDetail),
        ask(bus, subjects.QRY_PLANS_LIST, ListPlans(base_scenario_id=scenario_id, limit=20), PlansPage),
        ask(bus, subjects.QRY_SCENARIOS_LIST, ListScenarios(), ScenariosPage),
    )
    message, errors = error_text(error.detail) if error else ("", [])
    s = detail.scenario
    typed = form or {"name": s.name, "description": s.description, "tag": s.tag, "parent_id": s.parent_id or ""}
    refused = error or overrides_error
    ov_message, ov_errors = error_text(overrides_error.detail) if overrides_error else ("", [])
    ov_form = {"type": "demand_scale", **{f: "" for f in FORM_FIELDS}, "json": as_json(s.overrides),
               **(overrides_form or {})}
    names = {o.scenario_id: o.name for o in others.scenarios}
    return render(request, "scenario.html", status_code=refused.status_code if refused else 200, s=s, plans=plans,
                  flash=flash, form=typed, message=message, errors=errors,
                  parents=[o for o in others.scenarios if o.scenario_id != scenario_id],
                  inherited=detail.inherited, imported=detail.imported, names=names, ov_form=ov_form, ov_message=ov_message,
                  ov_errors=ov_errors, ov_digest=digest(s.overrides), field_types=FIELD_TYPES, type_help=TYPE_HELP)


@router.post("/{scenario_id}", dependencies=[allow("scenarios.write")])
async def edit_scenario(request: Request, scenario_id: str, bus: BusDep, name: Annotated[str, Form()] = "",
                        description: Annotated[str, Form()] = "", tag: Annotated[str, Form()] = "",
                        parent_id: Annotated[str, Form()] = "") -> Response:
    form = {"name": name, "description": description, "tag": tag, "parent_id": parent_id}
    try:
        if not name.strip():
            raise HTTPException(422, "a scenario needs a name")
        command = form_command(UpdateScenario, scenario_id=scenario_id, name=name, description=description, tag=tag,
                               parent_id=parent_id)  # the whole form: "" is "derived from none"
        await ask(bus, subjects.CMD_SCENARIO_UPDATE, command, ScenarioAccepted)
    except HTTPException as exc:
        if exc.status_code not in (409, 422):
            raise
        return await _scenario(request, bus, scenario_id, form=form, error=exc)
    return redirect(f"/ui/scenarios/{scenario_id}", min_seq=await written_seq(bus), flash="Scenario saved.")


@router.api_route("/{scenario_id}/run", methods=["GET", "POST"], dependencies=[allow("read")])
async def retired_run(request: Request, scenario_id: str) -> Response:
    """The legacy path: runs come from plans now. 403 with a page that leads to the Plan UI."""
    return render(request, "retired.html", status_code=403, scenario_id=scenario_id)


async def _act(action: str, scenario_id: str, bus: BusDep, actor: Actor, back: str) -> Response:
    await ask(bus, ACTIONS[action], ScenarioAction(scenario_id=scenario_id, by=actor.username), ScenarioAccepted)
    target = back if back.startswith("/ui/") else f"/ui/scenarios/{scenario_id}"
    return redirect(target, min_seq=await written_seq(bus), flash=f"Scenario {scenario_id} {DONE[action]}.")


@router.post("/{scenario_id}/lock", dependencies=[allow("scenarios.lock")])
async def lock(scenario_id: str, bus: BusDep, actor: Actor, back: Annotated[str, Form()] = "") -> Response:
    return await _act("lock", scenario_id, bus, actor, back)


@router.post("/{scenario_id}/unlock", dependencies=[allow("scenarios.lock")])
async def unlock(scenario_id: str, bus: BusDep, actor: Actor, back: Annotated[str, Form()] = "") -> Response:
    return await _act("unlock", scenario_id, bus, actor, back)


@router.post("/{scenario_id}/archive", dependencies=[allow("scenarios.archive")])
async def archive(scenario_id: str, bus: BusDep, actor: Actor, back: Annotated[str, Form()] = "") -> Response:
    return await _act("archive", scenario_id, bus, actor, back)


@router.post("/{scenario_id}/unarchive", dependencies=[allow("scenarios.archive")])
async def unarchive(scenario_id: str, bus: BusDep, actor: Actor, back: Annotated[str, Form()] = "") -> Response:
    return await _act("unarchive", scenario_id, bus, actor, back)
