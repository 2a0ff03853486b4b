"""``scpln legacy import`` against a real event log: an import that stops half-way resumes where
it stopped, and importing the same database again (also after the stream's two-minute duplicate
window, which the markers stand in for) adds no event."""

from collections import Counter
from pathlib import Path

import pytest

from contracts.legacy import LegacyRowImported
from scpln.legacy import importer
from scpln.legacy.source import open_legacy
from tests.integration.conftest import log_events

DB = Path(__file__).resolve().parents[3] / "shared" / "seed" / "legacy-small.db"
pytestmark = pytest.mark.skipif(not DB.exists(), reason="../shared/seed/legacy-small.db is not here")


class Interrupted(Exception):
    pass


async def _import(js) -> dict:  # type: ignore[no-untyped-def,type-arg]
    src = open_legacy(DB)
    try:
        return await importer.run_import(src, js, dry_run=False)
    finally:
        src.db.close()


async def test_an_interrupted_import_resumes_and_a_second_adds_nothing(js, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(importer, "BATCH", 5)
    write, calls = importer.Publisher.write, []

    async def stop_after_two(self, batch, sha256, source_file):  # type: ignore[no-untyped-def]
        if len(calls) == 2:
            raise Interrupted
        calls.append(len(batch))
        await write(self, batch, sha256, source_file)

    monkeypatch.setattr(importer.Publisher, "write", stop_after_two)
    with pytest.raises(Interrupted):
        await _import(js)
    assert len([e for e in await log_events(js) if isinstance(e, LegacyRowImported)]) == 10
    monkeypatch.setattr(importer.Publisher, "write", write)

    resumed = await _import(js)
    assert sum(t["already"] for t in resumed["tables"].values()) == 10
    assert sum(t["imported"] for t in resumed["tables"].values()) == 9
    again = await _import(js)
    assert sum(t["imported"] for t in again["tables"].values()) == 0

    events = await log_events(js)
    assert max(Counter(e.event_id for e in events).values()) == 1
    counts = Counter(e.event_type for e in events)
    assert (counts["RunCompleted"], counts["PlanCreated"], counts["ScenarioCreated"], counts["LegacyRowImported"]) == (
        6, 3, 2, 19)
