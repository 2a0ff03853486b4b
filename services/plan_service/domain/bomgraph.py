"""The bill of materials as a graph: its cycles and the low-level code of each item."""

from collections.abc import Iterable


def children_of(lines: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    graph: dict[str, list[str]] = {}
    for parent, child in lines:
        graph.setdefault(parent, []).append(child)
        graph.setdefault(child, [])
    return graph


def find_cycles(lines: Iterable[tuple[str, str]]) -> list[list[str]]:
    """Each cycle closed by a back edge of a depth-first walk, as ``[a, b, …, a]``; none when acyclic."""
    graph = children_of(lines)
    state: dict[str, int] = {}
    cycles: list[list[str]] = []
    for root in sorted(graph):
        if state.get(root):
            continue
        path, stack = [root], [iter(graph[root])]
        state[root] = 1
        while stack:
            child = next(stack[-1], None)
            if child is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(child) == 1:
                cycles.append(path[path.index(child):] + [child])
            elif not state.get(child):
                state[child] = 1
                path.append(child)
                stack.append(iter(graph[child]))
    return cycles


def low_level_codes(lines: Iterable[tuple[str, str]]) -> dict[str, int]:
    """Item → its deepest level in any BOM (0 for top parents); ValueError when the BOM has a cycle."""
    graph = children_of(lines)
    parents_left = {item: 0 for item in graph}
    for children in graph.values():
        for child in children:
            parents_left[child] += 1
    level = dict.fromkeys(graph, 0)
    ready = [item for item, n in parents_left.items() if n == 0]
    while ready:
        item = ready.pop()
        for child in graph[item]:
            level[child] = max(level[child], level[item] + 1)
            parents_left[child] -= 1
            if parents_left[child] == 0:
                ready.append(child)
    if any(parents_left.values()):
        raise ValueError("the BOM has a cycle: " + " → ".join(find_cycles(_pairs(graph))[0]))
    return level


def _pairs(graph: dict[str, list[str]]) -> list[tuple[str, str]]:
    return [(parent, child) for parent, children in graph.items() for child in children]
