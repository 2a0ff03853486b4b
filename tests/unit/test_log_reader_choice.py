"""Which log reader ``log_reader`` picks: the direct one only on the nats-py version its
internals were checked against and with all of them there, else the public one with a log line
saying why; ``SCPLN_LOG_READER`` forces one."""

import logging

import pytest
from nats.aio.client import Client

from runtime import direct_log_reader, log_reader
from runtime.direct_log_reader import DirectLogReader
from runtime.public_log_reader import PublicLogReader


@pytest.fixture(autouse=True)
def fresh(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.delenv(log_reader.READER_ENV, raising=False)
    monkeypatch.setattr(log_reader, "_said", set())


def test_auto_reads_directly_on_the_checked_version():
    assert isinstance(log_reader.log_reader(Client().jetstream()), DirectLogReader)


def test_another_nats_py_reads_publicly_and_says_why(monkeypatch, caplog):
    monkeypatch.setattr(direct_log_reader.metadata, "version", lambda name: "2.99.0")
    with caplog.at_level(logging.WARNING, "scpln.log_reader"):
        reader = log_reader.log_reader(Client().jetstream())
        log_reader.log_reader(Client().jetstream())
    assert isinstance(reader, PublicLogReader)
    assert [r.getMessage() for r in caplog.records] == [
        "log reader: public, because nats-py 2.99.0 is installed and direct delivery was checked against 2.16.0"]


def test_a_connection_without_the_wrapped_internals_reads_publicly():
    nc = Client()
    del nc._ps
    reader = log_reader.log_reader(nc.jetstream())
    assert isinstance(reader, PublicLogReader)
    assert "Client._ps" in (direct_log_reader.unsupported(nc.jetstream()) or "")


@pytest.mark.parametrize(("setting", "kind"), [("public", PublicLogReader), ("direct", DirectLogReader),
                                               ("AUTO", DirectLogReader)])
def test_the_setting_forces_a_reader(monkeypatch, setting, kind):
    monkeypatch.setenv(log_reader.READER_ENV, setting)
    assert isinstance(log_reader.log_reader(Client().jetstream()), kind)


def test_an_unknown_setting_is_refused(monkeypatch):
    monkeypatch.setenv(log_reader.READER_ENV, "fast")
    with pytest.raises(ValueError, match="SCPLN_LOG_READER='fast'"):
        log_reader.log_reader(Client().jetstream())
