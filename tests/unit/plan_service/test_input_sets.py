"""The original scpln's planning input sets, read as canonical configs; the planning pipeline uses
their open purchase orders, period costs and scores and planning calendar."""

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from contracts.canonical import CanonicalConfig
from contracts.input_sets import InputSetError, gather
from services.plan_service.domain.input_set import read_input_set
from services.plan_service.domain.pipeline import run_pipeline
from services.plan_service.domain.validation import validate_document

SEED = Path(__file__).resolve().parents[4] / "shared" / "seed" / "input_set"


def seed_files() -> dict[str, str]:
    if not SEED.is_dir():
        pytest.skip("the shared seed input set is not here")
    return gather((p.name, p.read_bytes()) for p in SEED.iterdir())


def config_of(files: dict[str, str]) -> CanonicalConfig:
    document, _ = read_input_set(files)
    validation = validate_document(document)
    assert validation.ok, [e.as_dict() for e in validation.errors]
    assert validation.config is not None
    return validation.config


def problems(files: dict[str, str]) -> list[dict]:
    with pytest.raises(InputSetError) as caught:
        read_input_set(files)
    return caught.value.problems


def test_the_seed_input_set_becomes_a_plannable_config_with_its_own_planning_inputs():
    files = seed_files()
    _, notes = read_input_set(files)
    config = config_of(files)
    given = config.planning_inputs
    assert config.meta.name == "weekly_forecast_set_v1" and config.meta.attributes["start_date"] == "2025-01-01"
    assert config.planning_days == 365
    assert {r["family"] for r in given.family_demand} == {"F1", "F2"}
    assert {(r["family"], r["item_code"], r["share"]) for r in given.mix_shares} == {
        ("F1", "SKU1", 0.6), ("F1", "SKU2", 0.4), ("F2", "SKU3", 1.0)}
    assert given.inbound_orders == [{"item_code": "COMP1", "day": 10, "quantity": 100.0, "due": "2025-01-10"}]
    assert len(given.period_costs) == 12 and len(given.period_scores) == 12
    assert {i.code: (i.lead_time_days, i.lot_size, i.item_type) for i in config.items}["COMP1"] == (14, 1.0, "component")
    demand = sum(d.mean for d in config.demands)
    assert demand == pytest.approx(sum(r["demand"] for r in given.family_demand))
    assert {n.node_type for n in config.nodes} == {"store", "factory", "supplier"}
    assert any(n["code"] == "input_set_derived" and "network" in n["message"] for n in notes)
    assert any("canonical_sample_name" in n["path"] for n in notes)
    result = run_pipeline(config, options={})
    assert result.kpis["demand_total"] == pytest.approx(demand) and result.kpis["rollup_ok"] == 1.0
    assert result.artifacts["aggregate"]["families"] == ["F1", "F2"]


def test_open_purchase_orders_are_mrp_scheduled_receipts_in_the_week_they_are_due():
    files = seed_files()
    config = config_of(files)
    mrp = run_pipeline(config, options={}).artifacts["mrp"]
    k = [i["item"] for i in mrp["items"]].index("COMP1")
    assert mrp["scheduled_receipts"][k][1] == 100.0 and sum(mrp["scheduled_receipts"][k]) == 100.0  # days 8..14
    without = config_of({**files, "open_po.csv": "item,due,qty\n"})
    mrp_without = run_pipeline(without, options={}).artifacts["mrp"]
    assert sum(mrp_without["planned_receipts"][k]) == pytest.approx(sum(mrp["planned_receipts"][k]) + 100.0)


SHORT = {  # capacity 100 a month; February asks 150: 50 short, January and March have room
    "demand_family.csv": "family,period,demand\nF,2025-01,60\nF,2025-02,150\nF,2025-03,60\n",
    "mix_share.csv": "family,sku,share\nF,A,1\n",
    "capacity.csv": "workcenter,period,capacity\nWC1,2025-01,100\nWC1,2025-02,100\nWC1,2025-03,100\n",
}


