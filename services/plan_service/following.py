"""plan_service's state kept up with the log, so that several replicas decide on the same facts.

A replica restores its state from its own facts at start, then follows them live (an ordered
consumer, ``runtime.follow``): what another replica records reaches its state too. A fact about
an aggregate (a scenario, a config version, a plan) is recorded only if no other fact about it
was stored since the state last saw one (``Ports.record``); a write refused so (``Conflict``)
waits until the state has folded the fact that won, then the command is decided again
(``decided_again``): two replicas never both create one plan or both lock one scenario.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from nats.aio.msg import Msg

from contracts import subjects
from contracts.commands import ErrorReply
from contracts.envelope import Contract
from contracts.events import decode
from runtime.logs import first_line
from runtime.publisher import Conflict
from services.plan_service.state import PlanServiceState

log = logging.getLogger("plan_service.following")

REACH_WAIT_S = 3.0
"""How long a write waits for the state to fold it before answering all the same (the follower
is being made again after a restart of the server); later decisions about its aggregate are
still checked by the log."""
DECISIONS = 5
"""How many times a command is decided again after another replica wrote first."""


def aggregate_filter_of(subject: str) -> str | None:
    """The aggregate filter of a stored fact's subject (None: not a fact about one aggregate)."""
    kind = subjects.type_subject(subject)
    return None if kind == subject else subjects.aggregate_filter(kind, subject.rpartition(".")[2])


class StateFollower:
    """Folds stored facts into the state in log order and says how far it has folded."""

    def __init__(self, state: PlanServiceState) -> None:
        self.state = state
        self.position = 0
        """Stream sequence of the last fact folded (or skipped) in."""
        self._waiting: list[tuple[int, asyncio.Future[None]]] = []

    def fold(self, data: bytes, subject: str, seq: int) -> None:
        """Fold one stored message; one that is no event plan_service reads is logged and skipped."""
        if seq <= self.position:
            return
        try:
            self.state.apply(decode(data, subject))
        except Exception as exc:  # noqa: BLE001 - a poison message is skipped, never fatal
            log.warning("skipped seq %d on %s: not an event plan_service reads (%s)", seq, subject, first_line(exc))
        if (aggregate := aggregate_filter_of(subject)) is not None:
            self.state.positions[aggregate] = seq
        self.position = seq
        self._wake()

    def fold_message(self, msg: Msg) -> None:
        self.fold(msg.data, msg.subject, msg.metadata.sequence.stream)

    async def reached(self, seq: int, timeout: float = REACH_WAIT_S) -> bool:
        """Wait until the fact at ``seq`` is folded in; False when it is not within ``timeout``."""
        if self.position >= seq:
            return True
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((seq, waiter))
        try:
            await asyncio.wait_for(asyncio.shield(waiter), timeout)
            return True
        except TimeoutError:
            log.warning("the state has not folded seq %d after %.0f s (it stands at %d)", seq, timeout, self.position)
            return False
        finally:
            self._waiting = [(s, w) for s, w in self._waiting if w is not waiter]

    def _wake(self) -> None:
        for seq, waiter in self._waiting:
            if seq <= self.position and not waiter.done():
                waiter.set_result(None)


async def decided_again(handle: Callable[..., Awaitable[Contract]], request: Any, *, ports: Any,
                        **kwargs: Any) -> Contract:
    """``handle(request, ports=ports)``; when another replica recorded a fact about the same
    aggregate first, once the state holds that fact, decide again (a lock already taken is
    answered as the domain answers it, a plan request already made with its ids)."""
    for _ in range(DECISIONS):
        try:
            return await handle(request, ports=ports, **kwargs)
        except Conflict as conflict:
            log.info("%s: another replica wrote first (%s); deciding again", type(request).__name__, conflict)
            await ports.caught_up(conflict.stored_seq)
    return ErrorReply(error="unavailable", message="other writers kept changing what this request is about; try again")
