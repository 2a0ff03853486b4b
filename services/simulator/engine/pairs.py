"""Which node-item pairs exist, where each one is sourced from, and their echelons.

A pair exists when an inventory policy, a demand row or a production policy names it, when a
BOM line needs it as a component of a pair produced at the node, or when an infinite-source
node is asked for it over an arc. A pair is an infinite source when its node has
``infinite_source`` and it is not produced there (so an infinite factory makes its products
and draws everything else, e.g. components, from an unlimited source). Sourcing rule: any
other pair that is not produced orders over the first arc into its node (config order) whose
source node holds the item, else over the first arc from an infinite-source node.
Echelon: 0 for pairs nothing depends on; otherwise one more than the highest echelon of the
pairs it feeds (by arc or as a BOM component), so processing echelons upward sees every
downstream order before the upstream pair ships.
"""

from dataclasses import dataclass, field

from contracts.canonical import CanonicalConfig

from .errors import SimulationInputError


@dataclass
class PairGraph:
    pairs: list[tuple[str, str]]
    upstream: dict[int, int] = field(default_factory=dict)
    arc_of: dict[int, int] = field(default_factory=dict)
    produced: set[int] = field(default_factory=set)
    infinite: set[int] = field(default_factory=set)
    echelon: list[int] = field(default_factory=list)

    def index(self) -> dict[tuple[str, str], int]:
        return {pair: k for k, pair in enumerate(self.pairs)}


def _check_codes(config: CanonicalConfig) -> None:
    items = {i.code for i in config.items}
    nodes = {n.code for n in config.nodes}
    problems = [f"policy of {n.code} names unknown item {p.item_code}" for n in config.nodes
                for p in [*n.inventory_policies, *n.production_policies] if p.item_code and p.item_code not in items]
    problems += [f"arc {a.from_node}->{a.to_node} names an unknown node" for a in config.arcs
                 if {a.from_node, a.to_node} - nodes]
    problems += [f"BOM line {b.parent_item}->{b.child_item} names an unknown item" for b in config.bom
                 if {b.parent_item, b.child_item} - items]
    problems += [f"demand at unknown node/item {d.node_code}/{d.item_code}" for d in config.demands
                 if d.node_code not in nodes or d.item_code not in items]
    if len(items) != len(config.items) or len(nodes) != len(config.nodes):
        problems.append("duplicate item or node codes")
    if problems:
        raise SimulationInputError("; ".join(problems))


def produced_items(config: CanonicalConfig, node) -> list[str]:
    """Items a node makes: those its production policies name, and with a node-wide policy
    every product or BOM parent it holds."""
    named = [p.item_code for p in node.production_policies if p.item_code]
    if any(p.item_code is None for p in node.production_policies):
        makeable = {b.parent_item for b in config.bom} | {i.code for i in config.items if i.item_type == "product"}
        named += [p.item_code for p in node.inventory_policies if p.item_code in makeable]
    return list(dict.fromkeys(named))


def build_pairs(config: CanonicalConfig) -> PairGraph:
    _check_codes(config)
    children: dict[str, list[str]] = {}
    for line in config.bom:
        children.setdefault(line.parent_item, []).append(line.child_item)
    pairs: dict[tuple[str, str], None] = {}
    made: set[tuple[str, str]] = set()
    for node in config.nodes:
        for policy in node.inventory_policies:
            pairs[node.code, policy.item_code] = None
        for item in produced_items(config, node):
            made.add((node.code, item))
            pairs[node.code, item] = None
            for child in children.get(item, []):
                pairs[node.code, child] = None
    for demand in config.demands:
        pairs[demand.node_code, demand.item_code] = None
    graph = PairGraph(pairs=list(pairs))
    _source(config, graph, made)
    graph.echelon = _echelons(graph, children)
    return graph


def _source(config: CanonicalConfig, graph: PairGraph, made: set) -> None:
    """Fills upstream, arc_of, produced and infinite; may add pairs at infinite sources."""
    nodes = {n.code: n for n in config.nodes}
    held = graph.index()
    inbound_arcs: dict[str, list[tuple[int, str]]] = {}
    for a, arc in enumerate(config.arcs):
        if arc.to_node != arc.from_node:
            inbound_arcs.setdefault(arc.to_node, []).append((a, arc.from_node))
    k = 0
    while k < len(graph.pairs):
        node, item = graph.pairs[k]
        if (node, item) in made:
            graph.produced.add(k)
        elif nodes[node].infinite_source:
            graph.infinite.add(k)
        else:
            inbound = inbound_arcs.get(node, [])
            held_by = [(a, src) for a, src in inbound if (src, item) in held]
            unlimited = [(a, src) for a, src in inbound if nodes[src].infinite_source]
            if not held_by and unlimited:
                held[unlimited[0][1], item] = len(graph.pairs)
                graph.pairs.append((unlimited[0][1], item))
                held_by = unlimited[:1]
            if held_by:
                graph.upstream[k], graph.arc_of[k] = held[held_by[0][1], item], held_by[0][0]
        k += 1


def _echelons(graph: PairGraph, children: dict[str, list[str]]) -> list[int]:
    held = graph.index()
    feeds: dict[int, list[int]] = {k: [] for k in range(len(graph.pairs))}
    for down, up in graph.upstream.items():
        feeds[up].append(down)
    for k in graph.produced:
        node, item = graph.pairs[k]
        for child in children.get(item, []):
            feeds[held[node, child]].append(k)
    level: dict[int, int] = {}
    visiting: set[int] = set()

    def depth(k: int) -> int:
        if k in level:
            return level[k]
        if k in visiting:
            raise SimulationInputError(f"sourcing or BOM cycle through {graph.pairs[k][0]}/{graph.pairs[k][1]}")
        visiting.add(k)
        level[k] = 1 + max((depth(d) for d in feeds[k]), default=-1)
        visiting.discard(k)
        return level[k]

    return [depth(k) for k in range(len(graph.pairs))]
