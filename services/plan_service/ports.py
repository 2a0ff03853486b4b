"""What plan_service's handlers work with; production adapters and test fakes both fit."""

from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from contracts.events import aggregate_filter_for
from runtime.objects import ObjectStore
from runtime.patience import PatientObjects, PatientPublisher
from runtime.publisher import EventPublisher, Expected
from runtime.storage import Storage
from services.plan_service.parsed_configs import ParsedConfigs
from services.plan_service.psi_workspace import PsiWorkspace
from services.plan_service.state import PlanServiceState

PRODUCER = "plan_service"


def run_inline(coro: Coroutine[Any, Any, Any]) -> None:  # pragma: no cover - replaced in bootstrap
    raise RuntimeError("no task runner configured")


async def no_registry(subject: str, request: Any, reply: Any) -> Any:  # pragma: no cover - replaced in bootstrap
    raise RuntimeError("no registry client configured")


class Follower(Protocol):
    position: int

    async def reached(self, seq: int, timeout: float = ...) -> bool:
        """Wait until the fact stored at ``seq`` is folded into the state."""
        ...


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

    follower: Follower | None = None
    """What folds the log into ``state`` (services/plan_service/following.py): a write waits until
    it has folded it. None (unit tests with one writer): a write is folded at once."""

    parsed_configs: ParsedConfigs = field(default_factory=ParsedConfigs)
    """The effective configs of the plans made lately, read and checked once (shared by ``patient``)."""

    progress_interval_s: float = 0.5
    """A planning job's step progress goes out at most once per this long (``runtime.progress``):
    its first step at once, its final state always, last."""

    planning_queue: bool = False
    """True: a recorded plan request is planned by the replica that takes it from the log's work
    queue (services/plan_service/planning_queue.py). False (unit tests): it is planned in the
    background of the process that recorded it."""

    def patient(self) -> "Ports":
        """These ports for work already accepted: each write waits until it is stored, however
        long the disk is full or the bus away (``runtime.patience``); the state is shared."""
        return replace(self, publisher=PatientPublisher(self.publisher), objects=PatientObjects(self.objects))

    async def record(self, event: Any) -> int:
        """Publish an event and, once the log has stored it, wait until the state holds it. A
        fact about an aggregate is stored only if no other fact about it was stored since the
        state last saw one: ``Conflict`` otherwise (``following.decided_again``)."""
        aggregate = aggregate_filter_for(event)
        if aggregate is None:
            seq = await self.publisher.publish(event)
        else:
            seq = await self.publisher.publish(event, Expected(aggregate, self.state.positions.get(aggregate, 0)))
        if self.follower is not None:
            await self.follower.reached(seq)
            return seq
        self.state.apply(event)
        if aggregate is not None:
            self.state.positions[aggregate] = seq
        return seq

    async def caught_up(self, seq: int | None) -> None:
        """Wait until the state holds the fact stored at ``seq`` (None: the next one folded)."""
        if self.follower is not None:
            await (self.follower.reached(seq) if seq else self.follower.reached(self.follower.position + 1, 1.0))
