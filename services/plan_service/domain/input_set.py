"""An original scpln planning input set, read as a canonical-1.0 document at import.

What the files mean (as the original's planning scripts read them) and where they go:

- ``demand_family.csv`` (family, period, demand; required): ``planning_inputs.family_demand``, the
  aggregate step's demand. Rows of one family and period add up.
- ``mix_share.csv`` (family, sku, share; required): ``planning_inputs.mix_shares``, the allocate
  step's split (normalised per family). A family with demand and no mix row is planned as one item
  of its own name, as the original does.
- ``item.csv`` (item, lt, lot, moq): the items' lead time (days, rounded up to whole days), lot size
  (at least 1, as the original rounds) and minimum order, which MRP uses. Absent columns or cells:
  0, 1, 0.
- ``bom.csv`` (parent, child, qty): the BOM MRP explodes; rows with qty 0 are left out, as in the original.
- ``capacity.csv`` (workcenter, period, capacity): the workcenters of one period summed (the original
  plans them as one pool) → capacity rows of the plant; the aggregate and reconcile steps and the
  simulator's production limit read them. A demand period it does not list has no capacity, as in
  the original; without the file production is not limited.
- ``inventory.csv`` (item, loc, qty): ``planning_inputs.inventory_snapshots`` (MRP's on hand) and
  the locations' opening stock in runs.
- ``open_po.csv`` (item, due, qty): ``planning_inputs.inbound_orders``, MRP's scheduled receipts in
  the week of ``due`` (a date; a period means its last day, as the original puts it in the period's
  last week).
- ``period_cost.csv`` / ``period_score.csv`` (period, cost / score): ``planning_inputs.period_costs``
  / ``period_scores``; the aggregate step carries a shortfall into the neighbouring period they favour.
- ``planning_calendar.json`` (periods with their weeks and week weights): ``planning_inputs.calendar``;
  its ``period_cost`` / ``period_score`` lists are read when the CSV files are absent.
- ``meta.json`` (label, canonical_sample_name, description): the config's name and description; the
  sample it names is recorded, not laid over (its items are not the input set's).

An input set has no network, so one is derived and said so in the notes: a plant making every
product (the workcenters' capacity its limit), a supplier (infinite) of the components, and each
inventory location a store selling the products it stocks (a warehouse if it sells none); item demand = family demand ×
mix share, at the location that stocks the item (else the first location). ``base`` lays the input
set over an existing config instead: its network stays, the input set replaces its planning inputs,
items and demand.

Cells: surrounding blanks dropped; blank lines skipped; numbers may group thousands with commas
(``1,000``); the column names the original's importer also reads (``family_code``, ``sku_code``,
``resource_code``, ``node_code``, ``item_code``, ``initial_qty``, ``due_date``) are read as theirs;
extra columns and unknown files are kept out and named in a note. What the original's export
writes besides (``input_set_meta.json``: its label names the config when meta.json is absent;
``planning_params.json``) is read or recorded. Every problem names
the file, the row (the header is row 1) and the column; all are reported at once.
"""

import csv
import json
import math
import re
from datetime import date, timedelta
from typing import Any

from contracts.buckets import DEFAULT_START, BucketError, day_range
from contracts.input_sets import InputSetError, problem
from services.plan_service.domain.original_format import _label

Note = dict[str, str]
MAPPED, DERIVED, UNUSED = "input_set_mapped", "input_set_derived", "input_set_unused"

COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # file: (required columns, optional columns)
    "demand_family.csv": (("family", "period", "demand"), ()),
    "mix_share.csv": (("family", "sku", "share"), ()),
    "item.csv": (("item",), ("lt", "lot", "moq")),
    "bom.csv": (("parent", "child", "qty"), ()),
    "capacity.csv": (("workcenter", "period", "capacity"), ("resource_type",)),
    "inventory.csv": (("item", "qty"), ("loc",)),
    "open_po.csv": (("item", "due", "qty"), ("po_id",)),
    "period_cost.csv": (("period", "cost"), ()),
    "period_score.csv": (("period", "score"), ()),
}
ALIASES = {"family_code": "family", "sku_code": "sku", "resource_code": "workcenter", "node_code": "loc",
           "item_code": "item", "initial_qty": "qty", "due_date": "due"}
