"""Config versions: list, import a canonical JSON file or an original planning input set (every
validation error shown), detail."""

import asyncio
import json
from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import Response

from contracts import subjects
from contracts.commands import ConfigImported, ImportConfig
from contracts.queries import ConfigDetail, ConfigsPage, GetConfig, ListConfigs, ListPlans, PlansPage
from services.ui_gateway.api.catalog import input_set_command
from services.ui_gateway.auth.guard import allow
from services.ui_gateway.deps import BusDep, MinSeq, ask, sendable, written_seq
from services.ui_gateway.limits import CONFIG_BODY_MAX
from services.ui_gateway.pages.common import error_text, form_command, redirect, render

router = APIRouter(prefix="/ui/configs", include_in_schema=False)
MAX_UPLOAD = CONFIG_BODY_MAX


async def _list(request: Request, bus: BusDep, min_seq: MinSeq = 0, error: HTTPException | None = None,
                filename: str = "", flash: str = "", form: str = "import-config") -> Response:
    page = await ask(bus, subjects.QRY_CONFIGS_LIST, ListConfigs(min_seq=min_seq), ConfigsPage)
    message, errors = error_text(error.detail) if error else ("", [])
    return render(request, "configs.html", status_code=error.status_code if error else 200, page=page,
                  message=message, errors=errors, filename=filename, flash=flash, failed_form=form)


@router.get("", dependencies=[allow("read")])
async def configs_page(request: Request, bus: BusDep, min_seq: MinSeq = 0, flash: str = "") -> Response:
    return await _list(request, bus, min_seq, flash=flash)


async def _document(upload: UploadFile | None) -> dict:  # type: ignore[type-arg]
    if upload is None or not upload.filename:
        raise HTTPException(422, "choose a canonical JSON file to import")
    data = await upload.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise HTTPException(413, f"larger than {MAX_UPLOAD // 2**20} MiB")
    try:
        document = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise HTTPException(422, f"not JSON: {exc}") from exc
    except RecursionError as exc:
        raise HTTPException(422, "nested too deeply to be a canonical document") from exc
    if not isinstance(document, dict):
        raise HTTPException(422, f"a JSON {type(document).__name__}, not an object")
    return document


@router.post("", dependencies=[allow("configs.import")])
async def import_config(request: Request, bus: BusDep, file: Annotated[UploadFile | None, File()] = None) -> Response:
    filename = file.filename if file else ""
    try:
        command = await sendable(bus, form_command(ImportConfig, document=await _document(file)))
        imported = await ask(bus, subjects.CMD_CONFIG_IMPORT, command, ConfigImported)
    except HTTPException as exc:
        return await _list(request, bus, error=exc, filename=filename or "")
    what = "imported as a new version" if imported.created else "already a version (identical content)"
    return redirect(f"/ui/configs/{imported.config_version_id}", min_seq=await written_seq(bus),
                    flash=f"{filename}: {what}.")


@router.post("/input-sets", dependencies=[allow("configs.import")])
async def import_input_set(request: Request, bus: BusDep, files: Annotated[list[UploadFile] | None, File()] = None,
                           name: Annotated[str, Form()] = "") -> Response:
    """The files of an original planning input set (several at once, or one zip) → a config version."""
    filename = ", ".join(f.filename or "" for f in files or [] if f.filename)
    try:
        command = await input_set_command(bus, files or [], name.strip() or None, None)
        imported = await ask(bus, subjects.CMD_CONFIG_IMPORT, command, ConfigImported)
    except HTTPException as exc:
        return await _list(request, bus, error=exc, filename=filename, form="import-input-set")
    what = "imported as a new version" if imported.created else "already a version (identical content)"
    return redirect(f"/ui/configs/{imported.config_version_id}", min_seq=await written_seq(bus),
                    flash=f"Input set ({filename}): {what}.")


@router.get("/{config_version_id}", dependencies=[allow("read")])
async def config_page(request: Request, config_version_id: str, bus: BusDep, min_seq: MinSeq = 0,
                      flash: str = "") -> Response:
    detail, plans = await asyncio.gather(
        ask(bus, subjects.QRY_CONFIG_GET, GetConfig(config_version_id=config_version_id, min_seq=min_seq), ConfigDetail),
        ask(bus, subjects.QRY_PLANS_LIST, ListPlans(config_version_id=config_version_id, limit=20), PlansPage),
    )
    return render(request, "config.html", c=detail.config, plans=plans, flash=flash, imported=detail.imported)
