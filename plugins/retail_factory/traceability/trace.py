"""Forward and backward traces of a lot, read from the materialised genealogy (``trace.*``).

Forward: where did this lot go — the lots made from it (any depth), every move of those lots,
and the stores that received them (units, dates) or have them on the way. Backward: where did it
come from — the lots it was made from, and the farms, plants and producers they left.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from retail_factory.traceability.genealogy import SCHEMA
from retail_factory.traceability.identifiers import Identifier, lot_key, parse_identifier
from retail_factory.warehouse.connections import Query, Warehouse, get_warehouse

Direction = Literal["forward", "backward"]


class LotNotFoundError(LookupError):
    """The genealogy has no such lot."""


@dataclass
class Trace:
    lot_key: str
    direction: Direction
    lots: list[dict[str, Any]] = field(default_factory=list)  # the lot and its descendants or ancestors
    transformations: list[dict[str, Any]] = field(default_factory=list)  # edges between those lots
    movements: list[dict[str, Any]] = field(default_factory=list)
    stores: list[dict[str, Any]] = field(default_factory=list)  # forward: stores reached
    origins: list[dict[str, Any]] = field(default_factory=list)  # backward: where the lots came from
    warnings: list[str] = field(default_factory=list)  # what the data cannot tell (completeness)
    issues: list[dict[str, Any]] = field(default_factory=list)  # trace.consistency_issues of these lots
    exposure: list[dict[str, Any]] = field(default_factory=list, repr=False)  # read with the trace

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k != "exposure"}


def lot_identifier(text: str) -> Identifier:
    """The lot named by a URN, a Digital Link or an element string (a lot, not an item or pallet)."""
    identifier = parse_identifier(text)
    if identifier.kind != "lot":
        raise ValueError(f"{text} names a {identifier.kind}, not a lot: give a GTIN with its lot, e.g. (01)…(10)…")
    return identifier


def trace_lot(
    lot: str | Identifier,
    direction: Direction = "forward",
    warehouse: Warehouse | None = None,
    session: Query | None = None,
) -> Trace:
    """Trace one lot, forward or backward, from the materialised genealogy.

    ``session``: an open warehouse session to ask on (a service keeping its connection: opening
    a DuckDB file costs more than the trace's lookups); otherwise one is opened for the trace.
    """
    identifier = lot if isinstance(lot, Identifier) else lot_identifier(lot)
    key = identifier.key
    if session is not None:
        trace = _read_trace(session, key, identifier, direction)
    else:
        with (warehouse or get_warehouse()).session() as query:
            trace = _read_trace(query, key, identifier, direction)
    if direction == "forward":
        trace.stores = _stores_reached(trace.movements, trace.exposure)
    else:
        trace.origins = _origins(trace.movements, trace.transformations)
        traced = {origin["lot_key"] for origin in trace.origins}
        made_here = {edge["output_key"] for edge in trace.transformations}
        trace.warnings = [
            f"origin of lot {lot['lot_key']} unknown: no shipment of it to the place that used it is recorded"
            for lot in trace.lots
            if lot["lot_key"] not in made_here and lot["lot_key"] not in traced
        ]
    in_transit = [s["store_id"] for s in trace.stores if s["status"] == "in transit"]
    if in_transit:
        trace.warnings.append(f"shipped, not yet received by store(s) {', '.join(in_transit)}")
    return trace


def _read_trace(query: Query, key: str, identifier: Identifier, direction: Direction) -> Trace:
    this, other = ("ancestor_key", "descendant_key") if direction == "forward" else ("descendant_key", "ancestor_key")
    lots = _rows(
        query,
        f"select {other} as lot_key, depth from {SCHEMA}.lot_lineage where {this} = ? order by depth, lot_key",
        [key],
    )
    if not lots:
        raise LotNotFoundError(
            f"no lot {key} in the genealogy (GTIN {identifier.gtin14}, lot {identifier.lot}): it was never"
            " shipped, received, packed or transformed in the data loaded so far"
        )
    keys = [row["lot_key"] for row in lots]
    trace = Trace(key, direction, lots=[{**row, **_split(row["lot_key"])} for row in lots])
    marks = ", ".join("?" * len(keys))
    trace.transformations = _rows(
        query,
        f"select input_key, output_key, transformation_id, location_id, quantity, uom, transformed_date"
        f" from {SCHEMA}.lot_edges where input_key in ({marks}) and output_key in ({marks})"
        f" order by transformed_date, input_key, output_key",
        keys + keys,
    )
    trace.movements = _rows(
        query,
        f"select m.lot_key, m.movement, m.source, m.reference_id, m.sscc, m.movement_date, m.quantity, m.uom,"
        f" m.link_id, m.event_key, m.event_at,"
        f" m.from_location_id, source_place.location_name as from_name, source_place.location_type as from_type,"
        f" m.to_location_id, target.location_name as to_name, target.location_type as to_type"
        f" from {SCHEMA}.lot_movements as m"
        f" left join marts.dim_locations as source_place on source_place.location_id = m.from_location_id"
        f" left join marts.dim_locations as target on target.location_id = m.to_location_id"
        f" where m.lot_key in ({marks})"
        f" order by m.movement_date, m.lot_key, m.movement desc, m.reference_id",
        keys,
    )
    trace.issues = _rows(
        query,
        f"select issue_type, severity, lot_key, location_id, reference_id, issue_date, detail"
        f" from {SCHEMA}.consistency_issues where lot_key in ({marks}) order by issue_date, issue_type, lot_key",
        keys,
    )
    if direction == "forward":
        trace.exposure = _rows(
            query,
            f"select store_id, sum(est_units_on_shelf) as est_units_on_shelf, max(as_of_date) as as_of_date"
            f" from {SCHEMA}.store_exposure where lot_key in ({marks}) group by store_id",
            keys,
        )
    return trace


def lots_on_shelf(gtin: str, store_id: str, day: dt.date, warehouse: Warehouse | None = None) -> list[str]:
    """Keys of the lots of a product a store had received by ``day`` and not yet past best-before."""
    with (warehouse or get_warehouse()).session() as query:
        rows = _rows(
            query,
            "select distinct gtin, lot from marts.fct_receipts where gtin = ? and store_id = ?"
            " and received_date <= ? and (best_before_date is null or best_before_date >= ?) order by lot",
            [gtin, store_id, day, day],
        )
    return [lot_key(r["gtin"], r["lot"]) for r in rows]


def _stores_reached(movements: list[dict[str, Any]], exposure: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per store: units shipped and received, when, and the estimated units still on its shelf."""
    on_shelf = {row["store_id"]: row for row in exposure}
    stores: dict[str, dict[str, Any]] = {}
    for move in movements:
        if move["to_type"] != "store":
            continue
        store = stores.setdefault(
            move["to_location_id"],
            {"store_id": move["to_location_id"], "store_name": move["to_name"], "units_shipped": 0.0,
             "units_received": 0.0, "first_received": None, "last_received": None, "lots": set()},
        )  # fmt: skip
        quantity = float(move["quantity"] or 0)
        store["lots"].add(move["lot_key"])
        if move["movement"] == "shipped":
            store["units_shipped"] += quantity
        else:
            store["units_received"] += quantity
            day = move["movement_date"]
            store["first_received"] = min(filter(None, [store["first_received"], day]))
            store["last_received"] = max(filter(None, [store["last_received"], day]))
    for store_id, store in stores.items():
        store["lots"] = sorted(store["lots"])
        store["status"] = "received" if store["units_received"] > 0 else "in transit"
        estimate = on_shelf.get(store_id, {})
        store["est_units_on_shelf"] = float(estimate.get("est_units_on_shelf") or 0)
        store["stock_as_of"] = estimate.get("as_of_date")
    return sorted(stores.values(), key=lambda s: s["store_id"])


def _origins(movements: list[dict[str, Any]], transformations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The places the lots left first: a lot with no input of its own came from where it was shipped from."""
    made_here = {edge["output_key"] for edge in transformations}
    origins: dict[tuple[str, str], dict[str, Any]] = {}
    for move in movements:
        if move["movement"] != "shipped" or move["lot_key"] in made_here or move["from_type"] in ("warehouse", None):
            continue
        origin = origins.setdefault(
            (move["from_location_id"], move["lot_key"]),
            {"location_id": move["from_location_id"], "location_name": move["from_name"],
             "location_type": move["from_type"], "lot_key": move["lot_key"], "quantity": 0.0,
             "uom": move["uom"], "first_shipped": move["movement_date"]},
        )  # fmt: skip
        origin["quantity"] += float(move["quantity"] or 0)
        origin["first_shipped"] = min(origin["first_shipped"], move["movement_date"])
    return sorted(origins.values(), key=lambda o: (o["location_id"], o["lot_key"]))


def _split(lot_key: str) -> dict[str, str | None]:
    identifier = parse_identifier(lot_key)
    return {"gtin14": identifier.gtin14, "lot": identifier.lot}


def _rows(query: Query, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    columns, rows = query(sql, params)
    return [dict(zip(columns, row, strict=True)) for row in rows]
