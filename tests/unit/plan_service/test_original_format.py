"""The original scpln's canonical JSON is imported as it is: its hierarchy rows, calendars and
renamed cost fields become a canonical-1.0 version, the fields that change results are honoured
(initial-inventory scale, lead times, the original's defaults), and the import says, one note
per rule, what was mapped and what is kept but unused."""

import copy
import json
from datetime import date
from pathlib import Path

import pytest

from contracts.canonical import CanonicalConfig
from contracts.commands import ImportConfig
from contracts.events import ConfigVersionCreated
from runtime.objects import InMemoryObjectStore
from runtime.publisher import InMemoryPublisher
from services.plan_service import configs
from services.plan_service.domain.original_format import is_original, to_canonical
from services.plan_service.domain.pipeline.inputs import build_calendar
from services.plan_service.domain.pipeline.mrp_inputs import on_hand_of
from services.plan_service.domain.validation import validate_document
from services.plan_service.ports import Ports
from services.simulator.engine import simulate
from tests.unit.simulator.sim_helpers import check_invariants

ROOT = Path(__file__).resolve().parents[3]
SEED = ROOT.parent / "shared" / "seed" / "canonical"
SEED_FILES = sorted(SEED.glob("*.json")) if SEED.is_dir() else []

ORIGINAL = {
    "meta": {"version_id": 7, "name": "original", "schema_version": "canonical-1.0", "status": "draft",
             "version_tag": None, "description": None, "parent_version_id": 3, "is_deleted": False,
             "attributes": {"planning_horizon": 28, "initial_inventory_scale": 2}},
    "items": [{"code": "FG", "item_type": "product", "lead_time_days": 3, "unit_cost": 10, "lot_size": None,
               "attributes": {"sales_price": 20}},
              {"code": "C", "item_type": "component", "unit_cost": 2, "safety_stock": None}],
    "nodes": [{"code": "F", "node_type": "factory", "timezone": "Asia/Tokyo", "service_level": None,
               "lead_time_days": 1, "review_period_days": 0, "storage_over_capacity_variable_cost": 5,
               "storage_over_capacity_fixed_cost": 9,
               "inventory_policies": [{"item_code": "C", "initial_inventory": 50, "lead_time_days": 4}],
               "production_policies": [{"item_code": None, "production_capacity": 30, "production_cost_fixed": 100,
                                        "production_cost_variable": 2, "over_capacity_fixed_cost": 7,
                                        "over_capacity_variable_cost": 3}]},
              {"code": "S", "node_type": "store", "region": None,
               "attributes": {"stockout_cost_per_unit": 7, "backorder_cost_per_unit_per_day": 0.5, "lost_sales": True},
               "inventory_policies": [{"item_code": "FG", "initial_inventory": 40, "reorder_point": 20,
                                       "order_up_to": 60}]},
              {"code": "U", "node_type": "supplier"}],
    "arcs": [{"from_node": "F", "to_node": "S", "lead_time_days": 2, "capacity_per_day": 25,
              "transportation_cost_fixed": 11, "transportation_cost_variable": 1.5, "over_capacity_fixed_cost": 4,
              "over_capacity_variable_cost": 6},
             {"from_node": "U", "to_node": "F", "arc_type": "supply", "lead_time_days": 5}],
    "bom": [{"parent_item": "FG", "child_item": "C", "quantity": 1, "scrap_rate": None}],
    "demands": [{"node_code": "S", "item_code": "FG", "bucket": "M1", "mean": 10, "std_dev": 2}],
    "capacities": [{"resource_code": "F", "resource_type": "node", "bucket": "M1", "capacity": 600,
                    "calendar_code": "STD"}],
    "calendars": [{"calendar_code": "STD", "timezone": "Asia/Tokyo",
                   "definition": {"workdays": ["Mon", "Tue", "Wed", "Thu", "Fri"], "exceptions": []}}],
    "hierarchies": [{"hierarchy_type": "product", "node_key": "FG", "parent_key": "FAM", "level": "sku", "sort_order": 1},
                    {"hierarchy_type": "product", "node_key": "FAM", "parent_key": None, "level": "family"},
                    {"hierarchy_type": "location", "node_key": "S", "parent_key": "DC", "level": "store"},
                    {"hierarchy_type": "location", "node_key": "DC", "parent_key": "EAST", "level": "dc"},
                    {"hierarchy_type": "location", "node_key": "EAST", "parent_key": None, "level": "region"}],
}


