"""JSON API: a run's governance, with the original scpln's routes and answers (its scripts keep
working): approve, promote to the scenario's baseline, archive, unarchive, notes, tags, the meta
of one run or several, a scenario's baseline. The actor is always the signed-in user."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from pydantic import Field

from contracts import subjects
from contracts.commands import ChangeRunMeta, RunMetaAction, RunMetaChanged
from contracts.envelope import Contract
from contracts.queries import BaselinesPage, GetRunMeta, ListBaselines, RunMeta, RunMetas
from contracts.run_meta import NOTE_MAX, TAGS_MAX, Tag
from services.ui_gateway.auth.guard import Actor, allow
from services.ui_gateway.bus import Bus
from services.ui_gateway.deps import BusDep, MinSeq, ask, ask_settled, validated
from services.ui_gateway.markdown import render

router = APIRouter(prefix="/runs", tags=["run governance"])


class NoteBody(Contract):
    """The original's body: ``{"note": "..."}`` (Markdown). Its author is the signed-in user."""

    note: str = Field(min_length=1, max_length=NOTE_MAX, description="The note, in Markdown.")


class TagsBody(Contract):
    add: list[Tag] = Field(default_factory=list, max_length=TAGS_MAX, description="Tags to add.")
    remove: list[Tag] = Field(default_factory=list, max_length=TAGS_MAX, description="Tags to remove.")


def _millis(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp() * 1000)


def legacy_meta(meta: RunMeta) -> dict[str, Any]:
    """The original's meta (``run_id``, ``approved_at`` in epoch milliseconds, ``approved_by``,
    ``baseline`` and ``archived`` as 0/1, ``note``: the latest note), and everything else the
    run's governance holds (notes with their author, time and safe HTML; tags; who and when)."""
    return {
        "run_id": meta.run_id, "approved_at": _millis(meta.approved_at), "approved_by": meta.approved_by,
        "baseline": int(meta.baseline), "archived": int(meta.archived),
        "note": meta.notes[-1].text if meta.notes else None,
        "approved": meta.approved, "scenario_id": meta.scenario_id,
        "baseline_by": meta.baseline_by, "baseline_at": meta.baseline_at,
        "archived_by": meta.archived_by, "archived_at": meta.archived_at, "tags": meta.tags,
        "notes": [{"note_id": n.note_id, "text": n.text, "html": str(render(n.text)), "author": n.author,
                   "created_at": n.created_at} for n in meta.notes],
    }


async def change(bus: Bus, run_id: str, action: RunMetaAction, actor: Actor, **values: Any) -> RunMetaChanged:
    command = validated(ChangeRunMeta, {"run_id": run_id, "action": action, "by": actor.username, **values})
    return await ask_settled(bus, subjects.CMD_RUN_META, command, RunMetaChanged)


@router.get("/meta", dependencies=[allow("read")])
async def runs_meta(bus: BusDep, run_ids: str = "", min_seq: MinSeq = 0) -> dict[str, dict[str, Any]]:
    """Several runs' meta by id (``run_ids=a,b``); a run the history does not hold has an empty one."""
    ids = list(dict.fromkeys(x.strip() for x in run_ids.split(",") if x.strip()))
    if not ids:
        raise HTTPException(400, "run_ids required")
    if len(ids) > 200:
        raise HTTPException(422, "at most 200 run_ids")
    found = await ask(bus, subjects.QRY_RUN_META, GetRunMeta(run_ids=ids, must_exist=False, min_seq=min_seq), RunMetas)
    return {run_id: legacy_meta(meta) for run_id, meta in found.metas.items()}


@router.get("/baseline", dependencies=[allow("read")])
async def baseline(bus: BusDep, scenario_id: Annotated[str, Query(min_length=1)], min_seq: MinSeq = 0) -> dict[str, Any]:
    """The scenario's baseline run: ``{"run_id": ...}`` (null when it has none), who promoted it and when."""
    found = await ask(bus, subjects.QRY_BASELINES, ListBaselines(scenario_id=scenario_id, min_seq=min_seq),
                      BaselinesPage)
    if not found.baselines:
        return {"run_id": None, "scenario_id": scenario_id}
    row = found.baselines[0]
    return {"run_id": row.run_id, "scenario_id": row.scenario_id, "promoted_by": row.promoted_by,
            "promoted_at": row.promoted_at, "latest_run_id": row.latest_run_id}


@router.get("/{run_id}/meta", dependencies=[allow("read")])
async def run_meta(run_id: str, bus: BusDep, min_seq: MinSeq = 0) -> dict[str, Any]:
    """The run's meta (404 when the run history does not hold it)."""
    found = await ask(bus, subjects.QRY_RUN_META, GetRunMeta(run_ids=[run_id], min_seq=min_seq), RunMetas)
    return legacy_meta(found.metas[run_id])


@router.post("/{run_id}/approve", dependencies=[allow("runs.approve")])
async def approve(run_id: str, bus: BusDep, actor: Actor) -> dict[str, Any]:
    """Approve a succeeded run (409 for a failed one); approving it again changes nothing."""
    done = await change(bus, run_id, "approve", actor)
    return {"status": "approved", "run_id": run_id, "approved_by": done.meta.approved_by,
            "approved_at": done.meta.approved_at, "recorded_seq": done.recorded_seq}


@router.post("/{run_id}/promote-baseline", dependencies=[allow("runs.approve")])
async def promote_baseline(run_id: str, bus: BusDep, actor: Actor) -> dict[str, Any]:
    """Make a succeeded run its scenario's baseline (approving it, if it is not yet); the previous
    baseline stays approved."""
    done = await change(bus, run_id, "promote_baseline", actor)
    return {"status": "baseline", "run_id": run_id, "scenario_id": done.meta.scenario_id,
            "recorded_seq": done.recorded_seq}


@router.post("/{run_id}/archive", dependencies=[allow("runs.archive")])
async def archive(run_id: str, bus: BusDep, actor: Actor) -> dict[str, Any]:
    """Hide the run from the run history (``archived=include`` or ``only`` shows it)."""
    done = await change(bus, run_id, "archive", actor)
    return {"status": "archived", "run_id": run_id, "recorded_seq": done.recorded_seq}


@router.post("/{run_id}/unarchive", dependencies=[allow("runs.archive")])
async def unarchive(run_id: str, bus: BusDep, actor: Actor) -> dict[str, Any]:
    done = await change(bus, run_id, "unarchive", actor)
    return {"status": "unarchived", "run_id": run_id, "recorded_seq": done.recorded_seq}


@router.post("/{run_id}/note", dependencies=[allow("runs.note")])
async def note(run_id: str, body: NoteBody, bus: BusDep, actor: Actor) -> dict[str, Any]:
    """Append a note (Markdown) to the run, by you, now. Notes are never edited."""
    done = await change(bus, run_id, "note", actor, note=body.note)
    added = done.meta.notes[-1] if done.meta.notes else None
    return {"status": "ok", "run_id": run_id, "note_id": added.note_id if added else None,
            "recorded_seq": done.recorded_seq}


@router.post("/{run_id}/tags", dependencies=[allow("runs.tag")])
async def change_tags(run_id: str, body: TagsBody, bus: BusDep, actor: Actor) -> dict[str, Any]:
    """Add and remove tags: ``{"add": [...], "remove": [...]}``; the answer has the run's tags."""
    if not (body.add or body.remove):
        raise HTTPException(422, "name the tags to add or remove")
    done = await change(bus, run_id, "tags", actor, add=body.add, remove=body.remove)
    return {"status": "ok", "run_id": run_id, "tags": done.meta.tags, "recorded_seq": done.recorded_seq}
