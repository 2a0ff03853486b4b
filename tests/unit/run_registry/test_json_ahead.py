"""JSON encoded ahead (``db.encoded_json``), as a projection crosses from its process to the
writer: the same database as the values encoded by their columns."""

from datetime import timedelta

from registry_helpers import (
    T0,
    config_created,
    engine_for,
    messages,
    plan_created,
    progress,
    run_completed,
    run_deleted,
    run_failed,
    scenario_created,
)

from services.run_registry import projections
from services.run_registry.batch_projection import project
from services.run_registry.db import Json, encoded_json
from services.run_registry.digest import diff_digests, table_digests
from services.run_registry.projection_process import _from_wire, _to_wire
from services.run_registry.writer import ReadModelWriter


def test_json_encoded_ahead_is_what_its_column_writes_and_is_not_encoded_again():
    column = Json()
    for value in ({"b": [1, 2.5, None], "a": {"z": True, "y": "é"}, "big": 2**70}, [], "plain", 3, 0.5, True):
        ahead = encoded_json(value)
        assert type(ahead) is bytes
        assert ahead.decode() == column.process_bind_param(value, None) == column.process_bind_param(ahead, None)
    assert encoded_json(None) is None


def test_a_projection_through_its_wire_form_writes_the_same_tables(tmp_path):
    history = [scenario_created(), config_created(), plan_created(), progress("jp1", "running", job_type="planning"),
               progress("js1", "running"), run_completed("r1"), run_failed("r2", started=T0 + timedelta(hours=1)),
               run_completed("r3", started=T0.replace(tzinfo=None)), progress("js1", "succeeded"), run_deleted("r3")]
    batch = messages(history)
    for name in ("direct", "wired"):
        (tmp_path / name).mkdir()
    direct, wired = (ReadModelWriter(engine_for("db", tmp_path / name)) for name in ("direct", "wired"))
    direct.apply_batch(batch, project(batch, projections.apply))
    wired.apply_batch(batch, _from_wire(_to_wire(project(batch, projections.apply))))
    assert diff_digests(table_digests(direct.engine), table_digests(wired.engine)) == []
    assert direct.last_seq() == wired.last_seq() == len(batch)
