"""The published AsyncAPI document (``contracts/asyncapi.json``) is what the services' own
brokers make of their wiring today (``scpln.asyncapi``): it fails when a service's wiring, a
contract or a reply changes without ``make schemas``."""

from contracts.schema_gen import ASYNCAPI_FILE
from scpln.asyncapi import asyncapi_text


def test_the_checked_in_asyncapi_document_is_the_services_wiring():
    assert ASYNCAPI_FILE.read_text() == asyncapi_text(), "the services' messages changed: run `make schemas`"
