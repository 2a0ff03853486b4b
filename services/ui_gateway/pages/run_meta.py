"""A run's governance on the pages: the run history's filters (approved, baseline, archived,
tag), the run page's buttons and forms (each for the roles that may use it), and the "latest of
each scenario vs its baseline" preset of the compare page."""

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException
from fastapi.responses import RedirectResponse, Response

from contracts import subjects
from contracts.commands import RunMetaAction
from contracts.queries import BaselinesPage, GetRunMeta, ListBaselines, RunMeta, RunMetas
from services.ui_gateway.api.run_meta import change
from services.ui_gateway.auth.guard import Actor, allow
from services.ui_gateway.bus import Bus
from services.ui_gateway.deps import BusDep, ask
from services.ui_gateway.pages.common import redirect

router = APIRouter(prefix="/ui/runs", include_in_schema=False)
META_FILTERS = ("approved", "baseline", "archived", "tag", "origin", "legacy_source", "legacy_scenario_id",
                "legacy_config_version_id")
_YES_NO = {"yes": True, "no": False}


def meta_filters(params: dict[str, str]) -> dict[str, Any]:
    """The run history URL's governance filters as the registry query takes them."""
    values: dict[str, Any] = {}
    for name in ("approved", "baseline"):
        if (given := params.get(name, "")) in _YES_NO:
            values[name] = _YES_NO[given]
        elif given:
            raise HTTPException(422, f"{name} is yes or no, not {given!r}")
    if archived := params.get("archived", ""):
        values["archived"] = archived
    if tag := params.get("tag", "").strip():
        values["tag"] = tag
    for name in ("origin", "legacy_source", "legacy_scenario_id", "legacy_config_version_id"):
        if given := params.get(name, "").strip():
            values[name] = given
    return values


async def run_meta_of(bus: Bus, run_id: str) -> RunMeta:
    found = await ask(bus, subjects.QRY_RUN_META, GetRunMeta(run_ids=[run_id], must_exist=False), RunMetas)
    return found.metas[run_id]


async def _done(bus: Bus, run_id: str, action: RunMetaAction, actor: Actor, flash: str, **values: Any) -> Response:
    done = await change(bus, run_id, action, actor, **values)
    said = flash if done.recorded_seq is not None else "Nothing to change: the run already was so."
    return redirect(f"/ui/runs/{run_id}", min_seq=done.recorded_seq, flash=said)


@router.post("/{run_id}/approve", dependencies=[allow("runs.approve")])
async def approve(run_id: str, bus: BusDep, actor: Actor) -> Response:
    return await _done(bus, run_id, "approve", actor, "Run approved.")


@router.post("/{run_id}/promote-baseline", dependencies=[allow("runs.approve")])
async def promote(run_id: str, bus: BusDep, actor: Actor) -> Response:
    return await _done(bus, run_id, "promote_baseline", actor, "The run is its scenario's baseline now.")


@router.post("/{run_id}/archive", dependencies=[allow("runs.archive")])
async def archive(run_id: str, bus: BusDep, actor: Actor) -> Response:
    return await _done(bus, run_id, "archive", actor, "Run archived: the run history hides it unless asked for.")


@router.post("/{run_id}/unarchive", dependencies=[allow("runs.archive")])
async def unarchive(run_id: str, bus: BusDep, actor: Actor) -> Response:
    return await _done(bus, run_id, "unarchive", actor, "Run shown in the run history again.")


@router.post("/{run_id}/note", dependencies=[allow("runs.note")])
async def note(run_id: str, bus: BusDep, actor: Actor, note: Annotated[str, Form(max_length=20_000)] = "") -> Response:
    if not note.strip():
        raise HTTPException(422, "write the note first")
    return await _done(bus, run_id, "note", actor, "Note added.", note=note)


@router.post("/{run_id}/tags", dependencies=[allow("runs.tag")])
async def tags(run_id: str, bus: BusDep, actor: Actor, add: Annotated[str, Form(max_length=2000)] = "",
               remove: Annotated[list[str], Form()] = []) -> Response:  # noqa: B006
    """``add``: tags separated by commas; ``remove``: the tags ticked off."""
    added = [t.strip() for t in add.split(",") if t.strip()]
    if not (added or remove):
        raise HTTPException(422, "name a tag to add, or tick one to remove")
    return await _done(bus, run_id, "tags", actor, "Tags changed.", add=added, remove=remove)


@router.get("/compare/baseline", dependencies=[allow("read")])
async def latest_vs_baseline(bus: BusDep) -> Response:
    """The compare page with the latest succeeded run of each scenario that has a baseline,
    each against its baseline (the original's compare preset)."""
    found = await ask(bus, subjects.QRY_BASELINES, ListBaselines(), BaselinesPage)
    latest = [b.latest_run_id for b in found.baselines if b.latest_run_id]
    if not latest:
        raise HTTPException(404, "no scenario has a baseline yet: promote a run to its scenario's baseline first "
                                 "(on the run's page)")
    query = urlencode([("base", "baseline"), *(("run_id", run_id) for run_id in dict.fromkeys(latest))])
    return RedirectResponse(f"/ui/runs/compare?{query}", status_code=303)