"""Column names the original's importer also reads, as the names here."""
REQUIRED_FILES = ("demand_family.csv", "mix_share.csv")
JSON_FILES = ("planning_calendar.json", "meta.json", "input_set_meta.json", "planning_params.json")
NUMBER = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d*)(\.\d*)?([eE][+-]?\d+)?$")
PLANT, SUPPLIER, STOCKPOINT = "PLANT", "SUPPLIER", "STOCKPOINT"


class _Reader:
    """Collects the problems of every file, so that one import reports them all."""

    def __init__(self, files: dict[str, str]):
        self.files, self.problems, self.notes = files, [], []

    def fail(self, file: str, message: str, row: int | None = None, column: str | None = None) -> None:
        self.problems.append(problem(file, message, row, column))

    def rows(self, file: str) -> list[tuple[int, dict[str, str]]]:
        """(row number, cells by lower-case column) of a CSV file; [] when absent or unreadable."""
        text = self.files.get(file)
        if text is None:
            return []
        required, optional = COLUMNS[file]
        reader = csv.reader(text.splitlines())
        header: list[str] | None = None
        out = []
        try:
            for cells in reader:
                if not any(c.strip() for c in cells):
                    continue
                if header is None:
                    header = [c.strip().lstrip("\ufeff").strip().lower() for c in cells]
                    header = [ALIASES[c] if c in ALIASES and ALIASES[c] not in header else c for c in header]
                    missing = [c for c in required if c not in header]
                    for column in missing:
                        self.fail(file, f"no column {column!r} (the header has {', '.join(header)})", 1, column)
                    extra = [c for c in header if c and c not in required + optional]
                    if extra:
                        self.notes.append(_note(UNUSED, file, f"column(s) {', '.join(extra)} not used"))
                    if missing:
                        return []
                    continue
                if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
                    self.fail(file, f"{len(cells)} cells, the header names {len(header)}", reader.line_num)
                    continue
                out.append((reader.line_num, {name: (cells[k].strip() if k < len(cells) else "")
                                              for k, name in enumerate(header)}))
        except csv.Error as exc:
            self.fail(file, f"not CSV: {exc}", reader.line_num)
        if header is None:
            self.fail(file, "empty: no header row")
        return out

    def text(self, file: str, row: int, cells: dict[str, str], column: str) -> str | None:
        value = cells.get(column, "")
        if not value:
            self.fail(file, "empty", row, column)
            return None
        return value

    def number(self, file: str, row: int, cells: dict[str, str], column: str, *, default: float | None = None,
               positive: bool = False) -> float | None:
        raw = cells.get(column, "")
        if not raw and default is not None:
            return default
        value = _number(raw)
        if value is None:
            self.fail(file, f"{raw!r} is not a number" if raw else "empty (a number is needed)", row, column)
            return None
        if value < 0 or (positive and value == 0):
            self.fail(file, f"{raw} is {'not above zero' if positive else 'negative'}", row, column)
            return None
        return value


def _number(raw: str) -> float | None:
    if not raw or not NUMBER.match(raw) or not any(ch.isdigit() for ch in raw):
        return None
    value = float(raw.replace(",", ""))
    return value if math.isfinite(value) else None


def _note(code: str, path: str, message: str) -> Note:
    return {"code": code, "path": path, "message": message}


def read_input_set(files: dict[str, str], name: str | None = None,
                   base: dict[str, Any] | None = None) -> tuple[dict[str, Any], list[Note]]:
    """The canonical-1.0 document of an input set (laid over ``base``, a canonical document, when
    given) and the notes saying what was mapped and derived. Raises InputSetError naming every
    problem found."""
    r = _Reader(files)
    for file in REQUIRED_FILES:
        if file not in files:
            r.fail(file, "missing: an input set needs demand_family.csv and mix_share.csv")
    unknown = sorted(set(files) - set(COLUMNS) - set(JSON_FILES))
    if unknown:
        r.notes.append(_note(UNUSED, ", ".join(unknown), "not a file of an input set; not read"))
    meta = _json(r, "meta.json") or _json(r, "input_set_meta.json")  # the latter: what the original's export writes
    calendar = _json(r, "planning_calendar.json")
    params = _json(r, "planning_params.json") or calendar.get("planning_params")
    data = _read_tables(r, calendar)
    if r.problems:
        raise InputSetError(r.problems)
    start, horizon, labels, calendar_rows = _periods(r, data, calendar)
    if r.problems:
        raise InputSetError(r.problems)
    if isinstance(params, dict) and params:
        meta = {**meta, "planning_params": params}
        r.notes.append(_note(UNUSED, "planning_params", "kept under meta.attributes.original_input_set, not used: the "
                                                        "original's anchor policy, tolerances and reconcile window have "
                                                        "no counterpart in this system's pipeline"))
    document = _document(r, data, start, horizon, labels, calendar_rows, meta, name, base)
    if r.problems:
        raise InputSetError(r.problems)
    return document, r.notes