def carried(files: dict[str, str]) -> tuple[list[dict], list[float]]:
    aggregate = run_pipeline(config_of(files), options={}).artifacts["aggregate"]
    return aggregate["carryover"], [r["supply"] for r in aggregate["rows"]]


def test_period_costs_and_scores_choose_where_a_shortfall_is_supplied():
    # without costs or scores February's shortfall stays backlog, as before
    moves, supply = carried(SHORT)
    assert moves == [] and supply == [60, 100, 60]
    # March costs more than January: the shortfall is built ahead in January
    moves, supply = carried({**SHORT, "period_cost.csv": "period,cost\n2025-01,100\n2025-02,100\n2025-03,300\n"})
    assert [(m["from_period"], m["to_period"], m["quantity"]) for m in moves] == [("2025-02", "2025-01", 40)] + [
        ("2025-02", "2025-03", 10)]
    assert supply == [100, 100, 70]
    # March scores higher: supplied late, in March
    moves, supply = carried({**SHORT, "period_score.csv": "period,score\n2025-01,0.5\n2025-02,1\n2025-03,1\n"})
    assert [(m["to_period"], m["quantity"]) for m in moves] == [("2025-03", 40), ("2025-01", 10)]
    assert supply == [70, 100, 100]


def test_cells_are_read_as_the_format_allows_and_every_problem_names_file_row_and_column():
    files = {**SHORT,
             "demand_family.csv": "\ufefffamily, period ,demand,comment\n\nF,2025-01,\"1,000\",x\nF,2025-02,60,\n",
             "item.csv": "item,lt,lot,moq\nA,7,10,0\n"}
    config = config_of(files)
    assert sorted(r["demand"] for r in config.planning_inputs.family_demand) == [60, 1000]
    broken = {**files, "item.csv": "item,lt,lot,moq\nA,7,10,0\nB,seven,1,0\n",
              "mix_share.csv": "family,sku,share\nF,A,-1\n", "bom.csv": "parent,child\nA,B\n"}
    found = {(p["file"], p["row"], p["column"]) for p in problems(broken)}
    assert found == {("item.csv", 3, "lt"), ("mix_share.csv", 2, "share"), ("bom.csv", 1, "qty")}
    assert all(p["path"].startswith(p["file"]) and p["message"] for p in problems(broken))


def test_a_missing_required_file_and_text_that_is_not_utf8_are_refused():
    assert [(p["file"], p["row"]) for p in problems({"demand_family.csv": SHORT["demand_family.csv"]})] == [
        ("mix_share.csv", None)]
    with pytest.raises(InputSetError) as caught:
        gather([("demand_family.csv", b"family,period,demand\nF,2025-01,1\n\xff\n")])
    assert caught.value.problems[0]["file"] == "demand_family.csv" and caught.value.problems[0]["row"] == 3


def test_a_zip_of_the_folder_is_the_input_set():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in SHORT.items():
            archive.writestr(f"my_set/{name}", text)
        archive.writestr("__MACOSX/my_set/._mix_share.csv", b"\x00\x05")
    assert gather([("my_set.zip", buffer.getvalue())]) == SHORT
    with pytest.raises(InputSetError):
        gather([("broken.zip", b"PK not a zip")])


