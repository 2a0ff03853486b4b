"""Query and command handlers of the registry: plain async functions over the live read model."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

from contracts.commands import DeleteRun, ErrorReply, ReadModelSwapped, RunDeletedReply, SwapReadModel
from contracts.envelope import Contract
from contracts.events import RunDeleted
from contracts.queries import GetRun
from runtime.publisher import EventPublisher
from services.run_registry import queries
from services.run_registry.backup import is_registry_database
from services.run_registry.live import LiveReadModel
from services.run_registry.metrics import REBUILD_SECONDS

PRODUCER = "run_registry"
NOT_FOUND_CODES = {"run": "run_not_found", "plan": "plan_not_found", "job": "job_not_found",
                   "scenario": "scenario_not_found", "config": "config_not_found"}


async def run_query(query: Any, fn: Callable[[Any, Any], Contract], live: LiveReadModel, wait_s: float) -> Contract:
    """Answer a query from the read model, after waiting (bounded) for ``min_seq``."""
    if getattr(query, "min_seq", 0):
        await live.position.reached(query.min_seq, wait_s)
    try:
        with live.engine.connect() as conn:
            reply = fn(conn, query)
    except queries.NotFound as missing:
        return ErrorReply(error=NOT_FOUND_CODES.get(missing.kind, "validation_failed"),  # type: ignore[arg-type]
                          message=missing.message)
    except ValueError as bad:
        return ErrorReply(error="validation_failed", message=str(bad))
    if "lag" in type(reply).model_fields:
        reply = reply.model_copy(update={"lag": live.position.lag})
    return reply


async def delete_run(cmd: DeleteRun, live: LiveReadModel, publisher: EventPublisher) -> Contract:
    """Publish RunDeleted for a run the registry knows; the projection removes it."""
    found = await run_query(GetRun(run_id=cmd.run_id), queries.get_run, live, 0)
    if isinstance(found, ErrorReply):
        return found
    await publisher.publish(RunDeleted(correlation_id=cmd.run_id, producer=PRODUCER, run_id=cmd.run_id,
                                       deleted_by=cmd.by))
    return RunDeletedReply(run_id=cmd.run_id)


async def swap_read_model(cmd: SwapReadModel, live: LiveReadModel) -> Contract:
    """Swap in a rebuilt or restored database file and resume from its checkpoint."""
    path = Path(cmd.path)
    if not path.is_absolute() or not is_registry_database(path):
        return ErrorReply(error="validation_failed", message=f"{cmd.path} is not the absolute path of a registry database")
    try:
        last_seq = await live.swap_in(path)
    except ValueError as refused:
        return ErrorReply(error="not_allowed", message=str(refused))
    if cmd.rebuild_seconds is not None:
        REBUILD_SECONDS.observe(cmd.rebuild_seconds)
    return ReadModelSwapped(last_seq=last_seq)
