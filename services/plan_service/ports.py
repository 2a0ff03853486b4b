"""What plan_service's handlers work with; production adapters and test fakes both fit."""

from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from runtime.objects import ObjectStore
from runtime.publisher import EventPublisher
from services.plan_service.psi_workspace import PsiWorkspace
from services.plan_service.state import PlanServiceState

PRODUCER = "plan_service"


def run_inline(coro: Coroutine[Any, Any, Any]) -> None:  # pragma: no cover - replaced in bootstrap
    raise RuntimeError("no task runner configured")


async def no_registry(subject: str, request: Any, reply: Any) -> Any:  # pragma: no cover - replaced in bootstrap
    raise RuntimeError("no registry client configured")


@dataclass
class Ports:
    publisher: EventPublisher
    objects: ObjectStore
    state: PlanServiceState = field(default_factory=PlanServiceState)
    spawn: Callable[[Coroutine[Any, Any, Any]], None] = run_inline
    ask_registry: Callable[[str, Any, Any], Awaitable[Any]] = no_registry
    psi: PsiWorkspace = field(default_factory=PsiWorkspace)
    """Plan review's locks, grids and self-approval setting."""

    async def record(self, event: Any) -> int:
        """Publish an event and, once the log has stored it, fold it into the state."""
        seq = await self.publisher.publish(event)
        self.state.apply(event)
        return seq
