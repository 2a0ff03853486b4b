"""Query and command handlers of the registry: plain async functions over the read model."""

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from sqlalchemy.engine import Engine

from contracts.commands import DeleteRun, ErrorReply, RunDeletedReply
from contracts.envelope import Contract
from contracts.events import RunDeleted
from contracts.queries import GetRun
from runtime.publisher import EventPublisher
from services.run_registry import queries
from services.run_registry.position import Position

PRODUCER = "run_registry"
NOT_FOUND_CODES = {"run": "run_not_found", "plan": "plan_not_found", "job": "job_not_found",
                   "scenario": "scenario_not_found", "config": "config_not_found"}


async def run_query(query: Any, fn: Callable[[Any, Any], Contract], engine: Engine, position: Position,
                    wait_s: float) -> Contract:
    """Answer a query from the read model, after waiting (bounded) for ``min_seq``."""
    if getattr(query, "min_seq", 0):
        await position.reached(query.min_seq, wait_s)
    try:
        with engine.connect() as conn:
            reply = fn(conn, query)
    except queries.NotFound as missing:
        return ErrorReply(error=NOT_FOUND_CODES.get(missing.kind, "validation_failed"),  # type: ignore[arg-type]
                          message=f"{missing.kind} {missing.id} does not exist")
    except ValueError as bad:
        return ErrorReply(error="validation_failed", message=str(bad))
    if "lag" in type(reply).model_fields:
        reply = reply.model_copy(update={"lag": position.lag})
    return reply


async def delete_run(cmd: DeleteRun, engine: Engine, publisher: EventPublisher, position: Position) -> Contract:
    """Publish RunDeleted for a run the registry knows; the projection removes it."""
    found = await run_query(GetRun(run_id=cmd.run_id), queries.get_run, engine, position, 0)
    if isinstance(found, ErrorReply):
        return found
    await publisher.publish(RunDeleted(correlation_id=cmd.run_id, producer=PRODUCER, run_id=cmd.run_id,
                                       deleted_by=cmd.by, occurred_at=datetime.now(timezone.utc)))
    return RunDeletedReply(run_id=cmd.run_id)
