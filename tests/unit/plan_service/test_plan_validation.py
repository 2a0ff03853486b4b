"""Importing canonical documents: every error code with a minimal bad document, all errors at once."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from plan_documents import MINIMAL, minimal, sample

from services.plan_service.domain.validation import canonical_bytes, document_sha256, validate_document

FIELDS = ["code", "node_type", "item_code", "bucket", "mean", "from_node", "to_node", "parent_item", "child_item",
          "quantity", "inventory_policies", "production_policies", "attributes", "workcenters", "key",
          "hierarchy_type", "min_order_qty", "resource_code", "capacity", "calendar", "period", "week", "weight"]


def codes(validation, kind="errors"):
    return sorted(issue.code for issue in getattr(validation, kind))


def test_minimal_document_is_valid_and_parsed():
    validation = validate_document(minimal())
    assert validation.ok and validation.errors == [] and validation.warnings == []
    assert validation.config.items[0].code == "P1"


@pytest.mark.parametrize("name", ["small", "medium", "large"])
def test_shipped_samples_are_valid(name):
    validation = validate_document(sample(name))
    assert validation.ok, [issue.as_dict() for issue in validation.errors]


def test_shape_errors_carry_json_paths():
    document = minimal(nodes=[*MINIMAL["nodes"], {"code": "X", "node_type": "castle"}])
    document["items"][1]["lot_size"] = -1
    validation = validate_document(document)
    paths = {issue.path for issue in validation.errors if issue.code == "schema"}
    assert paths == {"$.nodes[2].node_type", "$.items[1].lot_size"}
    assert validation.config is None and not validation.ok


def test_not_an_object_is_a_schema_error():
    assert [issue.as_dict() for issue in validate_document([]).errors] == [
        {"code": "schema", "path": "$", "message": "the document must be a JSON object"}]


BAD = {
    "duplicate_item_code": ({"items": [*MINIMAL["items"], {"code": "P1"}]}, "$.items[2].code"),
    "duplicate_node_code": ({"nodes": [*MINIMAL["nodes"], {"code": "S1", "node_type": "store"}]}, "$.nodes[2].code"),
    "policy_unknown_item": ({"nodes": [{"code": "S1", "node_type": "store", "inventory_policies": [{"item_code": "Z"}]},
                                       MINIMAL["nodes"][1]]}, "$.nodes[0].inventory_policies[0].item_code"),
    "production_unknown_item": ({"nodes": [MINIMAL["nodes"][0], {"code": "F1", "node_type": "factory",
                                                                 "production_policies": [{"item_code": "Z"}]}]},
                                "$.nodes[1].production_policies[0].item_code"),
    "arc_unknown_node": ({"arcs": [{"from_node": "F1", "to_node": "NOWHERE"}]}, "$.arcs[0].to_node"),
    "arc_min_order_unknown_item": ({"arcs": [{"from_node": "F1", "to_node": "S1", "min_order_qty": {"Z": 5}}]},
                                   "$.arcs[0].min_order_qty.Z"),
    "arc_order_multiple_unknown_item": ({"arcs": [{"from_node": "F1", "to_node": "S1", "order_multiple": {"Z": 5}}]},
                                        "$.arcs[0].order_multiple.Z"),
    "bom_unknown_item": ({"bom": [{"parent_item": "P1", "child_item": "Z", "quantity": 1}]}, "$.bom[0].child_item"),
    "demand_unknown_node": ({"demands": [{"node_code": "Z", "item_code": "P1", "bucket": "W1", "mean": 1}]},
                            "$.demands[0].node_code"),
    "demand_unknown_item": ({"demands": [{"node_code": "S1", "item_code": "Z", "bucket": "W1", "mean": 1}]},
                            "$.demands[0].item_code"),
    "demand_bad_bucket": ({"demands": [{"node_code": "S1", "item_code": "P1", "bucket": "Q7", "mean": 1}]},
                          "$.demands[0].bucket"),
    "capacity_unknown_resource": ({"capacities": [{"resource_code": "Z", "capacity": 1}]}, "$.capacities[0].resource_code"),
    "capacity_bad_bucket": ({"capacities": [{"resource_code": "F1", "bucket": "2025-13", "capacity": 1}]},
                            "$.capacities[0].bucket"),
    "hierarchy_unknown_key": ({"hierarchies": [{"hierarchy_type": "location", "key": "Z", "region": "N"}]},
                              "$.hierarchies[0].key"),
    "planning_unknown_item": ({"planning_inputs": {"mix_shares": [{"family": "FAM", "item_code": "Z", "share": 1}]}},
                              "$.planning_inputs.mix_shares[0].item_code"),
    "planning_unknown_node": ({"planning_inputs": {"inventory_snapshots": [{"node_code": "Z", "item_code": "P1",
                                                                            "on_hand": 1}]}},
                              "$.planning_inputs.inventory_snapshots[0].node_code"),
    "planning_missing_field": ({"planning_inputs": {"family_demand": [{"family": "FAM", "period": "M1"}]}},
                               "$.planning_inputs.family_demand[0]"),
    "planning_bad_number": ({"planning_inputs": {"mix_shares": [{"family": "FAM", "item_code": "P1", "share": -1}]}},
                            "$.planning_inputs.mix_shares[0].share"),
    "non_finite_number": ({"capacities": [{"resource_code": "F1", "bucket": "", "capacity": float("inf")}]},
                          "$.capacities[0].capacity"),
    "planning_bad_bucket": ({"planning_inputs": {"calendar": [{"period": "M1", "week": "week one", "weight": 1}]}},
                            "$.planning_inputs.calendar[0].week"),
}


@pytest.mark.parametrize("code", sorted(BAD))
def test_each_error_code_with_a_minimal_bad_document(code):
    changes, path = BAD[code]
    validation = validate_document(minimal(**changes))
    assert [(issue.code, issue.path) for issue in validation.errors] == [(code, path)]
    assert validation.config is None and validation.errors[0].message


def test_bad_start_date():
    document = minimal(meta={"name": "x", "attributes": {"planning_horizon": 7, "start_date": "someday"}})
    assert codes(validate_document(document)) == ["bad_start_date"]


def test_bom_cycle_is_named():
    bom = [{"parent_item": "P1", "child_item": "C1", "quantity": 1}, {"parent_item": "C1", "child_item": "P1", "quantity": 1}]
    [issue] = validate_document(minimal(bom=bom)).errors
    assert issue.code == "bom_cycle" and issue.path == "$.bom[0]"
    assert issue.message == "BOM cycle: C1 → P1 → C1"


def test_every_error_is_listed_at_once_shape_and_references_together():
    changes = {code: BAD[code][0] for code in BAD}
    document = minimal(items=[*MINIMAL["items"], {"code": "P1"}], nodes=[*MINIMAL["nodes"], {"code": "S1"}],
                       arcs=BAD["arc_unknown_node"][0]["arcs"] + BAD["arc_min_order_unknown_item"][0]["arcs"],
                       bom=BAD["bom_unknown_item"][0]["bom"],
                       demands=[*changes["demand_unknown_node"]["demands"], *changes["demand_bad_bucket"]["demands"]],
                       capacities=changes["capacity_unknown_resource"]["capacities"])
    validation = validate_document(document)
    assert codes(validation) == sorted([
        "schema", "duplicate_item_code", "duplicate_node_code", "arc_unknown_node", "arc_min_order_unknown_item",
        "bom_unknown_item", "demand_unknown_node", "demand_bad_bucket", "capacity_unknown_resource"])
    assert [i.path for i in validation.errors if i.code == "schema"] == ["$.nodes[2].node_type"]


def test_warnings_are_kept_and_do_not_block():
    nodes = [MINIMAL["nodes"][0], {"code": "F1", "node_type": "factory", "production_policies": [
        {"item_code": None, "production_capacity": 5}, {"item_code": None, "production_capacity": 6}]}]
    document = minimal(
        nodes=nodes, arcs=[*MINIMAL["arcs"], {"from_node": "F1", "to_node": "S1"}, {"from_node": "S1", "to_node": "S1"}],
        hierarchies=[*MINIMAL["hierarchies"], {"key": "P1", "family": "OTHER"}],
        demands=[*MINIMAL["demands"], {"node_code": "S1", "item_code": "P1", "bucket": "W9", "mean": 1}],
    )
    document["meta"]["attributes"].pop("planning_horizon")
    validation = validate_document(document)
    assert validation.ok and validation.config is not None
    assert codes(validation, "warnings") == [
        "duplicate_arc", "duplicate_hierarchy_key", "duplicate_production_policy", "empty_horizon", "self_loop"]
    document["meta"]["attributes"]["planning_horizon"] = 28
    assert "bucket_outside_horizon" in codes(validate_document(document), "warnings")


def test_unknown_attribute_keys_are_kept():
    document = minimal()
    document["items"][0]["attributes"]["colour"] = "teal"
    document["nodes"][0]["attributes"] = {"workcenters": ["WC1"], "anything": {"nested": 1}}
    document["capacities"].append({"resource_code": "WC1", "resource_type": "workcenter", "capacity": 3})
    validation = validate_document(document)
    assert validation.ok
    assert validation.config.items[0].attributes["colour"] == "teal"
    assert validation.config.nodes[0].attributes["anything"] == {"nested": 1}


def test_canonical_bytes_ignore_key_order_and_spacing():
    first, second = minimal(), dict(reversed(list(minimal().items())))
    second["meta"] = {"attributes": first["meta"]["attributes"], "name": "minimal"}
    assert canonical_bytes(first) == canonical_bytes(second)
    assert document_sha256(first) == document_sha256(second)
    assert document_sha256(first) != document_sha256(minimal(demands=[]))
    assert b" " not in canonical_bytes({"a": [1, 2], "b": "é"}) and "é".encode() in canonical_bytes({"b": "é"})


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.floats(allow_nan=True) | st.sampled_from(["P1", "S1", "M1", "x"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(FIELDS), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(top=st.sampled_from([k for k in MINIMAL if k != "meta"]), value=json_values, k=st.integers(0, 1))
def test_any_malformed_part_is_reported_never_raised(top, value, k):
    document = minimal()
    if isinstance(document[top], list) and k < len(document[top]):
        document[top][k] = value
    else:
        document[top] = value
    validation = validate_document(document)
    assert all(issue.code and issue.path.startswith("$") for issue in validation.errors + validation.warnings)
    assert validation.ok == (validation.config is not None)


@pytest.mark.parametrize(("top", "part"), [
    ("nodes", {"code": "S1", "node_type": "store", "attributes": {"workcenters": 5}}),
    ("hierarchies", {"key": "P1", "hierarchy_type": ["product"]}),
    ("planning_inputs", {"calendar": [{"period": ["M1"], "week": {}, "weight": "a"}], "family_demand": "x"}),
    ("meta", {"name": "x", "attributes": {"start_date": 5, "planning_horizon": "long"}}),
])
def test_odd_values_are_reported_not_raised(top, part):
    document = minimal()
    if isinstance(document.get(top), list):
        document[top][0] = part
    else:
        document[top] = part
    validation = validate_document(document)
    assert not validation.ok or top == "nodes"


@settings(max_examples=200, deadline=None)
@given(top=st.sampled_from(["items", "nodes", "arcs", "bom", "demands", "capacities", "hierarchies"]),
       field=st.sampled_from(FIELDS), value=json_values)
def test_any_odd_field_value_is_reported_never_raised(top, field, value):
    document = minimal()
    document[top][0][field] = value
    validation = validate_document(document)
    assert validation.ok == (validation.config is not None)
