"""JSON API: scenarios, config versions and jobs (DESIGN §6)."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, File, Form, HTTPException, Query, UploadFile

from contracts import subjects
from contracts.commands import (
    ConfigImported,
    CreateScenario,
    ImportConfig,
    ScenarioAccepted,
    ScenarioAction,
    UpdateScenario,
)
from contracts.input_sets import InputSetError, gather
from contracts.input_sets import document as input_set_document
from contracts.queries import (
    ConfigDetail,
    ConfigsPage,
    GetConfig,
    GetJob,
    GetScenario,
    JobDetail,
    JobsPage,
    ListConfigs,
    ListJobs,
    ListScenarios,
    ScenarioDetail,
    ScenariosPage,
)
from services.ui_gateway.auth.guard import Actor, allow
from services.ui_gateway.deps import BusDep, MinSeq, ask, no_other_actor, sendable, validated

router = APIRouter()


@router.get("/scenarios", response_model=ScenariosPage, tags=["scenarios"], dependencies=[allow("read")])
async def list_scenarios(bus: BusDep, min_seq: MinSeq = 0) -> ScenariosPage:
    return await ask(bus, subjects.QRY_SCENARIOS_LIST, ListScenarios(min_seq=min_seq), ScenariosPage)


@router.post("/scenarios", status_code=201, response_model=ScenarioAccepted, tags=["scenarios"],
             dependencies=[allow("scenarios.write")])
async def create_scenario(body: CreateScenario, bus: BusDep) -> ScenarioAccepted:
    return await ask(bus, subjects.CMD_SCENARIO_CREATE, body, ScenarioAccepted)


@router.get("/scenarios/{scenario_id}", response_model=ScenarioDetail, tags=["scenarios"], dependencies=[allow("read")])
async def get_scenario(scenario_id: str, bus: BusDep, min_seq: MinSeq = 0) -> ScenarioDetail:
    return await ask(bus, subjects.QRY_SCENARIO_GET, GetScenario(scenario_id=scenario_id, min_seq=min_seq), ScenarioDetail)


@router.put("/scenarios/{scenario_id}", response_model=ScenarioAccepted, tags=["scenarios"],
            dependencies=[allow("scenarios.write")])
async def replace_scenario(scenario_id: str, body: CreateScenario, bus: BusDep) -> ScenarioAccepted:
    """Replace the scenario's fields and its overrides with the body's (a field left out takes its
    default: no overrides, no parent). 409 for a locked or archived scenario; a bad override is a
    422 naming it (``overrides``, its index, its type, the field)."""
    command = validated(UpdateScenario, {**body.model_dump(by_alias=True), "scenario_id": scenario_id,
                                         "parent_id": body.parent_id or ""})
    return await ask(bus, subjects.CMD_SCENARIO_UPDATE, command, ScenarioAccepted)


@router.patch("/scenarios/{scenario_id}", response_model=ScenarioAccepted, tags=["scenarios"],
              dependencies=[allow("scenarios.write")])
async def update_scenario(scenario_id: str, bus: BusDep, body: Annotated[dict[str, Any], Body()]) -> ScenarioAccepted:
    """Change the fields given; ``"parent_id": null`` removes the parent (a merge patch).
    409 for a locked or archived scenario."""
    if "parent_id" in body and body["parent_id"] is None:
        body = {**body, "parent_id": ""}
    command = validated(UpdateScenario, {**body, "scenario_id": scenario_id})
    return await ask(bus, subjects.CMD_SCENARIO_UPDATE, command, ScenarioAccepted)


async def _act(bus: BusDep, subject: str, scenario_id: str, actor: Actor, by: str | None) -> ScenarioAccepted:
    no_other_actor(actor, by=by)
    return await ask(bus, subject, ScenarioAction(scenario_id=scenario_id, by=actor.username), ScenarioAccepted)


@router.post("/scenarios/{scenario_id}/lock", response_model=ScenarioAccepted, tags=["scenarios"],
             dependencies=[allow("scenarios.lock")])
async def lock_scenario(scenario_id: str, bus: BusDep, actor: Actor, by: str | None = None) -> ScenarioAccepted:
    """Lock a scenario (no plan is made from it until unlocked), as you; ``by`` naming anyone else is a 422."""
    return await _act(bus, subjects.CMD_SCENARIO_LOCK, scenario_id, actor, by)


@router.post("/scenarios/{scenario_id}/unlock", response_model=ScenarioAccepted, tags=["scenarios"],
             dependencies=[allow("scenarios.lock")])
async def unlock_scenario(scenario_id: str, bus: BusDep, actor: Actor, by: str | None = None) -> ScenarioAccepted:
    return await _act(bus, subjects.CMD_SCENARIO_UNLOCK, scenario_id, actor, by)


@router.post("/scenarios/{scenario_id}/archive", response_model=ScenarioAccepted, tags=["scenarios"],
             dependencies=[allow("scenarios.archive")])
async def archive_scenario(scenario_id: str, bus: BusDep, actor: Actor, by: str | None = None) -> ScenarioAccepted:
    """Retire a scenario: no plan is made from it and it is no longer edited; its plans and
    runs stay. ``/unarchive`` brings it back."""
    return await _act(bus, subjects.CMD_SCENARIO_ARCHIVE, scenario_id, actor, by)


@router.post("/scenarios/{scenario_id}/unarchive", response_model=ScenarioAccepted, tags=["scenarios"],
             dependencies=[allow("scenarios.archive")])
async def unarchive_scenario(scenario_id: str, bus: BusDep, actor: Actor, by: str | None = None) -> ScenarioAccepted:
    """Bring an archived scenario back: plans may be made from it and it may be edited again."""
    return await _act(bus, subjects.CMD_SCENARIO_UNARCHIVE, scenario_id, actor, by)


@router.get("/configs", response_model=ConfigsPage, tags=["configs"], dependencies=[allow("read")])
async def list_configs(query: Annotated[ListConfigs, Query()], bus: BusDep) -> ConfigsPage:
    return await ask(bus, subjects.QRY_CONFIGS_LIST, query, ConfigsPage)


@router.post("/configs", status_code=201, response_model=ConfigImported, tags=["configs"],
             dependencies=[allow("configs.import")])
async def import_config(document: Annotated[dict[str, Any], Body()], bus: BusDep) -> ConfigImported:
    """Import a canonical JSON document; 422 lists every validation error."""
    command = await sendable(bus, validated(ImportConfig, {"document": document}))
    return await ask(bus, subjects.CMD_CONFIG_IMPORT, command, ConfigImported)


async def input_set_command(bus: BusDep, files: list[UploadFile], name: str | None, base: str | None) -> ImportConfig:
    """The import command of the uploaded files of an input set (or a zip of them); 422 naming the
    file (and row) that cannot be read."""
    uploads = [f for f in files if f.filename]
    if not uploads:
        raise HTTPException(422, "choose the files of an input set (or one zip of them)")
    try:
        gathered = gather([(f.filename or "", await f.read()) for f in uploads])
    except InputSetError as exc:
        raise HTTPException(422, detail={"message": "the input set cannot be read", "errors": exc.problems}) from exc
    zips = [f.filename for f in uploads if (f.filename or "").lower().endswith(".zip")]
    if not name and not {"meta.json", "input_set_meta.json"} & set(gathered) and len(zips) == 1:
        name = (zips[0] or "")[:-4]
    return await sendable(bus, validated(ImportConfig, {"document": input_set_document(gathered, name, base)}))


@router.post("/configs/input-sets", status_code=201, response_model=ConfigImported, tags=["configs"],
             dependencies=[allow("configs.import")])
async def import_input_set(bus: BusDep, files: Annotated[list[UploadFile], File()],
                           name: Annotated[str | None, Form()] = None,
                           base: Annotated[str | None, Form()] = None) -> ConfigImported:
    """Turn an original scpln planning input set into a config version: multipart ``files`` (its
    CSV files, ``planning_calendar.json``, ``meta.json``; or one zip of them), ``name`` (default:
    meta.json's label, else the zip's name), ``base`` (a config version to lay it over). 422 lists each problem with
    its file, row and column; nothing is stored then."""
    command = await input_set_command(bus, files, name, base)
    return await ask(bus, subjects.CMD_CONFIG_IMPORT, command, ConfigImported)


@router.get("/configs/{config_version_id}", response_model=ConfigDetail, tags=["configs"], dependencies=[allow("read")])
async def get_config(config_version_id: str, bus: BusDep, min_seq: MinSeq = 0) -> ConfigDetail:
    query = GetConfig(config_version_id=config_version_id, min_seq=min_seq)
    return await ask(bus, subjects.QRY_CONFIG_GET, query, ConfigDetail)


@router.get("/jobs", response_model=JobsPage, tags=["jobs"], dependencies=[allow("read")])
async def list_jobs(query: Annotated[ListJobs, Query()], bus: BusDep) -> JobsPage:
    return await ask(bus, subjects.QRY_JOBS_LIST, query, JobsPage)


@router.get("/jobs/{job_id}", response_model=JobDetail, tags=["jobs"], dependencies=[allow("read")])
async def get_job(job_id: str, bus: BusDep, min_seq: MinSeq = 0) -> JobDetail:
    """The job, its steps (each with its duration) and its messages."""
    return await ask(bus, subjects.QRY_JOB_GET, GetJob(job_id=job_id, min_seq=min_seq, history=True), JobDetail)
