"""Query and command handlers of the registry: plain async functions over the live read model."""

import logging
from collections.abc import Callable
from typing import Any

from contracts.commands import DeleteRun, ErrorReply, ReadModelSwapped, RunDeletedReply, SwapReadModel
from contracts.envelope import Contract
from contracts.events import ReadModelReplaced, RunDeleted
from contracts.queries import GetRun
from runtime.logs import first_line
from runtime.publisher import EventPublisher
from services.run_registry import queries
from services.run_registry.live import LiveReadModel
from services.run_registry.metrics import REBUILD_SECONDS
from services.run_registry.staging import SwapRefused, staged_file

log = logging.getLogger("run_registry.handlers")
PRODUCER = "run_registry"
READ_MODEL = "read_model"
"""The correlation id of the facts about the registry's read model itself."""
NOT_FOUND_CODES = {"run": "run_not_found", "plan": "plan_not_found", "job": "job_not_found",
                   "scenario": "scenario_not_found", "config": "config_not_found"}


async def run_query(query: Any, fn: Callable[[Any, Any], Contract], live: LiveReadModel, wait_s: float) -> Contract:
    """Answer a query from the read model, after waiting (bounded) for ``min_seq``. Something not
    found is looked for again once the read model holds every event stored when it was asked
    for (bounded by ``wait_s``): a plan, run or scenario just accepted is found without a
    ``min_seq`` while its event is still on its way into the read model."""
    if getattr(query, "min_seq", 0):
        await live.position.reached(query.min_seq, wait_s)
    reply = _answer(query, fn, live)
    if isinstance(reply, ErrorReply) and reply.error in NOT_FOUND_CODES.values() and wait_s \
            and await live.caught_up_with_log(wait_s):
        reply = _answer(query, fn, live)
    return reply


def _answer(query: Any, fn: Callable[[Any, Any], Contract], live: LiveReadModel) -> Contract:
    try:
        with live.engine.connect() as conn:
            reply = fn(conn, query)
    except queries.NotFound as missing:
        return ErrorReply(error=NOT_FOUND_CODES.get(missing.kind, "validation_failed"),  # type: ignore[arg-type]
                          message=missing.message)
    except queries.NotAllowed as refused:
        return ErrorReply(error="not_allowed", message=str(refused))
    except ValueError as bad:
        return ErrorReply(error="validation_failed", message=str(bad))
    if "lag" in type(reply).model_fields:
        reply = reply.model_copy(update={"lag": live.position.lag})
    if "object_store" in type(reply).model_fields and live.sweeper is not None:
        reply = reply.model_copy(update={"object_store": live.sweeper.sizes})
    if "storage" in type(reply).model_fields:
        reply = reply.model_copy(update={"storage": live.storage_board.statuses()})
    return reply


async def delete_run(cmd: DeleteRun, live: LiveReadModel, publisher: EventPublisher) -> Contract:
    """Publish RunDeleted for a run the registry knows; the projection removes it, and the
    answer waits (bounded) until it has."""
    found = await run_query(GetRun(run_id=cmd.run_id), queries.get_run, live, 0)
    if isinstance(found, ErrorReply):
        return found
    seq = await publisher.publish(RunDeleted(correlation_id=cmd.run_id, producer=PRODUCER, run_id=cmd.run_id,
                                             deleted_by=cmd.by))
    if seq:  # answered once this registry's read model has it: a read after the delete finds it gone
        await live.position.reached(seq, live.settings.min_seq_wait_s)
    return RunDeletedReply(run_id=cmd.run_id)


async def swap_read_model(cmd: SwapReadModel, live: LiveReadModel, publisher: EventPublisher) -> Contract:
    """Swap in the database staged for a rebuild or a restore, resume from its checkpoint, and
    record the swap in the log (``ReadModelReplaced``, with the operator who asked). Any other
    path is refused before anything changes (``staging.staged_file``)."""
    if live.settings.registry_backend != "db":
        return ErrorReply(error="not_allowed", message="only the db backend has a file to swap")
    try:
        path = staged_file(cmd.path, live.settings.scpln_db, cmd.reason)
    except SwapRefused as refused:
        return ErrorReply(error=refused.error, message=str(refused))
    swap = await live.swap_in(path)
    if cmd.rebuild_seconds is not None:
        REBUILD_SECONDS.observe(cmd.rebuild_seconds)
    fact = ReadModelReplaced(correlation_id=READ_MODEL, producer=PRODUCER, by=cmd.by, reason=cmd.reason,
                             path=str(path), last_seq=swap.last_seq, replaced_seq=swap.replaced_seq)
    try:
        recorded: int | None = await publisher.publish(fact)
    except Exception as exc:  # noqa: BLE001 - the swap is done: the reply says it was not recorded
        log.error("the %s by %s is done but could not be recorded in the log: %s", cmd.reason, cmd.by, first_line(exc))
        recorded = None
    return ReadModelSwapped(last_seq=swap.last_seq, recorded_seq=recorded)
