"""What plan_service's handlers work with; production adapters and test fakes both fit."""

from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field, replace
from typing import Any

from runtime.objects import ObjectStore
from runtime.patience import PatientObjects, PatientPublisher
from runtime.publisher import EventPublisher
from runtime.storage import Storage
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

    storage: Storage | None = None
    """How plan_service's writes fare: its commands are refused while it is short of space."""

    def patient(self) -> "Ports":
        """These ports for work already accepted: each write waits until it is stored, however
        long the disk is full or the bus away (``runtime.patience``); the state is shared."""
        return replace(self, publisher=PatientPublisher(self.publisher), objects=PatientObjects(self.objects))

    async def record(self, event: Any) -> int:
        """Publish an event and, once the log has stored it, fold it into the state."""
        seq = await self.publisher.publish(event)
        self.state.apply(event)
        return seq
