"""What an override selects in one config: items, nodes, days; and the codes it names that the config lacks."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from contracts.buckets import DayRange, start_date_of
from contracts.canonical import CanonicalConfig
from services.plan_service.domain.grouping import family_of, region_of

FOREVER = DayRange(-10**9, 10**9)


class OverrideError(ValueError):
    """An override this config cannot take: it names something the config does not have."""

    def __init__(self, index: int, kind: str, message: str) -> None:
        super().__init__(f"overrides[{index}] ({kind}): {message}")
        self.index, self.kind, self.message = index, kind, message


@dataclass(frozen=True)
class Outcome:
    """What one override did to the config."""

    changed: int
    """Entries it changed (rows, policies, arcs, items) or added (capacity rows for its days)."""
    note: str = ""


@dataclass(frozen=True)
class Scope:
    config: CanonicalConfig
    start: date
    horizon: int
    family: dict[str, str]
    """Item code → its family."""
    region: dict[str, str]
    """Node code → its region."""

    @classmethod
    def of(cls, config: CanonicalConfig) -> "Scope":
        return cls(config, start_date_of(config.meta.attributes), config.planning_days, family_of(config),
                   region_of(config))

    def item(self, o: Any, code: str | None) -> bool:
        """Whether the override's item and family selectors take this item (None: an entry for every item)."""
        if code is None:
            return getattr(o, "item", None) is None and getattr(o, "family", None) is None
        return getattr(o, "item", None) in (None, code) and getattr(o, "family", None) in (None, self.family.get(code))

    def node(self, o: Any, code: str) -> bool:
        return getattr(o, "node", None) in (None, code) and getattr(o, "region", None) in (None, self.region.get(code))

    def days(self, o: Any) -> DayRange:
        """The days from..to cover (day 1 = the config's start date); every day when neither is given."""
        first = (o.from_ - self.start).days + 1 if getattr(o, "from_", None) else FOREVER.first
        last = (o.to - self.start).days + 1 if getattr(o, "to", None) else FOREVER.last
        return DayRange(first, last)

    def dated(self, o: Any) -> bool:
        return getattr(o, "from_", None) is not None or getattr(o, "to", None) is not None


def overlap(span: DayRange, window: DayRange) -> DayRange:
    return DayRange(max(span.first, window.first), min(span.last, window.last))


def check_codes(o: Any, scope: Scope, index: int) -> None:
    """Raise ``OverrideError`` for a selector naming an item, family, node, region or arc the config lacks."""
    config = scope.config
    known = {
        "item": {i.code for i in config.items}, "family": set(scope.family.values()),
        "node": {n.code for n in config.nodes}, "region": set(scope.region.values()),
    }
    for field, codes in known.items():
        value = getattr(o, field, None)
        if value is not None and value not in codes:
            listed = ", ".join(sorted(codes)[:20]) + (", …" if len(codes) > 20 else "")
            raise OverrideError(index, o.type, f"{field} {value!r} is not in the config (its {field} codes: {listed})")
    arc = getattr(o, "arc", None)
    if arc is not None and not any((a.from_node, a.to_node) == (arc.from_node, arc.to_node) for a in config.arcs):
        raise OverrideError(index, o.type, f"the config has no arc {arc.from_node} → {arc.to_node}")


def number(value: float) -> float | int:
    """A figure as the document keeps it: rounded off float noise, whole numbers as integers."""
    value = round(float(value), 9)
    return int(value) if value.is_integer() and abs(value) < 2**53 else value