def ports() -> Ports:
    return Ports(publisher=InMemoryPublisher(), objects=InMemoryObjectStore(), spawn=lambda coro: coro.close())


def notes_of(warnings: list[dict]) -> dict[str, str]:
    return {w["path"]: w["code"] for w in warnings if w["code"].startswith("original_")}


async def test_an_original_document_becomes_a_version_with_notes_of_what_was_mapped_and_kept():
    the_ports = ports()
    imported = await configs.import_config(ImportConfig(document=copy.deepcopy(ORIGINAL)), the_ports)
    assert getattr(imported, "created", False), imported
    [event] = [e for e in the_ports.publisher.events if isinstance(e, ConfigVersionCreated)]
    notes = notes_of(event.warnings)
    assert notes["$.hierarchies[*].node_key"] == notes["$.hierarchies[*].parent_key"] == "original_mapped"
    assert notes["$.meta.attributes.initial_inventory_scale"] == "original_mapped"
    assert notes["$.calendars"] == notes["$.hierarchies[*].level"] == notes["$.nodes[*].timezone"] == "original_unused"
    assert notes["$.arcs[*].over_capacity_fixed_cost"] == "original_unused"
    stored = json.loads(await the_ports.objects.get(event.document.bucket, event.document.key))
    CanonicalConfig.model_validate(stored)
    assert stored["calendars"] == ORIGINAL["calendars"]
    assert stored["meta"]["attributes"]["original_meta"]["version_id"] == 7


def test_fields_that_change_results_are_honoured():
    doc, _ = to_canonical(copy.deepcopy(ORIGINAL))
    config = CanonicalConfig.model_validate(doc)
    factory, store, _supplier = config.nodes
    assert [p.initial_inventory for p in factory.inventory_policies + store.inventory_policies] == [50, 40]
    assert config.planning_inputs.inventory_snapshots == [{"node_code": "F", "item_code": "C", "on_hand": 100},
                                                          {"node_code": "S", "item_code": "FG", "on_hand": 80}]
    assert on_hand_of(config, {"C": 0, "FG": 1}).tolist() == [100, 80]
    assert factory.inventory_policies[0].lead_time_days == 4 and config.items[0].lead_time_days == 3
    assert [a.lead_time_days for a in config.arcs] == [2, 5] and factory.lead_time_days == 1
    production = factory.production_policies[0]
    assert (production.fixed_cost, production.variable_cost, production.over_capacity_cost) == (100, 2, 3)
    assert production.allow_over_capacity is True and config.arcs[0].allow_over_capacity is True
    assert (config.arcs[0].transport_cost_fixed, config.arcs[0].transport_cost_variable) == (11, 1.5)
    assert config.arcs[0].over_capacity_cost == 6 and factory.storage_over_capacity_cost == 5
    assert config.demands[0].demand_model == "normal"
    assert config.meta.parent_version_id == "3" and "initial_inventory_scale" not in config.meta.attributes
    assert (store.inventory_policies[0].stockout_cost, store.inventory_policies[0].backorder_cost) == (7, 0.5)
    assert store.backorder_policy == "lost_sales" and factory.backorder_policy == "backorder"
    families = {h.key: (h.parent, h.family, h.region) for h in config.hierarchies}
    assert families["FG"] == ("FAM", "FAM", None) and families["S"] == ("DC", None, "EAST")


def test_the_inventory_scale_leaves_a_documents_own_planning_inventory_alone():
    document = copy.deepcopy(ORIGINAL) | {"planning_inputs": {"inventory_snapshots": [
        {"node_code": "S", "item_code": "FG", "on_hand": 5}]}}
    doc, notes = to_canonical(document)
    assert doc["planning_inputs"]["inventory_snapshots"] == [{"node_code": "S", "item_code": "FG", "on_hand": 5}]
    assert {"code": "original_unused", "path": "$.meta.attributes.initial_inventory_scale",
            "message": "kept: the document's own planning_inputs.inventory_snapshots stand"} in notes


