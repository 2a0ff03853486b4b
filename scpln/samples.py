"""Sample canonical-1.0 documents: a seeded generator and the three shipped samples.

Network shape: stores ← warehouses ← factories ← suppliers. Each product is made at one
factory from one or two components (BOM). Stores sell a few products each; a warehouse
stocks what its stores sell. With ``suppliers=0`` the factories carry
``infinite_source: true`` and draw their components from an unlimited source, so a network
of only stores, warehouses and factories (the large sample) still replenishes.
Demand rows are monthly (``M<n>`` or ``YYYY-MM``) per store and product. Every fifth product
(P5, P10, …) is made under a binding capacity below its demand, so larger samples show
shortages and backorders.
"""

import argparse
import json
import math
import random
from datetime import date
from pathlib import Path

from contracts.buckets import day_range

START = date(2025, 1, 1)
SAMPLES_DIR = Path(__file__).resolve().parent.parent / "samples"
SHIPPED = {
    "small": {"stores": 1, "warehouses": 0, "factories": 1, "suppliers": 1, "products": 1, "components": 1, "days": 59, "seed": 1},
    "medium": {"stores": 2, "warehouses": 1, "factories": 2, "suppliers": 1, "products": 3, "components": 2, "days": 90, "seed": 2},
    "large": {"stores": 8, "warehouses": 8, "factories": 8, "suppliers": 0, "products": 12, "components": 8, "days": 365, "seed": 3},
}


