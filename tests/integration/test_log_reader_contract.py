"""The log readers' one contract, against a real nats-server, kept by both (the public one on
nats-py's public API, the direct one through its internals): every message once, in order,
within the asked range and filter, up to the log's position when reading began; an empty
read; other subscriptions on the same connection keep working; a consumer lost in the middle
of a read is replaced without a gap or a duplicate; large events never put more on their way
than the server lets wait."""

import asyncio
import subprocess
import time
from datetime import UTC, datetime, timedelta

import nats
import pytest

from contracts import subjects
from runtime import bus, nats_server
from runtime.direct_log_reader import DirectLogReader
from runtime.log_reader import LogReader, log_reader
from runtime.public_log_reader import PublicLogReader

SUBJECTS = (subjects.PLAN_CREATED, subjects.JOB_PROGRESS, subjects.RUN_COMPLETED)


async def _write(js, count: int) -> list[tuple[str, bytes]]:  # type: ignore[no-untyped-def]
    written = []
    for i in range(count):
        subject, data = SUBJECTS[i % 3], f'{{"n": {i}}}'.encode()
        await js.publish(subject, data, headers={"Nats-Msg-Id": f"m{i}"})
        written.append((subject, data))
    return written


READERS = {"public": PublicLogReader, "direct": DirectLogReader}


@pytest.fixture(params=sorted(READERS))
def reader(request, js) -> LogReader:  # type: ignore[no-untyped-def]
    return READERS[request.param](js, stall_s=0.5)


async def _read_all(reader: LogReader, **kwargs) -> list:  # type: ignore[no-untyped-def]
    batches = [batch async for batch in reader.read(**kwargs)]
    assert all(batches), "no batch is empty"
    return [m for batch in batches for m in batch]


async def test_every_message_once_in_order_with_subject_payload_and_store_time(js, reader):
    before = datetime.now(UTC) - timedelta(seconds=1)
    written = await _write(js, 1200)
    read = await _read_all(reader, batch=256)
    assert [m.seq for m in read] == list(range(1, 1201))
    assert [(m.subject, m.data) for m in read] == written
    assert all(before <= m.timestamp <= datetime.now(UTC) for m in read)


async def test_start_until_and_subject_filters_bound_the_read(js, reader):
    written = await _write(js, 300)
    read = await _read_all(reader, start_seq=101, until_seq=200)
    assert [m.seq for m in read] == list(range(101, 201))
    runs = await _read_all(reader, filter_subjects=[subjects.RUN_COMPLETED])
    assert [m.data for m in runs] == [data for subject, data in written if subject == SUBJECTS[2]]
    two = await _read_all(reader, filter_subjects=[subjects.RUN_COMPLETED, subjects.PLAN_CREATED], start_seq=5)
    assert [m.seq for m in two] == [seq for seq in range(5, 301) if (seq - 1) % 3 != 1]
    assert await _read_all(reader, start_seq=301) == []
    assert await _read_all(reader, filter_subjects=["scpln.events.nothing.here"]) == []


async def test_an_empty_log_reads_as_nothing(js, reader):
    assert await _read_all(reader) == []


async def test_the_read_ends_at_the_position_the_log_had_when_it_began(js, reader):
    await _write(js, 500)
    seqs: list[int] = []
    async for batch in reader.read(batch=100):
        if not seqs:
            await js.publish(SUBJECTS[0], b"{}", headers={"Nats-Msg-Id": "later"})
        seqs += [m.seq for m in batch]
    assert seqs == list(range(1, 501))


async def test_a_plain_subscription_on_the_same_connection_keeps_receiving_during_a_read(nc, js, reader):
    await _write(js, 2000)
    received: list[bytes] = []
    last = asyncio.Event()

    async def keep(msg) -> None:  # type: ignore[no-untyped-def]
        if msg.data == b"last":
            last.set()
        else:
            received.append(msg.data)

    sub = await nc.subscribe("scpln.test.side", cb=keep)
    reading = asyncio.create_task(_read_all(reader, batch=300))
    for i in range(50):
        await nc.publish("scpln.test.side", str(i).encode())
        await asyncio.sleep(0)
    read = await reading
    await nc.publish("scpln.test.side", b"last")  # messages of one publisher arrive in order: the others came first
    await asyncio.wait_for(last.wait(), 10)
    assert len(read) == 2000
    assert received == [str(i).encode() for i in range(50)]
    await sub.unsubscribe()


async def test_two_reads_at_once_on_one_connection_each_get_the_whole_log(js, reader):
    await _write(js, 900)
    first, second = await asyncio.gather(_read_all(reader, batch=200), _read_all(reader, batch=256))
    assert [m.seq for m in first] == [m.seq for m in second] == list(range(1, 901))


async def test_a_consumer_deleted_mid_read_is_replaced_without_gap_or_duplicate(js, reader):
    await _write(js, 3000)
    seqs: list[int] = []
    deleted = False
    async for batch in reader.read(batch=256):
        seqs += [m.seq for m in batch]
        if not deleted:
            for info in await js.consumers_info(subjects.STREAM_NAME):
                await js.delete_consumer(subjects.STREAM_NAME, info.name)
            deleted = True
    assert deleted
    assert seqs == list(range(1, 3001))


@pytest.fixture()
def tight_nats(tmp_path):  # type: ignore[no-untyped-def]
    """A nats-server that cuts a connection off as a slow consumer once 24 MB wait for it."""
    port, store = nats_server.free_port(), tmp_path / "nats"
    store.mkdir()
    conf = store / "nats-server.conf"
    conf.write_text(nats_server.config(store, port) + "max_pending: 24MB\n")
    proc = subprocess.Popen([nats_server.binary(), "-c", str(conf)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        assert nats_server.wait_listening(port)
        yield f"nats://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(5)


@pytest.fixture()
async def tight_nc(tight_nats):  # type: ignore[no-untyped-def]
    nc = await nats.connect(tight_nats)
    await bus.declare_stream(nc.jetstream(), max_bytes=256 * 1024**2)
    yield nc
    await nc.close()


@pytest.mark.parametrize("name", sorted(READERS))
async def test_a_reader_of_large_events_never_has_more_on_its_way_than_the_server_lets_wait(tight_nc, name):
    """Asked by count alone, two requests of 1,000 events of 256 KiB would put 500 MB on the
    way; a reader that blocks between batches (the rebuild writes each one to SQLite) would
    be cut off as a slow consumer and its read restarted on a new connection."""
    data, tight_js = b"x" * 256 * 1024, tight_nc.jetstream()
    for i in range(150):
        await tight_js.publish(subjects.RUN_COMPLETED, data, headers={"Nats-Msg-Id": f"big{i}"})
    seqs: list[int] = []
    async for batch in log_reader(tight_js, name).read(batch=1000):
        seqs += [m.seq for m in batch]
        assert all(m.data == data for m in batch)
        time.sleep(0.3)  # noqa: ASYNC251 - the event loop blocked, as while a batch is written
    assert seqs == list(range(1, 151))
    assert tight_nc.stats["reconnects"] == 0
