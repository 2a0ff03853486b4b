"""A large config document with thousands of problems is answered, not lost: its reply and its
event list the first problems and say how many more there are (a message on the bus carries at
most 1 MiB; a 25 MB document with 25,000 warnings made the event too large to publish: a 500)."""

import copy
import json
from pathlib import Path

from contracts.commands import ImportConfig
from contracts.events import ConfigVersionCreated
from runtime.objects import InMemoryObjectStore
from runtime.publisher import InMemoryPublisher
from services.plan_service import configs
from services.plan_service.configs import LISTED_MAX
from services.plan_service.ports import Ports

SMALL = json.loads((Path(__file__).resolve().parents[3] / "samples" / "small.json").read_text())
BUS_MAX = 1024 * 1024


def ports() -> Ports:
    return Ports(publisher=InMemoryPublisher(), objects=InMemoryObjectStore(), spawn=lambda coro: coro.close())


async def test_thousands_of_warnings_are_listed_up_to_a_bound_with_the_count_of_the_rest():
    document = copy.deepcopy(SMALL)
    document["meta"]["name"] = "many duplicate arcs"
    document["arcs"] = document["arcs"] * 3000
    the_ports = ports()
    imported = await configs.import_config(ImportConfig(document=document), the_ports)
    [event] = [e for e in the_ports.publisher.events if isinstance(e, ConfigVersionCreated)]
    assert imported.created and len(imported.warnings) == len(event.warnings) == LISTED_MAX + 1
    assert event.warnings[-1]["code"] == "more_warnings" and "more warnings not listed" in event.warnings[-1]["message"]
    assert len(event.model_dump_json()) < BUS_MAX and len(imported.model_dump_json()) < BUS_MAX


async def test_thousands_of_errors_are_counted_and_the_first_ones_listed():
    document = copy.deepcopy(SMALL)
    document["demands"] = [{**row, "node_code": f"NOWHERE_{k}"} for k, row in enumerate(document["demands"] * 500)]
    refused = await configs.import_config(ImportConfig(document=document), ports())
    assert refused.error == "config_invalid" and refused.message == f"{len(document['demands'])} validation error(s)"
    assert len(refused.details) == LISTED_MAX + 1 and refused.details[-1]["code"] == "more_errors"
    assert len(refused.model_dump_json()) < BUS_MAX