def _codes(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{k + 1}" for k in range(n)]


def _months(days: int) -> list[int]:
    """Months (1-based) whose first day falls inside the horizon."""
    months, m = [], 1
    while day_range(f"M{m}", START).first <= days:
        months.append(m)
        m += 1
    return months


def _bucket(month: int, calendar: bool) -> str:
    if not calendar:
        return f"M{month}"
    year, mon = START.year + (START.month - 1 + month - 1) // 12, (START.month - 1 + month - 1) % 12 + 1
    return f"{year:04d}-{mon:02d}"


def _topology(stores, warehouses, factories, suppliers, products, components, per_store):
    """Who sells, stocks, makes and supplies what: plain lists and dicts of codes."""
    per_store = min(len(products), per_store or max(2, math.ceil(len(products) / max(1, len(stores)))))
    sells = {s: sorted({products[(k * per_store + j) % len(products)] for j in range(per_store)})
             for k, s in enumerate(stores)}
    upstream_of_store = {s: warehouses[k % len(warehouses)] if warehouses else None for k, s in enumerate(stores)}
    maker = {p: factories[k % len(factories)] for k, p in enumerate(products)}
    bom: dict[str, list[str]] = {p: [] for p in products}
    for j in range(max(len(products), len(components))):
        bom[products[j % len(products)]].append(components[j % len(components)])
    if len(components) > 1:
        for k, p in enumerate(products[: len(products) // 2]):
            extra = components[(k + len(products)) % len(components)]
            if extra not in bom[p]:
                bom[p].append(extra)
    supplier_of = {c: suppliers[k % len(suppliers)] for k, c in enumerate(components)} if suppliers else {}
    return sells, upstream_of_store, maker, bom, supplier_of


def generate(*, stores: int, warehouses: int, factories: int, products: int, components: int,
             days: int, seed: int, suppliers: int = 0, products_per_store: int | None = None) -> dict:
    """A referentially sound canonical-1.0 document; the same arguments give the same document.
    Each store sells ``products_per_store`` products (default: enough to cover every product,
    at least two)."""
    if min(stores, factories, products, components, days) < 1 or min(warehouses, suppliers) < 0:
        raise ValueError("need at least one store, factory, product, component and day")
    rng = random.Random(seed)
    codes = {k: _codes(p, n) for k, p, n in (("S", "S", stores), ("W", "W", warehouses), ("F", "F", factories),
                                              ("U", "SUP", suppliers), ("P", "P", products), ("C", "C", components))}
    sells, store_up, maker, bom, supplier_of = _topology(
        codes["S"], codes["W"], codes["F"], codes["U"], codes["P"], codes["C"], products_per_store)
    families = {p: f"FAM{k // 4 + 1}" for k, p in enumerate(codes["P"])}
    monthly = {(s, p): rng.randrange(120, 900, 10) for s in codes["S"] for p in sells[s]}
    rate, links = _flows(monthly, store_up, maker, bom, supplier_of)
    kinds = (("store", "S", False), ("warehouse", "W", False), ("factory", "F", not suppliers), ("supplier", "U", True))
    items = [_product(p, families[p], rng) for p in codes["P"]] + [_component(c, rng) for c in codes["C"]]
    nodes = [_node(n, kind, k, rate, maker, infinite)
             for kind, key, infinite in kinds for k, n in enumerate(codes[key])]
    demands = [_demand(s, p, m, monthly[s, p], rng, calendar=k % 2 == 1)
               for k, s in enumerate(codes["S"]) for p in sells[s] for m in _months(days)]
    return {
        "meta": {"name": f"sample-{stores}s{warehouses}w{factories}f-{products}p{components}c-{days}d",
                 "schema_version": "canonical-1.0", "version_tag": f"seed-{seed}", "status": "active",
                 "description": "Generated by scpln samples.",
                 "attributes": {"planning_horizon": days, "start_date": START.isoformat(), "seed": seed,
                                "currency": "EUR"}},
        "items": items, "nodes": nodes, "arcs": [_arc(u, v, r, k, rng) for k, ((u, v), r) in enumerate(links.items())],
        "bom": [{"parent_item": p, "child_item": c, "quantity": float(1 + (k + j) % 2),
                 "scrap_rate": 0.02 * ((k + j) % 3)}
                for k, p in enumerate(codes["P"]) for j, c in enumerate(bom[p])],
        "demands": demands,
        "capacities": [{"resource_code": f, "resource_type": "node", "bucket": "",
                        "capacity": sum(pp["production_capacity"] or 0 for n in nodes if n["code"] == f
                                        for pp in n["production_policies"])} for f in codes["F"]],
        "hierarchies": [{"hierarchy_type": "product", "key": p, "parent": families[p], "family": families[p]}
                        for p in codes["P"]]
        + [{"hierarchy_type": "location", "key": n["code"], "parent": n["region"], "region": n["region"]}
           for n in nodes],
    }


def _flows(monthly, store_up, maker, bom, supplier_of):
    """Expected daily flow per node-item pair and per arc (from, to), from store demand."""
    rate: dict[tuple[str, str], float] = {}
    links: dict[tuple[str, str], float] = {}

    def add(table, key, qty):
        table[key] = table.get(key, 0.0) + qty

    for (s, p), month_qty in sorted(monthly.items()):
        d, f, w = month_qty / 30, maker[p], store_up[s]
        add(rate, (s, p), d)
        add(links, (w or f, s), d)
        if w:
            add(rate, (w, p), d)
            add(links, (f, w), d)
        add(rate, (f, p), d)
        for c in bom[p]:
            add(rate, (f, c), 2 * d)
            if c in supplier_of:
                add(rate, (supplier_of[c], c), 2 * d)
                add(links, (supplier_of[c], f), 2 * d)
    return rate, links


def _product(code: str, family: str, rng: random.Random) -> dict:
    cost = round(rng.uniform(8, 30), 2)
    return {"code": code, "name": f"Product {code}", "item_type": "product", "uom": "EA", "lead_time_days": 2,
            "lot_size": 1, "unit_cost": cost,
            "attributes": {"sales_price": round(cost * rng.uniform(1.6, 2.4), 2),
                           "sgna_cost_per_unit": round(cost * 0.1, 2), "family": family}}


def _component(code: str, rng: random.Random) -> dict:
    cost = round(rng.uniform(1, 6), 2)
    return {"code": code, "name": f"Component {code}", "item_type": "component", "uom": "EA",
            "lead_time_days": 3, "lot_size": 10, "unit_cost": cost,
            "attributes": {"sales_price": 0.0, "sgna_cost_per_unit": 0.0, "family": "COMPONENTS"}}


REGIONS = ("NORTH", "SOUTH", "EAST", "WEST")


def _node(code, kind, k, rate, maker, infinite) -> dict:
    held = sorted(i for (n, i) in rate if n == code)
    cover = {"store": 10, "warehouse": 14, "factory": 12, "supplier": 30}[kind]
    policies = [{"item_code": i, "initial_inventory": float(math.ceil(rate[code, i] * cover)),
                 "safety_stock": float(math.ceil(rate[code, i] * 2)),
                 "min_order_qty": float(math.ceil(rate[code, i])) if kind == "warehouse" else 0.0,
                 "order_multiple": 5.0 if kind == "store" and k % 2 == 0 else 0.0,
                 "storage_cost": 0.02, "stockout_cost": 2.0 if kind == "store" else 0.0,
                 "backorder_cost": 0.5 if kind == "store" else 0.0} for i in held]
    production = [{"item_code": i, "production_capacity": float(math.ceil(rate[code, i] * (0.9 if tight else 1.4))),
                   "allow_over_capacity": j % 2 == 1 and not tight, "fixed_cost": 40.0, "variable_cost": 1.2,
                   "over_capacity_cost": 2.5}
                  for j, i in enumerate(held) if maker.get(i) == code for tight in [int(i[1:]) % 5 == 0]]
    return {"code": code, "name": f"{kind.title()} {code}", "node_type": kind, "region": REGIONS[k % len(REGIONS)],
            "service_level": 0.95 if kind == "store" else 0.9, "lead_time_days": 0,
            "storage_capacity": None if kind != "warehouse" else float(math.ceil(sum(rate[code, i] for i in held) * 30)),
            "allow_storage_over_capacity": True, "storage_cost_fixed": 5.0, "storage_cost_variable": 0.01,
            "storage_over_capacity_cost": 0.1, "review_period_days": 7 if kind == "warehouse" else 1,
            "backorder_policy": "lost_sales" if kind == "store" and k % 3 == 2 else "backorder",
            "infinite_source": infinite, "inventory_policies": policies, "production_policies": production,
            "attributes": {}}


def _arc(src: str, dst: str, daily: float, k: int, rng: random.Random) -> dict:
    lead = {"W": 3, "S": 1, "F": 2}[dst[0]] if not (dst[0] == "S" and k % 4 == 0) else 0
    capped = dst[0] == "W" and k % 3 == 0
    return {"from_node": src, "to_node": dst, "arc_type": "transport", "lead_time_days": lead,
            "capacity_per_day": float(math.ceil(daily * 2)) if capped else None, "allow_over_capacity": k % 2 == 0,
            "transport_cost_fixed": 15.0, "transport_cost_variable": round(rng.uniform(0.1, 0.5), 2),
            "over_capacity_cost": 1.0, "min_order_qty": {}, "order_multiple": {}, "attributes": {}}


def _demand(store: str, product: str, month: int, month_qty: int, rng: random.Random, *, calendar: bool) -> dict:
    normal = (month + len(store)) % 3 != 0
    return {"node_code": store, "item_code": product, "bucket": _bucket(month, calendar),
            "demand_model": "normal" if normal else "deterministic", "mean": float(month_qty),
            "std_dev": round(month_qty * rng.uniform(0.1, 0.25), 1) if normal else 0.0,
            "min_qty": None, "max_qty": None, "attributes": {}}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``scpln samples``."""
    for name, default in (("stores", 2), ("warehouses", 1), ("factories", 1), ("suppliers", 0), ("products", 3),
                          ("components", 2), ("days", 90), ("seed", 1), ("products-per-store", None)):
        parser.add_argument(f"--{name}", type=int, default=default)
    parser.add_argument("--out", type=Path, default=None, help="write here instead of standard output")
    parser.add_argument("--write-shipped", action="store_true", help="regenerate samples/{small,medium,large}.json")


def dump(document: dict) -> str:
    return json.dumps(document, indent=1, sort_keys=False) + "\n"


SHIPPED_TITLES = {
    "small": ("Small network", "One store fed by one factory and its supplier; 59 days."),
    "medium": ("Medium network", "Two stores, a warehouse and two factories; three products; 90 days."),
    "large": ("Large network", "8 stores, 8 warehouses, 8 factories; 12 products, 8 components; a year."),
}


def shipped(name: str) -> dict:
    """A shipped sample: the generated document under a planner-friendly name."""
    document = generate(**SHIPPED[name])
    title, description = SHIPPED_TITLES[name]
    document["meta"].update(name=title, description=description)
    return document


def write_shipped(directory: Path = SAMPLES_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in SHIPPED:
        path = directory / f"{name}.json"
        path.write_text(dump(shipped(name)))
        paths.append(path)
    return paths


def run(args: argparse.Namespace) -> int:
    """Entry point of ``scpln samples``; returns the exit status."""
    if args.write_shipped:
        for path in write_shipped():
            print(path)
        return 0
    params = {k: getattr(args, k) for k in ("stores", "warehouses", "factories", "suppliers", "products",
                                            "components", "days", "seed", "products_per_store")}
    try:
        text = dump(generate(**params))
    except ValueError as exc:
        print(f"scpln samples: {exc}")
        return 2
    if args.out:
        args.out.write_text(text)
        print(args.out)
    else:
        print(text, end="")
    return 0