def _json(r: _Reader, file: str) -> dict[str, Any]:
    if file not in r.files:
        return {}
    try:
        value = json.loads(r.files[file])
    except ValueError as exc:
        r.fail(file, f"not JSON: {exc}", getattr(exc, "lineno", None))
        return {}
    if not isinstance(value, dict):
        r.fail(file, f"a JSON {type(value).__name__}, not an object")
        return {}
    return value


def _read_tables(r: _Reader, calendar: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {"demand": {}, "mix": {}, "items": {}, "bom": [], "capacity": {}, "inventory": [],
                            "open_po": [], "cost": {}, "score": {}, "rows": {}}
    f = "demand_family.csv"
    for row, cells in r.rows(f):
        family, period = r.text(f, row, cells, "family"), r.text(f, row, cells, "period")
        demand = r.number(f, row, cells, "demand")
        if family and period and demand is not None:
            data["demand"][(family, period)] = data["demand"].get((family, period), 0.0) + demand
            data["rows"].setdefault(("period", period), (f, row))
    f = "mix_share.csv"
    family_of: dict[str, tuple[str, int]] = {}
    for row, cells in r.rows(f):
        family, sku = r.text(f, row, cells, "family"), r.text(f, row, cells, "sku")
        share = r.number(f, row, cells, "share")
        if family and sku and share is not None:
            if sku in family_of and family_of[sku][0] != family:
                r.fail(f, f"{sku} is already in family {family_of[sku][0]} (row {family_of[sku][1]})", row, "family")
                continue
            family_of.setdefault(sku, (family, row))
            data["mix"].setdefault(family, {})
            data["mix"][family][sku] = data["mix"][family].get(sku, 0.0) + share
    f = "item.csv"
    for row, cells in r.rows(f):
        item = r.text(f, row, cells, "item")
        lt = r.number(f, row, cells, "lt", default=0.0)
        lot = r.number(f, row, cells, "lot", default=1.0)
        moq = r.number(f, row, cells, "moq", default=0.0)
        if item and None not in (lt, lot, moq):
            if item in data["items"]:
                r.notes.append(_note(UNUSED, f"{f} row {row}", f"{item} given again: this row stands, as in the original"))
            data["items"][item] = (lt, lot, moq)
    f = "bom.csv"
    for row, cells in r.rows(f):
        parent, child = r.text(f, row, cells, "parent"), r.text(f, row, cells, "child")
        qty = r.number(f, row, cells, "qty")
        if parent and child and qty is not None:
            if parent == child:
                r.fail(f, f"{parent} is its own component", row, "child")
            elif qty > 0:
                data["bom"].append((parent, child, qty))
    f = "capacity.csv"
    for row, cells in r.rows(f):
        workcenter, period = r.text(f, row, cells, "workcenter"), r.text(f, row, cells, "period")
        capacity = r.number(f, row, cells, "capacity")
        if workcenter and period and capacity is not None:
            data["capacity"].setdefault(period, {})
            data["capacity"][period][workcenter] = data["capacity"][period].get(workcenter, 0.0) + capacity
            data["rows"].setdefault(("period", period), (f, row))
    f = "inventory.csv"
    for row, cells in r.rows(f):
        item, qty = r.text(f, row, cells, "item"), r.number(f, row, cells, "qty")
        if item and qty is not None:
            data["inventory"].append((item, cells.get("loc", ""), qty))
    f = "open_po.csv"
    for row, cells in r.rows(f):
        item, due, qty = r.text(f, row, cells, "item"), r.text(f, row, cells, "due"), r.number(f, row, cells, "qty")
        if item and due and qty is not None:
            data["open_po"].append((item, due, qty, row))
    for f, key, column in (("period_cost.csv", "cost", "cost"), ("period_score.csv", "score", "score")):
        rows = r.rows(f)
        if f not in r.files:
            rows = _calendar_values(r, calendar, f"period_{column}", column)
        for row, cells in rows:
            period, value = r.text(f, row, cells, "period"), r.number(f, row, cells, column)
            if period and value is not None:
                data[key][period] = value
    return data


def _calendar_values(r: _Reader, calendar: dict[str, Any], key: str, column: str) -> list[tuple[int, dict[str, str]]]:
    """planning_calendar.json's ``period_cost`` / ``period_score`` lists, read as the CSV rows would be."""
    values = calendar.get(key) or []
    if not isinstance(values, list):
        return []
    rows = [(k + 1, {"period": str(v.get("period", "")).strip(), column: str(v.get(column, v.get("value", ""))).strip()})
            for k, v in enumerate(values) if isinstance(v, dict)]
    if rows:
        r.notes.append(_note(MAPPED, f"planning_calendar.json {key}", f"→ planning_inputs.period_{column}s"))
    return rows


def _periods(r: _Reader, data: dict[str, Any], calendar: dict[str, Any]) -> tuple[date, int, dict[str, str], list]:
    """The start date, the horizon in days, each period code's label (a bucket this system reads)
    and the calendar's rows."""
    codes = dict.fromkeys(p for _, p in data["demand"])
    given = [p for p in calendar.get("periods") or [] if isinstance(p, dict)] if calendar else []
    labels: dict[str, str] = {}
    start_text = next((p.get("start_date") for p in given if p.get("start_date")), None)
    try:
        start = date.fromisoformat(str(start_text)) if start_text else None
    except ValueError:
        r.fail("planning_calendar.json", f"start_date {start_text!r} is not a date (YYYY-MM-DD)")
        return DEFAULT_START, 0, {}, []
    for k, period in enumerate(given):
        try:
            labels[str(period.get("period"))] = _label(period, "period", start)
        except (BucketError, TypeError, ValueError) as exc:
            r.fail("planning_calendar.json", f"periods[{k}] ({period.get('period')!r}): {exc}")
    origin = start or DEFAULT_START
    spans = {}
    for code in codes:
        label = labels.get(code, code)
        try:
            spans[code] = day_range(label, origin)
            labels[code] = label
        except BucketError as exc:
            file, row = data["rows"].get(("period", code), ("demand_family.csv", None))
            r.fail(file, f"period {code!r} is no period this system reads ({exc}); give planning_calendar.json "
                         "with its start_date and end_date", row, "period")
    for code in list(data["capacity"]) + list(data["cost"]) + list(data["score"]):
        if code not in labels:
            try:
                day_range(code, origin)
                labels[code] = code
            except BucketError:
                labels[code] = ""  # a period no demand names: left out of planning, said in a note
    if r.problems or not spans:
        return origin, 0, labels, []
    first = min(s.first for s in spans.values())
    if start is None:
        start = origin + timedelta(days=first - 1)
        spans = {code: day_range(labels[code], start) for code in spans}
    horizon = max(s.last for s in spans.values())
    calendar_rows = []
    for period in given:
        for week in period.get("weeks") or []:
            if not isinstance(week, dict):
                continue
            weight = _number(str(week.get("weight", 1)))
            try:
                week_label = _label(week, "week_code", start)
            except (BucketError, TypeError, ValueError) as exc:
                r.fail("planning_calendar.json", f"period {period.get('period')!r} week {week.get('week_code')!r}: {exc}")
                continue
            if weight is None:
                r.fail("planning_calendar.json", f"period {period.get('period')!r} week {week.get('week_code')!r}: "
                                                 f"weight {week.get('weight')!r} is not a number")
            elif weight > 0:
                calendar_rows.append({"period": labels[str(period.get("period"))], "week": week_label, "weight": weight})
    return start, horizon, labels, calendar_rows


def _unique(code: str, taken: set[str]) -> str:
    name, k = code, 2
    while name in taken:
        name, k = f"{code}-{k}", k + 1
    taken.add(name)
    return name


def _document(r: _Reader, data: dict[str, Any], start: date, horizon: int, labels: dict[str, str],
              calendar_rows: list, meta: dict[str, Any], name: str | None, base: dict[str, Any] | None) -> dict[str, Any]:
    families = list(dict.fromkeys(f for f, _ in data["demand"]))
    mix = {f: data["mix"].get(f) or {} for f in families} | data["mix"]
    for family in families:
        if not mix[family] or sum(mix[family].values()) <= 0:
            if mix[family]:
                r.fail("mix_share.csv", f"the shares of family {family} add up to 0", None, "share")
            else:
                mix[family] = {family: 1.0}
                r.notes.append(_note(DERIVED, "mix_share.csv", f"family {family} has no mix rows: planned as one item "
                                                               f"{family}, as in the original"))
    products = list(dict.fromkeys(sku for family in mix for sku in mix[family]))
    family_of = {sku: family for family in mix for sku in mix[family]}
    parents = {p for p, _, _ in data["bom"]}
    children = list(dict.fromkeys(c for _, c, _ in data["bom"]))
    others = [i for i in [*data["items"], *(i for i, _, _ in data["inventory"]), *(i for i, *_ in data["open_po"])]]
    codes = list(dict.fromkeys([*products, *(p for p, _, _ in data["bom"]), *children, *others]))
    made = set(products) | parents
    bought = [c for c in codes if c not in made]
    missing = [c for c in codes if c not in data["items"]]
    if missing and "item.csv" in r.files:
        r.notes.append(_note(DERIVED, "item.csv", f"{len(missing)} item(s) not listed ({', '.join(missing[:10])}"
                                                  f"{'…' if len(missing) > 10 else ''}): lead time 0, lot 1, no minimum"))
    items = []
    for code in codes:
        lt, lot, moq = data["items"].get(code, (0.0, 1.0, 0.0))
        item: dict[str, Any] = {"code": code, "name": code, "item_type": "product" if code in made else "component",
                                "lead_time_days": math.ceil(lt - 1e-9), "lot_size": max(1.0, lot), "min_order_qty": moq,
                                "attributes": {"family": family_of[code]} if code in family_of else {}}
        items.append(item)
    r.notes.append(_note(MAPPED, "item.csv", "lt (days, rounded up) → lead_time_days, lot (at least 1, as the original "
                                             "rounds) → lot_size, moq → min_order_qty"))
    periods = {code: label for code, label in labels.items() if label}
    skipped = sorted(code for code, label in labels.items() if not label)
    if skipped:
        r.notes.append(_note(UNUSED, "capacity.csv, period_cost.csv, period_score.csv",
                             f"period(s) {', '.join(skipped[:10])} are no period this system reads; left out"))
    family_demand = [{"family": f, "period": periods[p], "demand": d} for (f, p), d in data["demand"].items()]
    mix_rows = [{"family": f, "item_code": sku, "share": share} for f in mix for sku, share in mix[f].items()]
    end = start + timedelta(days=horizon - 1)

    def due_day(due: str, row: int) -> int | None:
        try:
            days = day_range(periods.get(due, due), start)
        except BucketError as exc:
            r.fail("open_po.csv", f"{due!r} is no date or period ({exc})", row, "due")
            return None
        return days.last if days.days > 1 else days.first

    inbound = [{"item_code": item, "day": day, "quantity": qty, "due": due}
               for item, due, qty, row in data["open_po"] if (day := due_day(due, row)) is not None]
    planning_inputs: dict[str, Any] = {
        "family_demand": family_demand, "mix_shares": mix_rows,
        "inventory_snapshots": [{"node_code": loc or None, "item_code": item, "on_hand": qty}
                                for item, loc, qty in data["inventory"]],
        "inbound_orders": inbound,
        "period_costs": [{"period": periods[p], "cost": v} for p, v in data["cost"].items() if p in periods],
        "period_scores": [{"period": periods[p], "score": v} for p, v in data["score"].items() if p in periods],
    }
    if calendar_rows:
        planning_inputs["calendar"] = calendar_rows
        r.notes.append(_note(MAPPED, "planning_calendar.json", f"→ planning_inputs.calendar ({len(calendar_rows)} "
                                                               "period/week rows with their weights)"))
    capacity = {periods[p]: sum(by_wc.values()) for p, by_wc in data["capacity"].items() if p in periods}
    uncovered = [p for p in dict.fromkeys(p for _, p in data["demand"]) if capacity and periods[p] not in capacity]
    if uncovered:
        capacity |= {periods[p]: 0.0 for p in uncovered}
        r.notes.append(_note(DERIVED, "capacity.csv", f"no capacity for period(s) {', '.join(uncovered[:10])}: none "
                                                      "there, as the original reads a period capacity.csv does not list"))
    elif not capacity:
        r.notes.append(_note(DERIVED, "capacity.csv", "no capacity given: production is not limited"))
    workcenters = sorted({wc for by_wc in data["capacity"].values() for wc in by_wc})
    label = str(meta.get("label") or "").strip()
    title = name or label or "input set"
    attributes: dict[str, Any] = {"planning_horizon": horizon, "start_date": start.isoformat(),
                                  "original_input_set": {k: meta[k] for k in meta if isinstance(meta[k], (str, int, float, dict))}
                                  | {"files": sorted(r.files)}}
    r.notes.append(_note(MAPPED, "demand_family.csv, mix_share.csv, inventory.csv, open_po.csv",
                         f"→ planning_inputs: {len(family_demand)} family demand rows, {len(mix_rows)} mix shares, "
                         f"{len(inbound)} open orders (MRP's scheduled receipts); horizon {start}..{end} ({horizon} days)"))
    if planning_inputs["period_costs"] or planning_inputs["period_scores"]:
        r.notes.append(_note(MAPPED, "period_cost.csv, period_score.csv",
                             "→ planning_inputs.period_costs / period_scores: a family's shortfall goes to the "
                             "neighbouring period with more free capacity × (1 + score) / (1 + cost), both relative"))
    if meta.get("canonical_sample_name"):
        r.notes.append(_note(UNUSED, "meta.json canonical_sample_name",
                             f"{meta['canonical_sample_name']!r} recorded, not laid over (give a base config to lay the "
                             "input set over one)"))
    demands_at = _demand_node(data)
    doc_meta = {"name": title, "version_tag": label, "description": str(meta.get("description") or ""),
                "attributes": attributes}
    if base is not None:
        return _over_base(r, base, doc_meta, items, planning_inputs, capacity, demands_at, data, mix, periods)
    nodes, arcs = _network(r, data, products, bought, capacity, workcenters, demands_at)
    demands = _demands(data, mix, periods, demands_at)
    r.notes.append(_note(DERIVED, "$.demands", f"{len(demands)} rows: family demand × mix share per period, "
                                               "deterministic, at the location stocking the item"))
    return {"meta": doc_meta, "items": items, "nodes": nodes, "arcs": arcs,
            "bom": [{"parent_item": p, "child_item": c, "quantity": q} for p, c, q in data["bom"]],
            "demands": demands,
            "capacities": [{"resource_code": PLANT, "resource_type": "node", "bucket": p, "capacity": c}
                           for p, c in capacity.items()],
            "planning_inputs": planning_inputs}


def _demand_node(data: dict[str, Any]) -> dict[str, str]:
    """Item → the location that stocks it (first given), for its demand."""
    at: dict[str, str] = {}
    for item, loc, _ in data["inventory"]:
        if loc:
            at.setdefault(item, loc)
    return at


def _demands(data: dict[str, Any], mix: dict[str, dict[str, float]], periods: dict[str, str],
             demands_at: dict[str, str], default: str | None = None) -> list[dict[str, Any]]:
    first = default or next((loc for _, loc, _ in data["inventory"] if loc), STOCKPOINT)
    rows = []
    for (family, period), demand in data["demand"].items():
        total = sum(mix[family].values())
        for sku, share in mix[family].items():
            if share > 0 and demand > 0:
                rows.append({"node_code": demands_at.get(sku, first), "item_code": sku, "bucket": periods[period],
                             "demand_model": "deterministic", "mean": demand * share / total})
    return rows


def _network(r: _Reader, data: dict[str, Any], products: list[str], bought: list[str], capacity: dict[str, float],
             workcenters: list[str], demands_at: dict[str, str]) -> tuple[list, list]:
    locations = list(dict.fromkeys(loc for _, loc, _ in data["inventory"] if loc)) or [STOCKPOINT]
    taken = set(locations)
    plant, supplier = _unique(PLANT, taken), _unique(SUPPLIER, taken)
    made = [i for i in dict.fromkeys([*products, *(p for p, _, _ in data["bom"])])]
    stock: dict[tuple[str, str], float] = {}
    for item, loc, qty in data["inventory"]:
        where = plant if item in bought else (loc or locations[0])
        stock[(where, item)] = stock.get((where, item), 0.0) + qty
    sold = {loc: [i for i in products if demands_at.get(i, locations[0]) == loc] for loc in locations}

    def policies(node: str, codes: list[str]) -> list[dict[str, Any]]:
        return [{"item_code": code, "initial_inventory": stock.get((node, code), 0.0)} for code in codes]

    lead = max((math.ceil(data["items"].get(c, (0.0,))[0] - 1e-9) for c in bought), default=0)
    nodes = [{"code": loc, "name": f"Location {loc}", "node_type": "store" if sold[loc] else "warehouse",
              "inventory_policies": policies(loc, list(dict.fromkeys(sold[loc] + [i for (n, i) in stock if n == loc])))}
             for loc in locations]
    nodes.append({"code": plant, "name": "Plant (derived from the input set)", "node_type": "factory",
                  "inventory_policies": policies(plant, made + bought),
                  "production_policies": [{"item_code": i, "production_capacity": None} for i in made],
                  "attributes": {"workcenters": workcenters}})
    arcs = [{"from_node": plant, "to_node": loc, "lead_time_days": 0} for loc in locations if sold[loc]]
    if bought:
        nodes.append({"code": supplier, "name": "Supplier (derived from the input set)", "node_type": "supplier",
                      "infinite_source": True, "inventory_policies": policies(supplier, bought)})
        arcs.append({"from_node": supplier, "to_node": plant, "lead_time_days": lead})
    r.notes.append(_note(DERIVED, "$.nodes, $.arcs",
                         f"an input set has no network: {', '.join(locations)} (inventory locations; those "
                         f"selling products are stores, the others warehouses), {plant} (a factory making {len(made)} item(s), limited by "
                         f"{', '.join(workcenters) or 'nothing'} summed per period)"
                         + (f", {supplier} (infinite supplier of {len(bought)} component(s), lead time {lead} days: "
                            "the longest of their lt)" if bought else "")
                         + "; components' stock listed at a location is the plant's in runs; no prices or "
                         "costs (an input set has none), so runs report quantities, not money"))
    return nodes, arcs


def _over_base(r: _Reader, base: dict[str, Any], doc_meta: dict[str, Any], items: list[dict[str, Any]],
               planning_inputs: dict[str, Any], capacity: dict[str, float], demands_at: dict[str, str],
               data: dict[str, Any], mix: dict[str, dict[str, float]], periods: dict[str, str]) -> dict[str, Any]:
    """The base config with the input set's items (updated or added), planning inputs and demand."""
    doc = json.loads(json.dumps(base))
    base_name = (doc.get("meta") or {}).get("name", "")
    doc["meta"] = {**doc_meta, "parent_version_id": (base.get("meta") or {}).get("parent_version_id"),
                   "attributes": {**((doc.get("meta") or {}).get("attributes") or {}), **doc_meta["attributes"]}}
    by_code = {i["code"]: i for i in doc.get("items") or []}
    for item in items:
        own = by_code.get(item["code"], {})
        given = item if item["code"] in data["items"] or not own else {}  # item.csv's figures, else the base's
        by_code[item["code"]] = {**own, **given, "attributes": {**own.get("attributes", {}), **item["attributes"]}}
    doc["items"] = list(by_code.values())
    nodes = [n["code"] for n in doc.get("nodes") or []]
    sellers = {d.get("node_code") for d in doc.get("demands") or []} & set(nodes)
    default = next((n for n in nodes if n in sellers), nodes[0] if nodes else STOCKPOINT)
    demands_at = {i: loc for i, loc in demands_at.items() if loc in nodes}
    doc["demands"] = _demands(data, mix, periods, demands_at, default)
    existing = doc.get("planning_inputs") if isinstance(doc.get("planning_inputs"), dict) else {}
    planning_inputs["inventory_snapshots"] = [{**s, "node_code": s["node_code"] if s["node_code"] in nodes else None}
                                              for s in planning_inputs["inventory_snapshots"]]
    factory = next((n["code"] for n in doc.get("nodes") or [] if n.get("node_type") == "factory"), None)
    if capacity and factory:
        planning_inputs["capacity_buckets"] = [{"resource": factory, "period": p, "capacity": c} for p, c in capacity.items()]
    elif capacity:
        r.notes.append(_note(UNUSED, "capacity.csv", "the base config has no factory to limit: not used"))
    doc["planning_inputs"] = {**existing, **planning_inputs}
    r.notes.append(_note(DERIVED, "$", f"laid over {base_name!r}: its nodes, arcs and capacities stay; the input set's "
                                       f"items, demand (at the nodes stocking each item, else {default}) and planning "
                                       "inputs replace its own"))
    return doc