PLANNING_CALENDAR = {"calendar_code": "PLAN", "attributes": {"calendar_kind": "planning"}, "definition": {
    "calendar_type": "custom", "week_unit": "day", "periods": [
        {"period": "2025-01", "start_date": "2025-01-01", "end_date": "2025-01-31", "weeks": [
            {"week_code": "A", "sequence": 1, "start_date": "2025-01-01", "end_date": "2025-01-14", "weight": 14},
            {"week_code": "B", "sequence": 2, "start_date": "2025-01-15", "end_date": "2025-01-31", "weight": 17}]},
        {"period": "P2", "start_date": "2025-02-01", "end_date": "2025-02-28", "weeks": [
            {"week_code": "2025-W06", "sequence": 3, "start_date": "2025-02-03", "end_date": "2025-02-09", "weight": 0},
            {"week_code": "C", "sequence": 4, "start_date": "2025-02-01", "end_date": "2025-02-28"}]}]}}


def test_a_planning_calendar_becomes_the_calendar_planning_uses():
    document = copy.deepcopy(ORIGINAL)
    document["meta"]["attributes"]["planning_horizon"] = 59
    document["calendars"].append(PLANNING_CALENDAR)
    doc, notes = to_canonical(document)
    assert doc["planning_inputs"]["calendar"] == [
        {"period": "2025-01", "week": "2025-01-01..2025-01-14", "weight": 14.0},
        {"period": "2025-01", "week": "2025-01-15..2025-01-31", "weight": 17.0},
        {"period": "2025-02-01..2025-02-28", "week": "2025-02-01..2025-02-28", "weight": 1.0}]
    assert doc["meta"]["attributes"]["start_date"] == "2025-01-01"
    assert any(n["code"] == "original_mapped" and n["path"] == "$.calendars[1].definition.periods" for n in notes)
    config = CanonicalConfig.model_validate(doc)
    calendar = build_calendar(config, date(2025, 1, 1), config.planning_days)
    assert [p.label for p in calendar.periods] == ["2025-01", "2025-02-01..2025-02-28"]
    assert len(calendar.weeks) == 3 and round(calendar.weight[0], 4) == round(14 / 31, 4)
    assert validate_document(doc).ok


def test_a_planning_calendar_it_cannot_place_is_kept_and_said_so():
    document = copy.deepcopy(ORIGINAL)
    bad = copy.deepcopy(PLANNING_CALENDAR)
    del bad["definition"]["periods"][1]["weeks"][1]["end_date"]
    bad["definition"]["periods"][1]["weeks"][1]["week_code"] = "C"
    document["calendars"].append(bad)
    doc, notes = to_canonical(document)
    assert "calendar" not in doc.get("planning_inputs", {})
    assert any(n["code"] == "original_unused" and n["path"] == "$.calendars[1].definition.periods" for n in notes)


def test_our_own_documents_come_back_unchanged():
    ours = json.loads((ROOT / "samples" / "small.json").read_text())
    assert not is_original(ours)
    assert to_canonical(ours) == (ours, [])


def test_a_run_of_an_imported_original_conserves_flow():
    doc, _ = to_canonical(copy.deepcopy(ORIGINAL))
    check_invariants(simulate(CanonicalConfig.model_validate(doc), seed=3, run_id="r"))


@pytest.mark.skipif(not SEED_FILES, reason="../shared/seed/canonical is not here")
@pytest.mark.parametrize("path", SEED_FILES, ids=lambda p: p.name)
async def test_the_originals_shipped_samples_import_and_run(path):
    document = json.loads(path.read_text())
    the_ports = ports()
    imported = await configs.import_config(ImportConfig(document=document), the_ports)
    assert getattr(imported, "created", False), imported
    [event] = [e for e in the_ports.publisher.events if isinstance(e, ConfigVersionCreated)]
    assert event.planning_days == document["meta"]["attributes"]["planning_horizon"]
    assert event.counts["nodes"] == len(document["nodes"]) and event.counts["demands"] == len(document["demands"])
    stored = CanonicalConfig.model_validate_json(await the_ports.objects.get(event.document.bucket, event.document.key))
    assert len(stored.hierarchies) == len(document["hierarchies"])
    check_invariants(simulate(stored, seed=1, run_id="r"))
