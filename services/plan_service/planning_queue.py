"""Planning as a work queue: plan_service's replicas share one durable pull consumer over the plan
requests of the log (``subjects.PLANNING_DURABLE``). ``create_plan`` only records a request; the
replica that takes it plans it, telling the server every third of the ack wait that it still
does, and acknowledges it once its plan is made or its job failed.

A replica that dies holding a request stops telling: after the ack wait the server gives the
request to another, which plans it again under the same ids (one PlanCreated whatever happens:
it is written only if no other fact about the plan was stored since, ``Ports.record``). A
request taken whose plan exists already, or whose job was cancelled, is acknowledged without
work; taken for the ``planning_max_deliver``-th time, its job fails saying why.
"""

import asyncio
import contextlib
import logging

from faststream.exceptions import NackMessage
from faststream.middlewares import AckPolicy as Acknowledge
from faststream.nats import JStream, NatsBroker, PullSub
from faststream.nats.annotations import NatsMessage
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import BadRequestError, NotFoundError

from contracts import subjects
from contracts.events import PlanRequested
from runtime.event_decoder import event_decoder
from runtime.logs import first_line
from runtime.work_queue import held
from services.plan_service import plans
from services.plan_service.domain.pipeline import run_pipeline
from services.plan_service.ports import Ports
from services.plan_service.settings import Settings

log = logging.getLogger("plan_service.planning_queue")

FOLD_WAIT_S = 20.0
"""How long a request taken waits for the state to hold it (and all before it) before it is
given back to be taken again a little later."""


def consumer_config(settings: Settings, start_seq: int) -> ConsumerConfig:
    """The queue: every plan request stored from ``start_seq`` on (on the bare subject too)."""
    return ConsumerConfig(
        name=subjects.PLANNING_DURABLE, durable_name=subjects.PLANNING_DURABLE, deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
        opt_start_seq=start_seq, ack_policy=AckPolicy.EXPLICIT, ack_wait=settings.planning_ack_wait_s,
        max_deliver=settings.planning_max_deliver, filter_subjects=list(subjects.of_type(subjects.PLAN_REQUESTED)))


async def declare(js: JetStreamContext, settings: Settings, start_seq: int) -> bool:
    """Make the queue when there is none, delivering from ``start_seq`` (the requests before were
    recorded before it existed: ``plans.resume_interrupted``), or bring its ack wait and
    deliveries up to the settings. True when this replica made it."""
    try:
        info = await js.consumer_info(subjects.STREAM_NAME, subjects.PLANNING_DURABLE)
    except NotFoundError:
        try:
            await js.add_consumer(subjects.STREAM_NAME, consumer_config(settings, start_seq))
        except BadRequestError as exc:  # another replica made it meanwhile, from its own position
            log.info("the planning queue was made by another replica (%s)", first_line(exc))
            return False
        log.info("planning queue %s made: it takes the plan requests from seq %d", subjects.PLANNING_DURABLE, start_seq)
        return True
    config = info.config
    if (config.ack_wait, config.max_deliver) != (settings.planning_ack_wait_s, settings.planning_max_deliver):
        config.ack_wait, config.max_deliver = settings.planning_ack_wait_s, settings.planning_max_deliver
        await js.add_consumer(subjects.STREAM_NAME, config)
    return False


async def take(request: PlanRequested, seq: int, taken: int, ports: Ports, settings: Settings,
               pipeline: plans.Pipeline = run_pipeline) -> None:
    """Work on one request taken from the queue (stored at ``seq``; ``taken``: how many times it
    was, this one included); returning acknowledges it. Once the state holds it, a request whose
    plan exists finishes its job (its planner stopped before saying so), one whose job was
    cancelled is dropped, one taken for the last time fails its job, any other is planned."""
    if ports.follower is not None and not await ports.follower.reached(seq, FOLD_WAIT_S):
        raise NackMessage(delay=2.0)
    if request.plan_version_id in ports.state.plans:
        if taken > 1:
            await plans.planned_already(request, ports)
        return
    if request.job_id in ports.state.cancelled_jobs:
        log.info("planning job %s was cancelled while queued; not planned", request.job_id)
        return
    if taken >= settings.planning_max_deliver:
        await plans.never_planned(request, ports, taken)
        return
    if taken > 1:
        log.info("planning job %s taken again (time %d): its planner stopped", request.job_id, taken)
        await plans.planning_again(request, ports, taken)
    await plans.plan_request(request, ports, pipeline)


def subscribe(broker: NatsBroker, ports: Ports, settings: Settings) -> None:
    """Take up to ``planning_concurrency`` requests at a time and plan them side by side; the
    next fetch waits for them all. A failure that escapes, or the replica stopping, gives the
    request back at once; a message that is no plan request is dropped by the decoder (logged,
    counted, acknowledged)."""
    patient = ports.patient()

    async def plan_requested(request: PlanRequested, message: NatsMessage) -> None:  # type: ignore[valid-type]
        """A plan request taken from the planning queue is planned: PlanCreated, its job's progress."""
        raw = message.raw_message  # type: ignore[attr-defined]
        try:
            async with held(raw, settings.planning_ack_wait_s / 3):
                await take(request, raw.metadata.sequence.stream, raw.metadata.num_delivered, patient, settings)
        except asyncio.CancelledError:  # the replica stops: another takes the request now, not after the ack wait
            with contextlib.suppress(Exception):
                await raw.nak()
            raise

    broker.subscriber(subjects.PLAN_REQUESTED, stream=JStream(subjects.STREAM_NAME, declare=False),
                      durable=subjects.PLANNING_DURABLE, config=consumer_config(settings, 1),
                      pull_sub=PullSub(batch_size=settings.planning_concurrency, timeout=2.0),
                      ack_policy=Acknowledge.NACK_ON_ERROR,
                      decoder=event_decoder(subjects.PLANNING_DURABLE, log))(plan_requested)
