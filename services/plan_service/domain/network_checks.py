"""Cross-reference checks of the network: codes, policies, arcs and the BOM (raw document, any shape)."""

from services.plan_service.domain.bomgraph import find_cycles
from services.plan_service.domain.issues import Issue, codes, rows, text


def duplicate_codes(document: dict, key: str, code: str, label: str) -> list[Issue]:
    seen: dict[str, int] = {}
    issues = []
    for index, row in rows(document, key):
        value = text(row, "code")
        if value is None:
            continue
        if value in seen:
            issues.append(Issue(code, f"$.{key}[{index}].code",
                                f"{label} code {value!r} is already used by $.{key}[{seen[value]}]"))
        else:
            seen[value] = index
    return issues


def policy_issues(document: dict, items: set[str]) -> tuple[list[Issue], list[Issue]]:
    errors, warnings = [], []
    for n, node in rows(document, "nodes"):
        for p, policy in rows(node, "inventory_policies"):
            item = text(policy, "item_code")
            if item is not None and item not in items:
                errors.append(Issue("policy_unknown_item", f"$.nodes[{n}].inventory_policies[{p}].item_code",
                                    f"inventory policy of node {node.get('code')!r} names unknown item {item!r}"))
        seen: dict[str | None, int] = {}
        for p, policy in rows(node, "production_policies"):
            item = text(policy, "item_code")
            path = f"$.nodes[{n}].production_policies[{p}]"
            if item is not None and item not in items:
                errors.append(Issue("production_unknown_item", f"{path}.item_code",
                                    f"production policy of node {node.get('code')!r} names unknown item {item!r}"))
            if item in seen:
                what = f"item {item!r}" if item is not None else "the whole node"
                warnings.append(Issue("duplicate_production_policy", path,
                                      f"a second production policy for {what} (first at index {seen[item]})"))
            else:
                seen[item] = p
    return errors, warnings


def arc_issues(document: dict, nodes: set[str], items: set[str]) -> tuple[list[Issue], list[Issue]]:
    errors, warnings = [], []
    seen: dict[tuple, int] = {}
    for index, arc in rows(document, "arcs"):
        path = f"$.arcs[{index}]"
        ends = text(arc, "from_node"), text(arc, "to_node")
        for side, node in zip(("from_node", "to_node"), ends):
            if node is not None and node not in nodes:
                errors.append(Issue("arc_unknown_node", f"{path}.{side}", f"arc {side} names unknown node {node!r}"))
        for field, code in (("min_order_qty", "arc_min_order_unknown_item"),
                            ("order_multiple", "arc_order_multiple_unknown_item")):
            per_item = arc.get(field)
            for item in per_item if isinstance(per_item, dict) else ():
                if item not in items:
                    errors.append(Issue(code, f"{path}.{field}.{item}", f"arc {field} names unknown item {item!r}"))
        if None in ends:
            continue
        if ends[0] == ends[1]:
            warnings.append(Issue("self_loop", path, f"arc from {ends[0]!r} to itself"))
        key = (*ends, arc.get("arc_type", "transport"))
        if key in seen:
            warnings.append(Issue("duplicate_arc", path, f"arc {ends[0]!r} → {ends[1]!r} repeats $.arcs[{seen[key]}]"))
        else:
            seen[key] = index
    return errors, warnings


def bom_issues(document: dict, items: set[str]) -> list[Issue]:
    errors, edges, where = [], [], {}
    for index, line in rows(document, "bom"):
        parent, child = text(line, "parent_item"), text(line, "child_item")
        for field, item in (("parent_item", parent), ("child_item", child)):
            if item is not None and item not in items:
                errors.append(Issue("bom_unknown_item", f"$.bom[{index}].{field}", f"BOM line names unknown item {item!r}"))
        if parent is not None and child is not None:
            edges.append((parent, child))
            where.setdefault((parent, child), index)
    for cycle in find_cycles(edges):
        closing = where[(cycle[-2], cycle[-1])]
        errors.append(Issue("bom_cycle", f"$.bom[{closing}]", "BOM cycle: " + " → ".join(cycle)))
    return errors


def check_network(document: dict) -> tuple[list[Issue], list[Issue]]:
    items, nodes = codes(document, "items"), codes(document, "nodes")
    errors = duplicate_codes(document, "items", "duplicate_item_code", "item")
    errors += duplicate_codes(document, "nodes", "duplicate_node_code", "node")
    policy_errors, warnings = policy_issues(document, items)
    arc_errors, arc_warnings = arc_issues(document, nodes, items)
    return errors + policy_errors + arc_errors + bom_issues(document, items), warnings + arc_warnings
