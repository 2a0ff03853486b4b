"""simulator wiring: shared durable pull consumers (a work queue) feeding ``simulate_plan``."""

import asyncio
import logging
from functools import partial

from faststream.nats import JStream, NatsBroker, PullSub
from faststream.nats.annotations import NatsMessage
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import ConsumerConfig
from pydantic import ValidationError

from contracts import subjects
from contracts.commands import parse_reply
from contracts.events import PlanCreated, RunRequested, UnknownEvent, decode
from contracts.queries import GetJob, JobDetail
from runtime import bus
from runtime.lifecycle import wait_for_shutdown
from runtime.logs import setup_logging
from runtime.metrics import serve_metrics
from runtime.objects import NatsObjectStore
from runtime.publisher import JetStreamPublisher
from services.simulator.handlers import simulate_plan
from services.simulator.metrics import POISON_MESSAGES
from services.simulator.ports import Ports
from services.simulator.settings import Settings

log = logging.getLogger("simulator")


async def on_trigger(body: bytes, subject: str, ports: Ports) -> None:
    """Decode the trigger and simulate; an undecodable message is logged and acked (never stalls)."""
    try:
        trigger = decode(body, subject)
    except (ValidationError, UnknownEvent, ValueError) as exc:
        POISON_MESSAGES.inc()
        log.error("dropping undecodable trigger on %s: %s", subject, exc)
        return
    if not isinstance(trigger, PlanCreated | RunRequested):
        POISON_MESSAGES.inc()
        log.error("dropping a %s on %s: it triggers no simulation", trigger.event_type, subject)
        return
    await simulate_plan(trigger, ports)


def trigger_handler(ports: Ports, durable: str):  # type: ignore[no-untyped-def]
    async def handler(message: NatsMessage) -> None:  # type: ignore[valid-type]
        await on_trigger(message.body, message.raw_message.subject, ports)  # type: ignore[attr-defined]

    handler.__name__ = f"simulate_{durable}"
    return handler


async def registry_job_state(nc, js, job_id: str) -> str | None:  # type: ignore[no-untyped-def]
    """The job's state as the registry knows it once it has read the whole log so far."""
    try:
        query = GetJob(job_id=job_id, min_seq=await bus.last_stream_seq(js))
        reply = await nc.request(subjects.QRY_JOB_GET, query.model_dump_json().encode(), timeout=3)
    except (TimeoutError, NoRespondersError, NatsTimeout):
        return None
    answer = parse_reply(reply.data, JobDetail)
    return answer.job.state if isinstance(answer, JobDetail) else None


def subscribe(broker: NatsBroker, ports: Ports, settings: Settings) -> None:
    """One durable pull consumer per trigger subject, shared by every simulator process."""
    stream = JStream(subjects.STREAM_NAME, declare=False)
    for subject, durable in subjects.SIMULATOR_DURABLES.items():
        config = ConsumerConfig(ack_wait=settings.ack_wait_s, max_deliver=settings.max_deliver)
        broker.subscriber(subject, stream=stream, durable=durable, config=config,
                          pull_sub=PullSub(batch_size=1, timeout=2.0))(trigger_handler(ports, durable))


async def main(settings: Settings | None = None, stop: asyncio.Event | None = None) -> None:
    settings = settings or Settings()
    setup_logging("simulator", settings.log_level)
    serve_metrics(settings.metrics_port, settings.metrics_host)
    nc = await bus.connect(settings.nats_url, settings.worker_name, retry_max_s=settings.connect_retry_max_s)
    js = nc.jetstream()
    await bus.wait_for_stream(js)
    ports = Ports(publisher=JetStreamPublisher(js), objects=NatsObjectStore(js),
                  stub=settings.scpln_skip_simulation_api, job_state=partial(registry_job_state, nc, js))
    broker = NatsBroker(settings.nats_url, logger=None)
    subscribe(broker, ports, settings)
    await broker.start()
    log.info("simulator ready (stub=%s)", ports.stub)
    await wait_for_shutdown(stop)
    await broker.stop()
    await nc.drain()
