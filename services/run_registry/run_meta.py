"""What a change of a run's governance records: a pure decision over the run as the read model
holds it (``decide``), and the handler of ``scpln.cmd.registry.run_meta`` that publishes it."""

import uuid
from collections.abc import Callable

from contracts.commands import ChangeRunMeta, ErrorReply, RunMetaChanged
from contracts.envelope import Contract, Envelope
from contracts.queries import GetRun, GetRunMeta, ListBaselines, RunDetail, RunMeta, RunMetas, RunRow
from contracts.run_meta import (
    TAGS_MAX,
    BaselinePromoted,
    RunApproved,
    RunArchived,
    RunNoteAdded,
    RunTagsChanged,
    RunUnarchived,
)
from runtime.publisher import EventPublisher
from services.run_registry import queries
from services.run_registry.handlers import run_query
from services.run_registry.live import LiveReadModel

PRODUCER = "run_registry"


def new_note_id() -> str:
    return f"note_{uuid.uuid4().hex[:16]}"


def decide(cmd: ChangeRunMeta, run: RunRow, meta: RunMeta, baseline: str | None,
           note_id: Callable[[], str] = new_note_id) -> list[Envelope] | ErrorReply:
    """The facts the command records (none when the run already is as asked), or why it is
    refused. ``baseline``: the run's scenario's baseline now, if any."""
    about = {"correlation_id": run.run_id, "producer": PRODUCER, "run_id": run.run_id}
    if cmd.action in ("approve", "promote_baseline") and run.status != "succeeded":
        verb = "approved" if cmd.action == "approve" else "made a baseline"
        return ErrorReply(error="not_allowed", message=f"only a succeeded run can be {verb}: run {run.run_id} "
                                                       f"{run.status}")
    if cmd.action == "approve":
        return [] if meta.approved else [RunApproved(**about, scenario_id=run.scenario_id, approved_by=cmd.by)]
    if cmd.action == "promote_baseline":
        facts: list[Envelope] = [] if meta.approved else [
            RunApproved(**about, scenario_id=run.scenario_id, approved_by=cmd.by)]
        if baseline != run.run_id:
            facts.append(BaselinePromoted(**about, scenario_id=run.scenario_id, replaced_run_id=baseline,
                                          promoted_by=cmd.by))
        return facts
    if cmd.action == "archive":
        return [] if meta.archived else [RunArchived(**about, archived_by=cmd.by)]
    if cmd.action == "unarchive":
        return [RunUnarchived(**about, unarchived_by=cmd.by)] if meta.archived else []
    if cmd.action == "note":
        return [RunNoteAdded(**about, note_id=note_id(), text=cmd.note, author=cmd.by)]
    return _tags(cmd, meta, about)


def _tags(cmd: ChangeRunMeta, meta: RunMeta, about: dict[str, str]) -> list[Envelope] | ErrorReply:
    removed = [tag for tag in dict.fromkeys(cmd.remove) if tag in meta.tags]
    added = [tag for tag in dict.fromkeys(cmd.add) if tag not in meta.tags and tag not in cmd.remove]
    if len(set(meta.tags) - set(removed)) + len(added) > TAGS_MAX:
        return ErrorReply(error="validation_failed", message=f"a run carries at most {TAGS_MAX} tags")
    if not (added or removed):
        return []
    return [RunTagsChanged(**about, added=added, removed=removed, changed_by=cmd.by)]


async def change_run_meta(cmd: ChangeRunMeta, live: LiveReadModel, publisher: EventPublisher,
                          wait_s: float) -> Contract:
    """Check the run, record the facts, and answer with the run's governance once they are
    applied (waiting up to ``wait_s`` for the projection)."""
    found = await run_query(GetRun(run_id=cmd.run_id), queries.get_run, live, 0)
    if isinstance(found, ErrorReply):
        return found
    assert isinstance(found, RunDetail)
    meta = await _meta(cmd.run_id, live)
    current = await run_query(ListBaselines(scenario_id=found.run.scenario_id), queries.list_baselines, live, 0)
    baseline = current.baselines[0].run_id if getattr(current, "baselines", None) else None  # type: ignore[attr-defined]
    facts = decide(cmd, found.run, meta, baseline)
    if isinstance(facts, ErrorReply):
        return facts
    recorded = None
    for fact in facts:
        recorded = await publisher.publish(fact)
    if recorded is not None:
        await live.position.reached(recorded, wait_s)
        meta = await _meta(cmd.run_id, live)
    return RunMetaChanged(run_id=cmd.run_id, recorded_seq=recorded, meta=meta)


async def _meta(run_id: str, live: LiveReadModel) -> RunMeta:
    answer = await run_query(GetRunMeta(run_ids=[run_id], must_exist=False), queries.get_run_meta, live, 0)
    assert isinstance(answer, RunMetas)
    return answer.metas[run_id]
