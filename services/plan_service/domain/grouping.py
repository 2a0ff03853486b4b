"""Who belongs to which product family and which region, from a config's hierarchies and attributes."""

from contracts.canonical import CanonicalConfig

UNASSIGNED = "unassigned"


def family_of(config: CanonicalConfig) -> dict[str, str]:
    """Item code → family: ``attributes.family``, else the product hierarchy's family or parent."""
    from_hierarchy = {h.key: h.family or h.parent for h in config.hierarchies if h.hierarchy_type == "product"}
    families = {}
    for item in config.items:
        family = item.attributes.get("family")
        families[item.code] = str(family) if family else (from_hierarchy.get(item.code) or UNASSIGNED)
    return families


def region_of(config: CanonicalConfig) -> dict[str, str]:
    """Node code → region: the location hierarchy's region or parent, else the node's own region."""
    from_hierarchy = {h.key: h.region or h.parent for h in config.hierarchies if h.hierarchy_type == "location"}
    return {node.code: from_hierarchy.get(node.code) or node.region or UNASSIGNED for node in config.nodes}
