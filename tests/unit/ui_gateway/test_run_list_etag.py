"""GET /runs: the registry's page passed through as it came, an ETag from the read model's
position and the query, 304 while the position stands, the page kept per query."""

import asyncio

from contracts import queries as q
from contracts import subjects
from contracts.commands import ErrorReply
from services.ui_gateway import run_list
from services.ui_gateway.run_list import RunPages, matches
from tests.unit.ui_gateway.fakes import FakeBus, run_row, runs_of


def move_to(bus: FakeBus, seq: int) -> None:
    """The registry applied more of the log: its position and its pages say so."""
    bus.replies[subjects.QRY_POSITION] = q.ReadModelPosition(last_seq=seq)
    bus.replies[subjects.QRY_RUNS_LIST] = lambda r: runs_of(r, [run_row()]).model_copy(update={"last_seq": seq})


def test_the_page_is_the_registrys_reply_as_it_came_with_an_etag(client, bus):
    answer = client.get("/runs")
    assert answer.status_code == 200
    assert answer.content == runs_of(q.ListRuns(), [run_row()]).model_dump_json().encode()
    assert answer.headers["etag"].startswith('W/"7-') and answer.headers["cache-control"] == "private, no-cache"
    assert answer.json()["runs"][0]["run_id"] == "run_a"


def test_an_unchanged_position_is_a_304_without_asking_for_the_page(client, bus):
    etag = client.get("/runs").headers["etag"]
    pages_asked = len(bus.requests(subjects.QRY_RUNS_LIST))
    again = client.get("/runs", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    assert len(bus.requests(subjects.QRY_RUNS_LIST)) == pages_asked
    assert len(bus.requests(subjects.QRY_POSITION)) == 1


def test_a_moved_position_or_another_query_is_a_new_page_with_a_new_etag(client, bus):
    etag = client.get("/runs").headers["etag"]
    assert client.get("/runs?status=failed", headers={"If-None-Match": etag}).status_code == 200
    move_to(bus, 8)
    moved = client.get("/runs", headers={"If-None-Match": etag})
    assert moved.status_code == 200 and moved.headers["etag"].startswith('W/"8-') and moved.json()["last_seq"] == 8


def test_a_page_asked_again_at_the_same_position_is_answered_from_the_kept_page(client, bus):
    first = client.get("/runs?limit=5")
    second = client.get("/runs?limit=5")
    assert first.content == second.content and first.headers["etag"] == second.headers["etag"]
    assert len(bus.requests(subjects.QRY_RUNS_LIST)) == 1 and len(bus.requests(subjects.QRY_POSITION)) == 1
    move_to(bus, 9)
    assert client.get("/runs?limit=5").json()["last_seq"] == 9


def test_a_read_your_writes_request_always_asks_for_the_page(client, bus):
    client.get("/runs")
    client.get("/runs?min_seq=7")
    assert [r.min_seq for r in bus.requests(subjects.QRY_RUNS_LIST)] == [0, 7]


def test_errors_and_an_absent_registry_are_mapped_as_for_every_route(client, bus):
    bus.replies[subjects.QRY_RUNS_LIST] = ErrorReply(error="validation_failed", message="bad cursor")
    refused = client.get("/runs?cursor=x")
    assert refused.status_code == 422 and refused.json() == {"detail": "bad cursor"}
    del bus.replies[subjects.QRY_RUNS_LIST]
    assert client.get("/runs").status_code == 503


def test_a_registry_that_cannot_say_its_position_still_answers_every_request_in_full(client, bus):
    del bus.replies[subjects.QRY_POSITION]
    etag = client.get("/runs").headers["etag"]
    assert client.get("/runs", headers={"If-None-Match": etag}).status_code == 200


async def test_requests_for_one_page_that_arrive_together_ask_the_registry_once():
    bus, asking, release = FakeBus(), asyncio.Event(), asyncio.Event()
    asked = []

    async def slow_page(subject, request):  # type: ignore[no-untyped-def]
        asked.append(subject)
        asking.set()
        await release.wait()
        return runs_of(request, [run_row()]).model_dump_json().encode()

    bus.ask_raw = slow_page  # type: ignore[method-assign]
    pages = RunPages()
    answers = [asyncio.create_task(pages.answer(bus, q.ListRuns(), None)) for _ in range(10)]
    await asking.wait()  # the registry is being asked: every request has come in (they were first in line)
    release.set()
    bodies = {(await answer).body for answer in answers}
    assert asked == [subjects.QRY_RUNS_LIST] and len(bodies) == 1


def test_if_none_match_compares_weakly_and_takes_lists_and_a_star():
    assert matches('W/"7-ab"', 'W/"7-ab"') and matches('"7-ab"', 'W/"7-ab"')
    assert matches('W/"1-x", W/"7-ab"', 'W/"7-ab"') and matches("*", 'W/"7-ab"')
    assert not matches('W/"8-ab"', 'W/"7-ab"')


def test_a_large_page_is_passed_on_but_not_kept(client, bus, monkeypatch):
    monkeypatch.setattr(run_list, "KEEP_MAX_BYTES", 100)
    first, second = client.get("/runs"), client.get("/runs")
    assert first.content == second.content and len(bus.requests(subjects.QRY_RUNS_LIST)) == 2