def test_the_planning_calendar_gives_the_periods_weeks_and_weights():
    weeks = [("2025-W01", "2025-01-01", "2025-01-05", 5), ("2025-W02", "2025-01-06", "2025-01-12", 7),
             ("2025-W03", "2025-01-13", "2025-01-19", 7), ("2025-W04", "2025-01-20", "2025-01-26", 7),
             ("2025-W05", "2025-01-27", "2025-01-31", 5)]
    calendar = {"calendar_type": "custom", "periods": [{
        "period": "P1", "start_date": "2025-01-01", "end_date": "2025-01-31",
        "weeks": [{"week_code": c, "sequence": k, "start_date": a, "end_date": b, "weight": w}
                  for k, (c, a, b, w) in enumerate(weeks)]}],
        "period_cost": [{"period": "P1", "cost": 10}], "period_score": []}
    files = {"demand_family.csv": "family,period,demand\nF,P1,310\n", "mix_share.csv": "family,sku,share\nF,A,1\n",
             "planning_calendar.json": json.dumps(calendar)}
    config = config_of(files)
    assert config.planning_days == 31 and config.planning_inputs.period_costs == [
        {"period": "2025-01-01..2025-01-31", "cost": 10.0}]  # P1 is no period this system reads: its dates are
    allocate = run_pipeline(config, options={}).artifacts["allocate"]
    assert np.allclose(allocate["week_supply"][0], [50, 70, 70, 70, 50])
    unknown = {**files, "planning_calendar.json": json.dumps({"periods": [{"period": "P1", "weeks": []}]})}
    assert any(p["file"] == "planning_calendar.json" for p in problems(unknown))


def test_a_run_of_the_derived_network_conserves_stock_and_sells():
    from tests.unit.simulator.sim_helpers import run

    out = run(config_of(seed_files()))
    assert out.summary.store_demand_total == pytest.approx(3780.0) and out.summary.fill_rate > 0.9


def test_laid_over_a_base_config_its_network_stays_and_the_input_set_plans():
    base = json.loads((Path(__file__).resolve().parents[3] / "samples" / "small.json").read_text())
    files = {**SHORT, "demand_family.csv": "family,period,demand\nFAM1,2025-01,300\nFAM1,2025-02,280\n",
             "mix_share.csv": "family,sku,share\nFAM1,P1,1\n", "item.csv": "item,lt,lot,moq\nP1,2,5,0\n",
             "open_po.csv": "item,due,qty\nC1,2025-01-05,50\n"}
    document, notes = read_input_set(files, "over small", base)
    config = CanonicalConfig.model_validate(document)
    assert [n.code for n in config.nodes] == [n["code"] for n in base["nodes"]] and config.meta.name == "over small"
    items = {i.code: i for i in config.items}
    assert (items["P1"].lot_size, items["C1"].lot_size) == (5, 10)  # C1 is not in item.csv: the base's stays
    assert {d.item_code for d in config.demands} == {"P1"} and sum(d.mean for d in config.demands) == 580
    assert run_pipeline(config, options={}).kpis["demand_total"] == 580
    assert any("laid over 'Small network'" in n["message"] for n in notes)


def test_a_demand_period_capacity_csv_does_not_list_has_no_capacity_as_in_the_original():
    files = {**SHORT, "capacity.csv": "workcenter,period,capacity\nWC1,2025-01,100\nWC2,2025-01,50\n"}
    rows = run_pipeline(config_of(files), options={}).artifacts["aggregate"]["rows"]
    assert [(r["capacity"], r["supply"]) for r in rows] == [(150, 60), (0, 0), (0, 0)]


def test_what_the_originals_export_writes_is_read_column_aliases_too():
    files = {"demand_family.csv": "family,period,demand\nF,2025-01,60\n",
             "mix_share.csv": "family_code,sku_code,share\nF,A,1\n",
             "inventory.csv": "loc,item,qty\nDC,A,5\n", "open_po.csv": "item_code,due_date,qty,po_id\nA,2025-01-20,7,PO1\n",
             "input_set_meta.json": json.dumps({"id": 3, "label": "exported_set", "status": "ready"}),
             "planning_params.json": json.dumps({"carryover_mode": "auto", "recon_window_days": 14})}
    document, notes = read_input_set(files)
    assert document["meta"]["name"] == "exported_set"
    assert document["planning_inputs"]["inbound_orders"][0]["quantity"] == 7
    assert document["meta"]["attributes"]["original_input_set"]["planning_params"]["recon_window_days"] == 14
    assert any(n["path"] == "planning_params" for n in notes)
